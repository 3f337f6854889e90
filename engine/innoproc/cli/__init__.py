"""The ``innoproc`` command line, on top of every other layer.

:mod:`.app` holds the typer application and what all commands share; each other module adds the
commands of one area. ``from innoproc.cli import app`` registers them all; the console script
imports :mod:`.app` alone, and a command's module is imported when the command runs
(:mod:`.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import app

__all__ = ["app"]


def __getattr__(name: str) -> Any:
    if name == "app":
        from .app import app
        from .lazy import load_all

        load_all()
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

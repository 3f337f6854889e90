"""typer's rich help formatting, imported without the two rich modules it never uses here.

``typer.rich_utils`` (which lays out ``--help`` in panels) imports ``rich.markdown`` (and with
it markdown-it) and ``rich.traceback`` (and pygments) when it is imported, for help written in
Markdown and for pretty tracebacks. innoproc writes its help in rich markup and turns pretty
tracebacks off, so neither is ever used, yet importing them is half the time of
``innoproc --help``.

:func:`import_rich_help` imports ``typer.rich_utils`` with a stand-in for those two modules,
present only while it is imported: ``typer.rich_utils`` keeps a stand-in class for ``Markdown``
and ``Traceback``, which imports the real module and hands over to the real class the first
time it is used, and every other import of either module gets the real one.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any

#: the names typer.rich_utils takes from the modules it does not need here
_DEFERRED = (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback"))


class _StandIn(type):
    """A class that stands for a class of a module not imported yet: using it imports it."""

    _real: Callable[[], Any]

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._real(), name)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls._real())


def _stand_in(module: str, name: str) -> type:
    def real() -> Any:
        return getattr(importlib.import_module(module), name)

    return _StandIn(name, (), {"_real": staticmethod(real), "__module__": module})


def _placeholder(module: str, name: str) -> types.ModuleType:
    """A module holding the stand-in for ``name``; any other name it is asked for is taken
    from the real module (so a typer that imports more from it still gets what it asks for)."""
    placeholder = types.ModuleType(module)
    setattr(placeholder, name, _stand_in(module, name))

    def other(attribute: str) -> Any:
        if attribute.startswith("__"):  # what the import machinery asks of any module
            raise AttributeError(attribute)
        sys.modules.pop(module, None)  # the real module, from now on
        return getattr(importlib.import_module(module), attribute)

    placeholder.__getattr__ = other  # type: ignore[method-assign]
    return placeholder


def import_rich_help() -> None:
    """Import ``typer.rich_utils`` (once) without importing rich's Markdown and tracebacks."""
    if "typer.rich_utils" in sys.modules:
        return
    placed: dict[str, types.ModuleType] = {}
    for module, name in _DEFERRED:
        if module not in sys.modules:
            sys.modules[module] = placed[module] = _placeholder(module, name)
    try:
        importlib.import_module("typer.rich_utils")
    finally:
        for module, placeholder in placed.items():
            if sys.modules.get(module) is placeholder:
                del sys.modules[module]

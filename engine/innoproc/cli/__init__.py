"""The ``innoproc`` command line, on top of every other layer.

:mod:`.app` holds the typer application and what all commands share; each other module adds the
commands of one area. The application builds every command when it runs (as the tests and
anyone using it expect), except under the console script, which builds a command only when it
is run (:mod:`.lazy`).
"""

from .app import app

__all__ = ["app"]

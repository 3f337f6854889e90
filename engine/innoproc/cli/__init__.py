"""The ``innoproc`` command line, on top of every other layer.

:mod:`.app` holds the typer application and what all commands share; each other module adds the
commands of one area. Importing this package registers them all.
"""

from . import (  # noqa: F401  (registers the commands)
    advise,
    explain,
    interview,
    kb,
    kb_diff,
    kb_docs,
    kb_test,
    query,
    report,
    serve,
    store,
)
from .app import app

__all__ = ["app"]

"""The ``innoproc`` command line: the typer application and what every command shares.

Bad input exits with status 2 and one line per problem on standard error; no command shows a
Python traceback to its user (set ``INNOPROC_DEBUG=1`` to see one for an internal error).
Commands import the rest of innoproc only when they run, so ``innoproc --help`` and
``--version`` start without loading rdflib, pySHACL or experta.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from innoproc.entry import BROKEN_PIPE, CANNOT_WRITE, INTERRUPTED, quiet_stdout

from .lazy import LazyGroup

if TYPE_CHECKING:
    from innoproc.explain import KnowledgeBase

INPUT_ERROR = 2
INTERNAL_ERROR = 70
_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG)

app = typer.Typer(
    cls=LazyGroup,  # each command's module imported when it runs
    help="Advice on innovation procurement in Big Science, with the reasons behind each item.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
kb_app = typer.Typer(help="Work on the knowledge base (rule files).", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    print(message, file=sys.stderr)


def guarded(command: F) -> F:
    """Report innoproc's own errors as lines and exit 2; never show a traceback."""
    from innoproc.errors import InnoprocError, InputError, KnowledgeBaseError

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = command(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe or a full disk shows here, not at exit
            return result
        except KeyboardInterrupt:  # the entry point says so, as it does for typer's own 130
            raise typer.Exit(INTERRUPTED) from None
        except BrokenPipeError:
            quiet_stdout()
            raise typer.Exit(BROKEN_PIPE) from None
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRNOS:
                return _internal_error(exc)
            quiet_stdout()
            err(f"innoproc: cannot write the output: {exc.strerror}")
            raise typer.Exit(CANNOT_WRITE) from None
        except KnowledgeBaseError as exc:
            for problem in exc.problems:
                err(problem.labelled())
            raise typer.Exit(INPUT_ERROR) from None
        except InputError as exc:
            for problem in exc.problems:
                err(str(problem))
            raise typer.Exit(INPUT_ERROR) from None
        except InnoprocError as exc:
            err(f"innoproc: {exc}")
            raise typer.Exit(INPUT_ERROR) from None
        except typer.Exit:
            raise
        except Exception as exc:  # an internal error: say so in one line
            return _internal_error(exc)

    return wrapper  # type: ignore[return-value]


def _internal_error(exc: Exception) -> None:
    if os.environ.get("INNOPROC_DEBUG"):
        raise exc
    err(
        f"innoproc: internal error: {type(exc).__name__}: {exc} "
        "(set INNOPROC_DEBUG=1 to see the traceback)"
    )
    raise typer.Exit(INTERNAL_ERROR) from None


def _version(value: bool) -> None:
    if value:
        from innoproc import __version__

        print(f"innoproc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Read the ontology and check the knowledge base again rather than use the "
            "caches of them (the same as INNOPROC_CACHE=off).",
        ),
    ] = False,
) -> None:
    """innoproc: a knowledge-based advisor for innovation procurement in Big Science."""
    if not gc.isenabled():  # the console script starts with the collector off (entry.main)
        gc.freeze()
        gc.enable()
    if no_cache:  # in the environment, so the batch's worker processes see it too
        os.environ["INNOPROC_CACHE"] = "off"


KbOption = Annotated[
    Path | None,
    typer.Option(
        "--kb", help="Knowledge-base folder (default: the bundled one).", show_default=False
    ),
]


EngineOption = Annotated[
    str,
    typer.Option("--engine", help="Inference engine: experta or clips (same advice)."),
]


def load_kb(folder: Path | None, engine: str = "experta") -> KnowledgeBase:
    from innoproc.engine import DEFAULT_BACKEND, check_backend
    from innoproc.explain import KnowledgeBase, default_kb

    check_backend(engine)  # before the KB is read: a wrong name is the only line shown
    if folder is None and engine == DEFAULT_BACKEND:
        return default_kb()
    return KnowledgeBase.load(folder, engine=engine)

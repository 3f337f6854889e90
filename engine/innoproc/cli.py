"""The ``innoproc`` command line.

Bad input exits with status 2 and one line per problem on standard error; no command shows a
Python traceback to its user (set ``INNOPROC_DEBUG=1`` to see one for an internal error).
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from . import __version__, render
from .errors import CaseError, InnoprocError, InputError
from .kb import KnowledgeBase, default_kb
from .loader import load_case
from .provenance import advice_graph

app = typer.Typer(
    help="Advice on innovation procurement in Big Science, with the reasons behind each item.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
kb_app = typer.Typer(help="Work on the knowledge base (rule files).", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

INPUT_ERROR = 2
INTERNAL_ERROR = 70


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    turtle = "turtle"


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def guarded(command):
    """Report innoproc's own errors as lines and exit 2; never show a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                _err(str(problem))
            raise typer.Exit(INPUT_ERROR) from None
        except InnoprocError as exc:
            _err(f"innoproc: {exc}")
            raise typer.Exit(INPUT_ERROR) from None
        except typer.Exit:
            raise
        except Exception as exc:  # an internal error: say so in one line
            if os.environ.get("INNOPROC_DEBUG"):
                raise
            _err(
                f"innoproc: internal error: {type(exc).__name__}: {exc} "
                "(set INNOPROC_DEBUG=1 to see the traceback)"
            )
            raise typer.Exit(INTERNAL_ERROR) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
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
) -> None:
    """innoproc: a knowledge-based advisor for innovation procurement in Big Science."""


KbOption = Annotated[
    Path | None,
    typer.Option(
        "--kb", help="Knowledge-base folder (default: the bundled one).", show_default=False
    ),
]


def _load_kb(folder: Path | None):
    return KnowledgeBase.load(folder) if folder is not None else default_kb()


@app.command()
@guarded
def validate(
    cases: Annotated[list[Path], typer.Argument(help="Case files (YAML, JSON or RDF).")],
) -> None:
    """Check case files against the case form; exit 0 when all conform, 2 otherwise."""
    failed = 0
    for path in cases:
        try:
            load_case(path)
        except CaseError as exc:
            failed += 1
            for problem in exc.problems:
                _err(str(problem))
        else:
            print(f"{path}: ok")
    if failed:
        _err(f"{failed} of {len(cases)} case file(s) do not conform")
        raise typer.Exit(INPUT_ERROR)


@app.command()
@guarded
def advise(
    case: Annotated[Path, typer.Argument(help="A case file (YAML, JSON or RDF).")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    kb: KbOption = None,
) -> None:
    """Advise on one case: findings and recommendations, each with its chain of reasons."""
    loaded = load_case(case)
    advice = _load_kb(kb).advise(loaded)
    if fmt is Format.text:
        render.print_text(advice, Console(highlight=False))
    elif fmt is Format.json:
        print(render.to_json(advice))
    elif fmt is Format.markdown:
        print(render.to_markdown(advice), end="")
    else:
        print(advice_graph(advice).serialize(format="turtle"), end="")


@kb_app.command("check")
@guarded
def kb_check(kb: KbOption = None) -> None:
    """Parse and check every rule file; report each problem as file:line."""
    knowledge = _load_kb(kb)
    files = sorted({r.source for r in knowledge.rules})
    knowledge.engine_class  # noqa: B018 - compiling proves the rules map onto experta
    print(f"{len(knowledge.rules)} rules in {len(files)} files: no problems found")


@kb_app.command("rules")
@guarded
def kb_rules(kb: KbOption = None) -> None:
    """List the rules: id, clauses, stratum, priority and what each concludes."""
    table = Table("rule", "clauses", "stratum", "priority", "concludes")
    for rule in _load_kb(kb).rules:
        table.add_row(
            rule.id,
            ", ".join(rule.clauses),
            str(rule.stratum),
            str(rule.priority),
            f"{rule.then.kind} {rule.then.id}",
        )
    Console().print(table)


if __name__ == "__main__":  # pragma: no cover
    app()

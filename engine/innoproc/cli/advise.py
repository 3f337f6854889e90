"""``innoproc validate`` and ``innoproc advise``: check case files, advise on a case."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from innoproc.export.registry import formats

from .app import INPUT_ERROR, KbOption, app, err, guarded, load_kb

#: the export formats, as registered (text, json, markdown, turtle ...)
Format = StrEnum("Format", [(f.name, f.name) for f in formats()])  # type: ignore[misc]
TEXT = Format("text")


@app.command()
@guarded
def validate(
    cases: Annotated[list[Path], typer.Argument(help="Case files (YAML, JSON or RDF).")],
) -> None:
    """Check case files against the case form; exit 0 when all conform, 2 otherwise."""
    from innoproc.case import load_case
    from innoproc.errors import CaseError

    failed = 0
    for path in cases:
        try:
            load_case(path)
        except CaseError as exc:
            failed += 1
            for problem in exc.problems:
                err(str(problem))
        else:
            print(f"{path}: ok")
    if failed:
        err(f"{failed} of {len(cases)} case file(s) do not conform")
        raise typer.Exit(INPUT_ERROR)


@app.command()
@guarded
def advise(
    case: Annotated[Path, typer.Argument(help="A case file (YAML, JSON or RDF).")],
    fmt: Annotated[
        Format,
        typer.Option("--format", "-f", help="Output format."),
    ] = TEXT,
    kb: KbOption = None,
) -> None:
    """Advise on one case: findings and recommendations, each with its chain of reasons."""
    from rich.console import Console

    from innoproc.export import ExportOptions, export

    knowledge = load_kb(kb)
    advice = knowledge.advise(knowledge.load_case(case))
    terminal = Console()
    options = ExportOptions(color=terminal.is_terminal, width=terminal.width)
    print(export(advice, fmt.value, options), end="")

"""``innoproc kb diff``: what a change to the knowledge base changes, for review before a merge.

The report is the output, not a verdict: the command exits 0 whether or not anything changed,
and 2 only when it cannot compare (a folder that is no KB, an unknown revision, a bad case).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .app import INPUT_ERROR, err, guarded, kb_app


class DiffFormat(StrEnum):
    text = "text"
    markdown = "markdown"


@kb_app.command("diff")
@guarded
def kb_diff(
    old: Annotated[
        str, typer.Argument(help="The KB before: a folder, or a git revision (HEAD~1, a branch).")
    ],
    new: Annotated[str, typer.Argument(help="The KB after: a folder, or a git revision.")],
    cases: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Case files or folders (default: the library in cases/ and the scenario "
            "cases of each KB's tests/*.yaml).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="text, or markdown for a merge request.")
    ] = DiffFormat.text,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file.", show_default=False),
    ] = None,
) -> None:
    """Compare two KBs on every case: rules added, removed or changed, and each case's items
    that appeared, disappeared or changed, with the rule responsible."""
    from innoproc.workbench.diff import diff_kbs, to_markdown, to_text

    report = diff_kbs(old, new, cases or [])
    text = to_markdown(report) if fmt is DiffFormat.markdown else to_text(report)
    if output is None:
        print(text, end="")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        err(f"{output}: cannot write the report: {exc.strerror or exc}")
        raise typer.Exit(INPUT_ERROR) from None
    print(report.summary)

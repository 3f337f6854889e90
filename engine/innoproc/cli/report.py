"""``innoproc report``: the advice on one case as a report to forward (HTML or Markdown).

Without ``-o`` the report goes to standard output (HTML unless ``--format markdown``); with
``-o FILE`` it is written atomically to FILE, its format taken from the suffix (``.md`` or
``.markdown``: Markdown, anything else: HTML) unless ``--format`` says otherwise.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .app import KbOption, app, err, guarded, load_kb


class ReportFormat(StrEnum):
    html = "html"
    markdown = "markdown"


@app.command()
@guarded
def report(
    case: Annotated[Path, typer.Argument(help="A case file (YAML, JSON or RDF).")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the report to this file (default: standard output).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="html or markdown (default: from the suffix of -o, else html).",
            show_default=False,
        ),
    ] = None,
    kb: KbOption = None,
) -> None:
    """Write a self-contained report on one case: facts, findings by challenge, recommendations
    with their reasons, clauses, open questions and the justification graph."""
    from innoproc.export.report import format_for, gather, write_atomic
    from innoproc.export.report.render import render_html, render_markdown

    knowledge = load_kb(kb)
    advice = knowledge.advise(knowledge.load_case(case))
    chosen = fmt.value if fmt is not None else format_for(output)
    if chosen == "html":
        content = gather(advice)
        if content.picture is not None and content.picture.svg is None:
            err(f"innoproc: the report has no graph: {content.picture.problem}")
        text = render_html(content)
    else:
        text = render_markdown(gather(advice, graph=False))
    if output is None:
        print(text, end="")
        return
    write_atomic(output, text)
    err(f"wrote {output} ({chosen}, {len(text.encode('utf-8')):,} bytes)")

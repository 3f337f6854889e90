"""``innoproc kb docs``: write the knowledge base's HTML catalogue.

The catalogue itself is built by :mod:`innoproc.workbench.docs`, imported when the command runs
(it loads pyLODE and Jinja2, which ``innoproc --help`` should not pay for).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import KbOption, guarded, kb_app, load_kb

OutputOption = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="Folder to write the catalogue into (created if missing; its files are overwritten).",
    ),
]


@kb_app.command("docs")
@guarded
def kb_docs(kb: KbOption = None, output: OutputOption = Path("kb-docs")) -> None:
    """Write a static HTML catalogue of the rules, clauses and ontology, to browse offline."""
    from innoproc.workbench.docs import write_docs

    written = write_docs(load_kb(kb), output)
    print(
        f"{written.rules} rules in {written.themes} themes, {written.clauses} clauses and the "
        f"ontology: {written.files} files in {output}; open {written.index}"
    )

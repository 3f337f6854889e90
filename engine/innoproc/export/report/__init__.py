"""A report an officer can forward: the advice on one case as one self-contained document.

``innoproc report`` writes it. It says, in the ontology's words with the ids beside them, what
the case states, what was found (by challenge and severity), what is recommended with its
actions and its chain of reasons, the alternatives, what is already in place, the clauses cited,
the open questions, and shows the justification graph (facts → findings → recommendations).

Two formats: ``html`` (one page: stylesheet inlined, the graph as inline SVG, no script, nothing
fetched when it is opened) and ``markdown`` (the same content, the graph as a DOT code block).
It is not an ``advise --format``: a report is about one case, and drawing its graph runs a
layout program, which ``advise`` on a thousand cases should not.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from innoproc.errors import InnoprocError, wrong_argument
from innoproc.explain import Advice

from .content import Report, gather
from .graph import Layout, find_programs, justification_dot, layout, sanitise_svg

ReportFormat = Literal["html", "markdown"]
FORMATS: tuple[ReportFormat, ...] = ("html", "markdown")

__all__ = [
    "FORMATS",
    "Layout",
    "Report",
    "ReportError",
    "ReportFormat",
    "find_programs",
    "format_for",
    "gather",
    "justification_dot",
    "layout",
    "render_report",
    "sanitise_svg",
    "write_atomic",
]


class ReportError(InnoprocError):
    """The report cannot be written where it was asked to go."""

    code = "report/output"


def render_report(
    advice: Advice, fmt: ReportFormat = "html", programs: Sequence[str] | None = None
) -> str:
    """The report on ``advice`` in ``fmt``; ``programs`` names the layout programs to try
    (default: Debian's ``dot``, then ``graphviz-pure``, whichever are installed)."""
    from .render import render_html, render_markdown

    if fmt not in FORMATS:
        raise wrong_argument("fmt", fmt, "one of " + ", ".join(FORMATS))
    chosen = list(programs) if programs is not None else None
    if fmt == "html":
        return render_html(gather(advice, chosen))
    return render_markdown(gather(advice, chosen, graph=False))


def format_for(path: Path | None) -> ReportFormat:
    """The format a file name asks for: Markdown for ``.md``/``.markdown``, else HTML."""
    if path is not None and path.suffix.lower() in (".md", ".markdown"):
        return "markdown"
    return "html"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, so a reader
    never sees half a report and a failed write leaves the old file as it was."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ReportError(f"cannot write {path}: it is a folder")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""Rendering a report's content as one HTML page or one Markdown document, with Jinja2.

Both environments escape by default, because nearly every text comes from a case or a rule file
written by someone else. HTML uses Jinja2's autoescaping. Markdown has no such mode, so the
Markdown environment reuses it: every value is first turned into literal Markdown (markup
escaped, HTML characters as entities, control characters shown) and marked safe, and only the
filters that build Markdown on purpose (``code``, ``link``, ``fenced``, ``raw``) bypass that.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from innoproc.export.words import markdown_text, printable
from innoproc.ontology import FactValue, Vocabulary
from innoproc.reading.files import CONTROL

from .content import SEVERITIES, Report, value_words

_WEB = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)


def is_web(text: str) -> bool:
    """Whether a reference is a plain web address, shown as a link (followed only on a click)."""
    return _WEB.fullmatch(text) is not None


def _helpers(vocab: Vocabulary) -> dict[str, Any]:
    def key_label(key: str) -> str:
        found = vocab.keys.get(key)
        return found.label if found is not None else key

    def show_words(key: str, value: FactValue | None) -> str:
        return ", ".join(
            f"{w.words} ({w.id})" if w.id and w.id != w.words else w.words
            for w in value_words(vocab, key, value)
        )

    return {"key_label": key_label, "show_words": show_words, "is_web": is_web}


@cache
def _html_env() -> Environment:
    return Environment(
        loader=PackageLoader("innoproc.export.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _md_finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    return Markup(markdown_text("" if value is None else str(value)))


def _code(value: Any) -> Markup:
    """A code span that shows ``value`` literally, whatever backticks it holds."""
    text = printable(str(value))
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def _fenced(value: Any, language: str = "") -> Markup:
    """A fenced code block longer than any run of backticks inside it."""
    text = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value)).rstrip("\n")
    runs = [len(run) for run in re.findall(r"`{3,}", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return Markup(f"{fence}{language}\n{text}\n{fence}")


def _link(value: Any) -> Markup:
    text = str(value)
    if is_web(text):
        return Markup(f"<{text}>")
    return Markup(markdown_text(text))


def _line(value: Any) -> Markup:
    """Text that starts a line: nothing in it may make the line a heading or a list item."""
    return Markup(markdown_text(str(value), line_start=True))


def _join_md(values: Any, separator: str = ", ") -> Markup:
    return Markup(separator.join(markdown_text(str(v)) for v in values))


@cache
def _markdown_env() -> Environment:
    env = Environment(
        loader=PackageLoader("innoproc.export.report", "templates"),
        autoescape=True,  # with the finalize below: escaping as literal Markdown
        finalize=_md_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        code=_code, fenced=_fenced, link=_link, line=_line, join_md=_join_md, raw=Markup
    )
    return env


@cache
def _css() -> str:
    return (resources.files("innoproc.export.report") / "templates" / "report.css").read_text(
        encoding="utf-8"
    )


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page."""
    template = _html_env().get_template("report.html")
    helpers = _helpers(report.advice.vocabulary)
    return template.render(r=report, severities=SEVERITIES, css=Markup(_css()), **helpers)


_BLANK_RUNS = re.compile(r"\n{3,}")


def render_markdown(report: Report) -> str:
    """The report as one Markdown document (the graph as a DOT code block)."""
    template = _markdown_env().get_template("report.md")
    helpers = _helpers(report.advice.vocabulary)
    text = template.render(r=report, severities=SEVERITIES, **helpers)
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"

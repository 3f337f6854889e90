"""How case facts are written in human-readable exports (text and Markdown share it).

Whatever a case states is someone else's text: before it reaches a terminal it loses its control
characters (an escape sequence could retitle the window or clear the screen), and before it
reaches Markdown its markup is escaped (a title must not become a heading, a link or HTML).
"""

from __future__ import annotations

import re

from innoproc.explain import Reason
from innoproc.ontology import FactValue
from innoproc.reading.files import CONTROL

#: characters that open inline markup anywhere (an underscore only at the edge of a word)
_INLINE = re.compile(r"([\\`*\[\]|~]|(?<!\w)_|_(?!\w))")
#: what makes a line a heading, quote, list item or rule
_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+(?=[.)]))")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def printable(text: str) -> str:
    """``text`` with every control character (line breaks too) shown as a visible escape."""
    text = text.replace("\r", "\\r").replace("\n", " ").replace("\t", " ")
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def markdown_text(text: str, line_start: bool = False) -> str:
    """``text`` as literal Markdown: on one line, inline markup escaped, HTML characters as
    entities, and (``line_start``) nothing that would make its line a heading or a list."""
    text = _INLINE.sub(r"\\\1", printable(text))
    text = "".join(_HTML.get(c, c) for c in text)
    if not line_start:
        return text
    found = _LINE_START.match(text)
    if found is None:
        return text
    start, mark = found.groups()
    if mark.isdigit():  # "1." starts a list: escape the point
        return f"{start}{mark}\\{text[found.end() :]}"
    return f"{start}\\{text[len(start) :]}"


def show_value(value: FactValue | None) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return printable(str(value))


def facts_line(reason: Reason) -> str:
    return ", ".join(f"{key} = {show_value(value)}" for key, value in reason.facts)

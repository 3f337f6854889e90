"""How case facts are written in human-readable exports (text and Markdown share it).

Whatever a case states is someone else's text: before it reaches a terminal it loses its control
characters (an escape sequence could retitle the window or clear the screen), and before it
reaches Markdown its markup is escaped (a title must not become a heading, a link or HTML).
"""

from __future__ import annotations

import re

from innoproc.explain import Advice, Reason
from innoproc.ontology import FactValue, Vocabulary
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


def fact_in_words(vocab: Vocabulary, key: str, value: FactValue | None) -> str:
    """``award basis: lowest price``: a fact as the ontology's labels name it."""
    case_key = vocab.keys.get(key)
    if case_key is None:
        return f"{key}: {show_value(value)}"
    if value is None:
        words = "not stated"
    elif isinstance(value, bool):
        words = "yes" if value else "no"
    elif case_key.is_choice:
        chosen = value if isinstance(value, tuple) else (str(value),)
        iris = case_key.value_iris
        labels = [vocab.label(iris[v]) if v in iris else v for v in chosen]
        words = ", ".join(labels) if labels else "none"
    else:
        words = show_value(value)
    return f"{case_key.label}: {words}"


def facts_line(reason: Reason, vocab: Vocabulary) -> str:
    """The facts a rule read, in the ontology's words."""
    return "; ".join(fact_in_words(vocab, key, value) for key, value in reason.facts)


def summary_lines(advice: Advice, most: int = 3) -> list[str]:
    """The few changes that matter most, in words: what a reader should take away first."""
    findings = advice.findings
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("high", "medium", "low")}
    severities = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    lines = [
        f"{len(findings)} finding(s)"
        + (f" ({severities})" if severities else "")
        + f" and {len(advice.recommendations)} recommendation(s)"
        + (f"; {len(advice.in_place)} choice(s) already in place." if advice.in_place else ".")
    ]
    for number, item in enumerate(advice.recommendations[:most], start=1):
        answered = item.answers
        why = f" (answers: {'; '.join(f.title for f in answered)})" if answered else ""
        lines.append(f"{number}. {item.title}{why}")
    return lines

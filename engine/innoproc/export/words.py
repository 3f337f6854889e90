"""How facts are written in human-readable exports (text and Markdown share it)."""

from __future__ import annotations

from innoproc.explain import Reason
from innoproc.ontology import FactValue


def show_value(value: FactValue | None) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return str(value)


def facts_line(reason: Reason) -> str:
    return ", ".join(f"{key} = {show_value(value)}" for key, value in reason.facts)

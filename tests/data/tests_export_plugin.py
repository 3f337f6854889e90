"""An export format defined outside innoproc, registered by a test."""

from __future__ import annotations


def export_ids(advice, options) -> str:
    return "".join(f"{item.id}\n" for item in advice.items)

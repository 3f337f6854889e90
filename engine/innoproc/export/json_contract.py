"""The JSON contract of ``innoproc advise --format json`` (its content is ``Advice.to_dict``)."""

from __future__ import annotations

import json

from innoproc.explain import Advice

from .registry import ExportOptions


def to_json(advice: Advice) -> str:
    return json.dumps(advice.to_dict(), indent=2, ensure_ascii=False)


def export_json(advice: Advice, options: ExportOptions) -> str:
    return to_json(advice) + "\n"

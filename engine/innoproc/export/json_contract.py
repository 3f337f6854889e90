"""The JSON contract of ``innoproc advise --format json`` (its content is ``Advice.to_dict``),
published as a JSON Schema in ``advice.schema.json`` beside this module."""

from __future__ import annotations

import json
from pathlib import Path

from innoproc.explain import Advice

from .registry import ExportOptions


def to_json(advice: Advice, questions: bool = True) -> str:
    return json.dumps(advice.to_dict(questions), indent=2, ensure_ascii=False)


def export_json(advice: Advice, options: ExportOptions) -> str:
    return to_json(advice, options.questions) + "\n"


def export_jsonl(advice: Advice, options: ExportOptions) -> str:
    """One line of JSON per case: the contract, for streams of many cases."""
    data = advice.to_dict(options.questions)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def schema_path() -> Path:
    """The published JSON Schema of the contract (shipped with the package)."""
    return Path(__file__).with_name("advice.schema.json")

"""The JSON contract of ``innoproc advise --format json`` (its content is ``Advice.to_dict``),
published as a JSON Schema in ``advice.schema.json`` beside this module."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from innoproc.explain import Advice, AdviceItem

from .registry import ExportOptions


def to_json(advice: Advice, questions: bool = True) -> str:
    return json.dumps(advice.to_dict(questions), indent=2, ensure_ascii=False)


def export_json(advice: Advice, options: ExportOptions) -> str:
    return to_json(advice, options.questions) + "\n"


def export_jsonl(advice: Advice, options: ExportOptions) -> str:
    """One line of JSON per case: the contract, for streams of many cases."""
    return jsonl_line(advice, options.questions)


#: the encoder of a JSONL line: ``json.dumps(data, ensure_ascii=False, separators=(",", ":"))``
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: the lists of items of the contract, in its order, as they stand empty in its text
_LISTS = ('"findings":[]', '"recommendations":[]', '"in_place":[]')
_QUESTIONS = '"open_questions":[]'
#: items already encoded: id -> the item (kept, so that its id is not reused) and its text
_ITEM_TEXTS: dict[int, tuple[AdviceItem, str]] = {}
#: at most this many items are kept encoded (then the table starts again)
MAX_ITEM_TEXTS = 4_096


def jsonl_line(advice: Advice, questions: bool = True) -> str:
    """``json.dumps(advice.to_dict(questions), ensure_ascii=False, separators=(",", ":"))``
    and a line break, byte for byte, built faster for a batch.

    In a batch the knowledge base hands out the same advice items case after case (they never
    change once built), and encoding them was most of the time of writing a line: each item's
    text is kept and joined into the line. The rest of the contract is encoded from
    ``to_dict`` of the advice with no items and no questions, so that it stays the one
    definition of the contract: an empty list of items encodes as ``"findings":[]``, which no
    text can hold outside a key (JSON escapes the quotes in strings), and the items' text goes
    there."""
    bare = replace(advice, findings=(), recommendations=(), in_place=())
    text = _ENCODE(bare.to_dict(False))
    start = 0
    pieces: list[str] = []
    for marker, items in zip(
        _LISTS, (advice.findings, advice.recommendations, advice.in_place), strict=True
    ):
        at = text.index(marker, start) + len(marker) - 1
        pieces += (text[start:at], ",".join(map(_item_text, items)))
        start = at
    if questions:
        at = text.index(_QUESTIONS, start) + len(_QUESTIONS) - 1
        found = ",".join(_ENCODE(q.to_dict()) for q in advice.open_questions)
        pieces += (text[start:at], found)
        start = at
    pieces += (text[start:], "\n")
    return "".join(pieces)


def _item_text(item: AdviceItem) -> str:
    found = _ITEM_TEXTS.get(id(item))
    if found is not None and found[0] is item:
        return found[1]
    text = _ENCODE(item.to_dict())
    if len(_ITEM_TEXTS) >= MAX_ITEM_TEXTS:
        _ITEM_TEXTS.clear()
    _ITEM_TEXTS[id(item)] = (item, text)
    return text


def schema_path() -> Path:
    """The published JSON Schema of the contract (shipped with the package)."""
    return Path(__file__).with_name("advice.schema.json")

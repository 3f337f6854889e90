"""JSON reading within the reading policy: no duplicate keys, no NaN or infinity, bounded
nesting and sizes, and the line of every top-level key for messages.

Python's json module keeps the last of two duplicate keys, accepts ``NaN`` and ``Infinity``,
recurses once per nesting level and converts any number of digits: each is refused here before
it can become a silent loss, a wrong reading or an internal error.
"""

from __future__ import annotations

import json
import re
from typing import Any

from innoproc.errors import InputError, Problem

from .limits import Limits, current_limits, over_limit
from .values import check_structure

_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


def _refuse(source: str, message: str, code: str, line: int | None = None) -> InputError:
    return InputError([Problem(source, message, line, code=code)])


def _depth_ok(text: str, source: str, limits: Limits) -> None:
    """Refuse nesting past the limit before json recurses into it (one linear pass)."""
    depth, in_string, escaped = 0, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limits.max_depth:
                raise _refuse(
                    source,
                    over_limit(
                        limits, "max_depth", f"nesting deeper than {limits.max_depth} levels"
                    ),
                    "input/too-deep",
                    text.count("\n", 0, index) + 1,
                )
        elif char in "]}":
            depth -= 1


def key_lines(text: str) -> dict[str, list[int]]:
    """Every line on which each key is written (one pass over the text)."""
    lines: dict[str, list[int]] = {}
    line, last = 1, 0
    for match in _KEY.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        try:
            key = json.loads(f'"{match.group(1)}"')
        except json.JSONDecodeError:
            continue
        lines.setdefault(key, []).append(line)
    return lines


def load_json(
    text: str, source: str, limits: Limits | None = None
) -> tuple[Any, dict[str, int], list[Problem]]:
    """The parsed value, the line of each top-level key, and the duplicate keys found."""
    limits = limits or current_limits()
    _depth_ok(text, source, limits)
    where = key_lines(text)
    duplicates: list[Problem] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len(items) > limits.max_mapping_keys:
            raise _refuse(
                source,
                over_limit(limits, "max_mapping_keys", f"{len(items):,} keys in one object"),
                "input/too-many",
            )
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                seen = where.get(key, [])
                duplicates.append(
                    Problem(
                        source,
                        "duplicate key" + (f" (first given on line {seen[0]})" if seen else ""),
                        seen[1] if len(seen) > 1 else None,
                        key,
                        code="input/duplicate-key",
                    )
                )
                continue
            result[key] = value
        return result

    def number(text_value: str) -> int | float:
        if len(text_value) > limits.max_number_chars:
            raise _refuse(
                source,
                f"found a number written with {len(text_value):,} characters; allowed: at most "
                f"{limits.max_number_chars}",
                "input/number",
            )
        value = float(text_value) if any(c in text_value for c in ".eE") else int(text_value)
        if isinstance(value, float) and value in (float("inf"), -float("inf")):
            raise _refuse(source, f"found {text_value}; allowed: a finite number", "input/number")
        return value

    def constant(name: str) -> Any:
        raise _refuse(source, f"found {name}; allowed: a finite number", "input/number")

    try:
        data = json.loads(
            text,
            object_pairs_hook=pairs,
            parse_int=number,
            parse_float=number,
            parse_constant=constant,
        )
    except json.JSONDecodeError as exc:
        raise _refuse(source, f"malformed JSON: {exc.msg}", "input/syntax", exc.lineno) from None
    check_structure(data, source, limits)
    top = {key: lines[0] for key, lines in where.items()} if isinstance(data, dict) else {}
    return data, top, duplicates

"""The value-level half of the reading policy: what a parsed document (or a mapping handed to
the API) may hold, whatever syntax it came from.

Nesting, keys per mapping, items per list, values in all, characters per text, control
characters, and numbers that are not finite or are written too long to convert safely.
"""

from __future__ import annotations

from typing import Any

from innoproc.errors import InputError, Problem

from .files import CONTROL
from .limits import Limits, current_limits


def _refuse(source: str, message: str, code: str, key: str | None) -> InputError:
    return InputError([Problem(source, message, None, key, code=code)])


def check_structure(data: Any, source: str, limits: Limits | None = None) -> None:
    """Refuse ``data`` if it breaks a limit; ``key`` in the problem is the top-level key."""
    limits = limits or current_limits()
    count = 0
    # (value, depth, top-level key it sits under)
    stack: list[tuple[Any, int, str | None]] = [(data, 1, None)]
    while stack:
        item, depth, top = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise _refuse(
                source,
                f"found more than {limits.max_nodes:,} values; allowed: at most "
                f"{limits.max_nodes:,} (raise max_nodes in INNOPROC_LIMITS)",
                "input/too-many",
                None,
            )
        if isinstance(item, dict | list) and depth > limits.max_depth:
            raise _refuse(
                source,
                f"found nesting deeper than {limits.max_depth} levels; allowed: at most "
                f"{limits.max_depth} (raise max_depth in INNOPROC_LIMITS)",
                "input/too-deep",
                top,
            )
        if isinstance(item, dict):
            if len(item) > limits.max_mapping_keys:
                raise _refuse(
                    source,
                    f"found {len(item):,} keys in one mapping; allowed: at most "
                    f"{limits.max_mapping_keys:,} (raise max_mapping_keys in INNOPROC_LIMITS)",
                    "input/too-many",
                    top,
                )
            for key, value in item.items():
                under = top if top is not None else (key if isinstance(key, str) else None)
                stack.append((key, depth + 1, under))
                stack.append((value, depth + 1, under))
        elif isinstance(item, list | tuple):
            if len(item) > limits.max_list_items:
                raise _refuse(
                    source,
                    f"found {len(item):,} items in one list; allowed: at most "
                    f"{limits.max_list_items:,} (raise max_list_items in INNOPROC_LIMITS)",
                    "input/too-many",
                    top,
                )
            stack.extend((value, depth + 1, top) for value in item)
        elif isinstance(item, str):
            if len(item) > limits.max_text_chars:
                raise _refuse(
                    source,
                    f"found a value of {len(item):,} characters; allowed: at most "
                    f"{limits.max_text_chars:,} (raise max_text_chars in INNOPROC_LIMITS)",
                    "input/too-large",
                    top,
                )
            found = CONTROL.search(item)
            if found is not None:
                raise _refuse(
                    source,
                    f"found control character U+{ord(found.group()):04X}; allowed: text "
                    "without control characters (tab and line breaks are fine)",
                    "input/control-character",
                    top,
                )
        elif isinstance(item, float):
            if item != item or item in (float("inf"), -float("inf")):
                raise _refuse(
                    source, f"found {item}; allowed: a finite number", "input/number", top
                )
        elif isinstance(item, int) and not isinstance(item, bool):
            if item.bit_length() > limits.max_number_chars * 4:  # about max_number_chars digits
                raise _refuse(
                    source,
                    f"found a number of {item.bit_length():,} bits; allowed: at most "
                    f"{limits.max_number_chars} digits",
                    "input/number",
                    top,
                )

"""The value-level half of the reading policy: what a parsed document (or a mapping handed to
the API) may hold, whatever syntax it came from.

Nesting, keys per mapping, items per list, values in all, characters per text, control
characters, and numbers that are not finite or are written too long to convert safely.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from innoproc.errors import InputError, Problem

from .files import CONTROL, SURROGATE
from .limits import Limits, current_limits, over_limit


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
                over_limit(limits, "max_nodes", f"more than {limits.max_nodes:,} values"),
                "input/too-many",
                None,
            )
        if isinstance(item, dict | list) and depth > limits.max_depth:
            raise _refuse(
                source,
                over_limit(limits, "max_depth", f"nesting deeper than {limits.max_depth} levels"),
                "input/too-deep",
                top,
            )
        if isinstance(item, dict):
            if len(item) > limits.max_mapping_keys:
                raise _refuse(
                    source,
                    over_limit(limits, "max_mapping_keys", f"{len(item):,} keys in one mapping"),
                    "input/too-many",
                    top,
                )
            for key, value in item.items():
                if not isinstance(key, str):
                    raise _refuse(
                        source,
                        f"found the key {key!r:.60} ({type(key).__name__}); allowed: text keys",
                        "input/non-text-key",
                        top,
                    )
                under = top if top is not None else key
                stack.append((key, depth + 1, under))
                stack.append((value, depth + 1, under))
        elif isinstance(item, list | tuple):
            if len(item) > limits.max_list_items:
                raise _refuse(
                    source,
                    over_limit(limits, "max_list_items", f"{len(item):,} items in one list"),
                    "input/too-many",
                    top,
                )
            stack.extend((value, depth + 1, top) for value in item)
        elif isinstance(item, str):
            if len(item) > limits.max_text_chars:
                raise _refuse(
                    source,
                    over_limit(limits, "max_text_chars", f"a value of {len(item):,} characters"),
                    "input/too-large",
                    top,
                )
            if SURROGATE.search(item):
                raise _refuse(
                    source,
                    "found a lone surrogate code point; allowed: text that is valid Unicode",
                    "input/encoding",
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
        elif isinstance(item, float | Decimal):
            finite = item.is_finite() if isinstance(item, Decimal) else math.isfinite(item)
            if not finite:
                raise _refuse(
                    source, f"found {item}; allowed: a finite number", "input/number", top
                )
            # Decimal.adjusted() needs no arithmetic, which would overflow on a huge exponent
            exponent = item.adjusted() if isinstance(item, Decimal) else math.log10(abs(item) or 1)
            if exponent >= limits.max_exponent:
                raise _refuse(
                    source,
                    f"found a number of the order of 1e{int(exponent)}; allowed: a number below "
                    f"1e{limits.max_exponent}",
                    "input/number",
                    top,
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
        elif item is not None and not isinstance(item, bool):
            raise _refuse(
                source,
                f"found a {type(item).__name__} value; allowed: text, a number, true or false, a "
                "list or a mapping",
                "input/type",
                top,
            )

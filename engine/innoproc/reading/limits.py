"""How much innoproc agrees to read: one set of limits for every input it is handed.

The defaults fit real inputs by orders of magnitude (a library case is 1-5 KB with 2 levels of
nesting and about 40 keys; the largest rule file is about 40 KB, its deepest condition 8 levels,
its largest normal form 21 alternatives) and stop hostile ones long before they cost memory or
time. Raise them for one process with the environment variable ``INNOPROC_LIMITS``, e.g.
``INNOPROC_LIMITS="max_file_bytes=20000000,max_depth=128"``, or from Python with
:func:`set_limits`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, fields, replace

from innoproc.errors import InnoprocError

ENV_VAR = "INNOPROC_LIMITS"


@dataclass(frozen=True)
class Limits:
    """Size, depth, count and numeric limits on what is read."""

    #: bytes of one input file (case, rule file, schema, ontology extension)
    max_file_bytes: int = 2_000_000
    #: nesting of mappings and lists (YAML, JSON) or of conditions (rules)
    max_depth: int = 64
    #: keys of one mapping
    max_mapping_keys: int = 1_000
    #: items of one list
    max_list_items: int = 10_000
    #: characters of one text value
    max_text_chars: int = 100_000
    #: characters of one number as written (digits, sign, point, exponent)
    max_number_chars: int = 40
    #: the power of ten no stated amount reaches (any budget is far below 1e30)
    max_exponent: int = 30
    #: values and containers in one document
    max_nodes: int = 200_000
    #: alternatives of one rule condition in disjunctive normal form
    max_normal_form: int = 4_096
    #: statements in one RDF case file
    max_triples: int = 10_000


class LimitsError(InnoprocError):
    """``INNOPROC_LIMITS`` or :func:`set_limits` named an unknown limit or gave a bad value."""

    code = "input/limits"


def parse_limits(text: str, base: Limits | None = None) -> Limits:
    """Limits from ``name=value,name=value`` on top of ``base`` (default: the defaults)."""
    known = {f.name for f in fields(Limits)}
    changes: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in known:
            raise LimitsError(
                f"{ENV_VAR}: unknown limit {name!r}; allowed: {', '.join(sorted(known))}"
            )
        try:
            number = int(value.strip().replace("_", ""))
        except ValueError:
            number = 0
        if number < 1:
            raise LimitsError(f"{ENV_VAR}: {name}: found {value!r}; allowed: an integer ≥ 1")
        changes[name] = number
    return replace(base or Limits(), **changes)


def over_limit(limits: Limits, name: str, found: str) -> str:
    """``found 1,500 keys in one mapping; allowed: at most 1,000 (raise max_mapping_keys in
    INNOPROC_LIMITS)``: every refusal for a limit says what was found, the limit, and how to
    raise it."""
    return f"found {found}; allowed: at most {getattr(limits, name):,} (raise {name} in {ENV_VAR})"


_current: Limits | None = None
_lock = threading.Lock()


def current_limits() -> Limits:
    """The limits in force: the defaults, raised by ``INNOPROC_LIMITS`` if it is set."""
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = parse_limits(os.environ.get(ENV_VAR, ""))
    return _current


def set_limits(**changes: int) -> Limits:
    """Change limits for this process (for a server or a batch that needs more); returns them."""
    global _current
    text = ",".join(f"{name}={value}" for name, value in changes.items())
    with _lock:
        _current = parse_limits(text, _current or parse_limits(os.environ.get(ENV_VAR, "")))
        return _current

"""The space of cases a group of tests can tell apart, small enough to search.

Static checks of a KB ask questions such as "whenever rule A fires, does rule B fire too?" or
"is there a case on which rules A and B both fire?". A test only looks at a few keys and, on
each, only at the values it names, so the cases that matter are few: for each key read, every
value the ontology allows (or, for numbers, a value on each side of every bound named), the
lists built from the values named, and "not stated". This module builds that space and
evaluates normal-form conjunctions on points of it, in the two-valued form the engine fires on
(a test on an unstated fact is not true; ``unknown`` is true exactly when the fact is not stated).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import combinations, product
from typing import Any

from innoproc.ontology import CaseKey, FactValue, Vocabulary

from .model import ConclusionTest, FactTest
from .normalform import Conjunct, SignedTest


class _Absent:
    """A fact the case does not state."""

    def __repr__(self) -> str:
        return "<not stated>"


ABSENT = _Absent()
Point = Mapping[str, FactValue | _Absent]
Atom = tuple[str, str | None, str | None]  # a conclusion test: (kind, id, about)
#: lists are built from at most this many named values (2**n lists); beyond it, give up
MAX_LIST_VALUES = 8


def atom(test: ConclusionTest) -> Atom:
    return (test.kind, test.id, test.about)


def fact_tests(conjuncts: Iterable[Conjunct]) -> dict[str, list[FactTest]]:
    """Key -> every fact test on it in these conjunctions."""
    found: dict[str, list[FactTest]] = {}
    for conjunct in conjuncts:
        for lit in conjunct:
            if isinstance(lit.test, FactTest):
                found.setdefault(lit.test.key, []).append(lit.test)
    return found


def domain(key: CaseKey, tests: list[FactTest]) -> list[FactValue | _Absent] | None:
    """The values of ``key`` worth trying against ``tests`` (None: too many to try)."""
    values: list[FactValue | _Absent]
    if key.is_choice and key.multi:
        named = {v for t in tests for v in t.values}
        base = [v for v in key.value_iris if v in named]
        base += [v for v in key.value_iris if v not in named][:1]  # stands for every other value
        if len(base) > MAX_LIST_VALUES:
            return None
        values = [
            tuple(chosen) for size in range(len(base) + 1) for chosen in combinations(base, size)
        ]
        if not key.allows_empty:
            values = values[1:]
    elif key.is_choice:
        values = list(key.value_iris)
    elif key.kind == "boolean":
        values = [True, False]
    elif key.kind in ("integer", "number"):
        values = list(_number_probes(key, tests))
    else:
        named_text: list[FactValue | _Absent] = sorted(
            {v for t in tests for v in t.values}, key=str
        )
        values = [*named_text, "\0any other text"]
    return values + [ABSENT]


def _number_probes(key: CaseKey, tests: list[FactTest]) -> Iterator[float]:
    bounds = {t.number for t in tests if t.number is not None}
    bounds |= {float(v) for t in tests for v in t.values if isinstance(v, int | float)}
    low = key.minimum if key.minimum is not None else -1e18
    high = key.maximum if key.maximum is not None else 1e18
    probes = {low, high}
    step = 1.0 if key.kind == "integer" else 0.5
    for bound in bounds:
        probes |= {bound - step, bound, bound + step}
    yield from sorted(p for p in probes if low <= p <= high)


def holds(lit: SignedTest, point: Point, reached: Mapping[Atom, bool]) -> bool:
    """Whether a literal is true at a point (two-valued, as the engine fires)."""
    test = lit.test
    if isinstance(test, ConclusionTest):
        return reached.get(atom(test), False) != lit.negated
    value = point.get(test.key, ABSENT)
    stated = lit.wants_stated
    if stated is not None:
        return (value is not ABSENT) == stated
    if isinstance(value, _Absent):
        return False
    return test.holds(value) != lit.negated


def conjunct_holds(conjunct: Conjunct, point: Point, reached: Mapping[Atom, bool]) -> bool:
    return all(holds(lit, point, reached) for lit in conjunct)


def points(
    conjunct: Conjunct, others: list[Conjunct], vocab: Vocabulary, limit: int
) -> Iterator[tuple[dict[str, Any], dict[Atom, bool]]] | None:
    """Every point at which ``conjunct`` holds, over the keys and conclusions that ``conjunct``
    and ``others`` read; None when there are more than ``limit`` (or a list key too wide).

    A conclusion that ``conjunct`` does not fix is tried both reached and not reached: points
    that no case can produce may be included, never points left out.
    """
    tests = fact_tests([conjunct, *others])
    domains: dict[str, list[Any]] = {}
    for key_name, key_tests in tests.items():
        found = domain(vocab.keys[key_name], key_tests)
        if found is None:
            return None
        own = [
            lit for lit in conjunct if isinstance(lit.test, FactTest) and lit.test.key == key_name
        ]
        domains[key_name] = [v for v in found if all(holds(lit, {key_name: v}, {}) for lit in own)]
    fixed: dict[Atom, bool] = {}
    for lit in conjunct:
        if isinstance(lit.test, ConclusionTest):
            want = not lit.negated
            if fixed.setdefault(atom(lit.test), want) != want:
                return iter(())  # the conjunction contradicts itself
    free = sorted(
        {
            atom(lit.test)
            for c in others
            for lit in c
            if isinstance(lit.test, ConclusionTest) and atom(lit.test) not in fixed
        },
        key=str,
    )
    size = 2 ** len(free)
    for values in domains.values():
        size *= len(values)
    if size > limit:
        return None
    names = list(domains)

    def generate() -> Iterator[tuple[dict[str, Any], dict[Atom, bool]]]:
        for combo in product(*domains.values()):
            point = dict(zip(names, combo, strict=True))
            for flags in product((False, True), repeat=len(free)):
                yield point, {**fixed, **dict(zip(free, flags, strict=True))}

    return generate()

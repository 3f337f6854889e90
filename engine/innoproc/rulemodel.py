"""The rule model: typed rules whose conditions are trees over case facts and conclusions.

Rule files are parsed into these objects (see :mod:`innoproc.ruleparser`) and nothing downstream
reads YAML. The experta compiler is one consumer; the three-valued evaluator, the KB checker and
future explanation features (why-not, what-if, interviews) read the same trees. Ontology classes
and orders are already resolved here into plain sets of case-form values, so evaluating a
condition never touches the ontology.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal as Lit

from .casegraph import FactValue

_COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
_SYMBOL = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


@dataclass(frozen=True)
class FactTest:
    """A test on one case fact.

    ``op`` is ``in`` (the value, or for a list key one of its items, is in ``values``), ``all_of``
    (a list key holds every one of ``values``), a comparison ``lt le gt ge`` against ``number``,
    or ``known``/``unknown`` (the case states the fact, or not).
    """

    key: str
    op: Lit["in", "all_of", "lt", "le", "gt", "ge", "known", "unknown"]
    values: frozenset = frozenset()
    number: float | None = None
    multi: bool = False
    written: str = ""  # the test as the rule author wrote it, for explanations
    line: int | None = None

    def holds(self, value: FactValue) -> bool:
        """Whether a stated value passes (``known`` and ``unknown`` are decided by presence)."""
        if self.op == "known":
            return True
        if self.op == "unknown":
            return False
        if self.op in _COMPARE:
            return _COMPARE[self.op](value, self.number)
        if self.op == "all_of":
            return self.values <= set(value)
        if self.multi:
            return any(item in self.values for item in value)
        return value in self.values

    def describe(self) -> str:
        if self.op in ("known", "unknown"):
            return f"{self.key} is {self.op}"
        if self.op in _COMPARE:
            return f"{self.key} {_SYMBOL[self.op]} {self.number:g}"
        return f"{self.key}: {self.written}"


@dataclass(frozen=True)
class ConclusionTest:
    """A test on the conclusions reached so far: one by id, or any of a kind resting on a clause."""

    kind: Lit["finding", "recommendation"]
    id: str | None = None
    about: str | None = None
    line: int | None = None

    def describe(self) -> str:
        return f"{self.kind} {self.id}" if self.id else f"a {self.kind} about {self.about}"


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


@dataclass(frozen=True)
class AtLeast:
    count: int
    items: tuple[Condition, ...]


Condition = FactTest | ConclusionTest | All | AnyOf | Not | AtLeast


@dataclass(frozen=True)
class Conclusion:
    """What a rule concludes: a finding (challenge or risk) or a recommendation."""

    kind: Lit["finding", "recommendation"]
    id: str
    summary: str
    finding_kind: Lit["challenge", "risk"] | None = None
    severity: Lit["low", "medium", "high"] | None = None
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the knowledge base, as parsed and checked."""

    id: str
    title: str
    clauses: tuple[str, ...]
    rationale: str
    priority: int
    when: Condition
    then: Conclusion
    references: tuple[str, ...] = ()
    theme: str = ""
    source: str = ""
    line: int | None = None
    ordinal: int = 0  # position in the KB, file by file: the tie-break of last resort
    stratum: int = field(default=0, compare=False)


def leaves(condition: Condition) -> Iterator[FactTest | ConclusionTest]:
    """Every fact and conclusion test in a condition tree."""
    if isinstance(condition, FactTest | ConclusionTest):
        yield condition
    elif isinstance(condition, Not):
        yield from leaves(condition.item)
    else:
        for item in condition.items:
            yield from leaves(item)

"""The rule model: typed rules whose conditions are trees over case facts and conclusions.

Rule files are parsed into these objects (see :mod:`innoproc.rules.loader`) and nothing downstream
reads YAML. The engine backends are consumers; the three-valued semantics, the KB checks and
the explanation features (why-not, what-if, interviews) read the same trees. Ontology classes
and orders are already resolved here into plain sets of case-form values, so evaluating a
condition never touches the ontology.

The two questions every consumer asks of a test are answered here and nowhere else: whether a
stated value passes a fact test (:meth:`FactTest.holds`, with :attr:`FactTest.presence` for the
``known``/``unknown`` tests, which look at whether the fact is stated at all), and whether a
conclusion satisfies a conclusion test (:meth:`ConclusionTest.satisfied_by`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from innoproc.ontology import ConclusionKind, FactValue

FactOp = Literal["in", "all_of", "lt", "le", "gt", "ge", "known", "unknown"]
Kind = Literal["finding", "recommendation"]
FindingKind = Literal["challenge", "risk"]
Severity = Literal["low", "medium", "high"]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
_SYMBOL = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
_PRESENCE = {"known": True, "unknown": False}


@dataclass(frozen=True)
class FactTest:
    """A test on one case fact.

    ``op`` is ``in`` (the value, or for a list key one of its items, is in ``values``), ``all_of``
    (a list key holds every one of ``values``), a comparison ``lt le gt ge`` against ``number``,
    or ``known``/``unknown`` (the case states the fact, or not).
    """

    key: str
    op: FactOp
    values: frozenset[FactValue] = frozenset()
    number: float | None = None
    multi: bool = False
    written: str = ""  # the test as the rule author wrote it, for explanations
    line: int | None = None

    @property
    def presence(self) -> bool | None:
        """For ``known``/``unknown``: whether the test wants the fact stated; else None.

        These two tests are decided by whether the case states the key, never by its value, so
        they are the only fact tests that can hold on an unknown fact.
        """
        return _PRESENCE.get(self.op)

    def holds(self, value: FactValue) -> bool:
        """Whether a stated value passes (``known`` and ``unknown`` are decided by presence).

        Runs for every test of every rule on every case: the common operator is tried first.
        """
        op = self.op
        if op == "in":
            if self.multi:
                return any(item in self.values for item in value)  # type: ignore[union-attr]
            return value in self.values
        if op == "all_of":
            return self.values <= set(value)  # type: ignore[arg-type]
        compare = _COMPARE.get(op)
        if compare is not None:
            return compare(value, self.number)
        return _PRESENCE[op]

    def describe(self) -> str:
        if self.presence is not None:
            return f"{self.key} is {self.op}"
        if self.op in _COMPARE:
            return f"{self.key} {_SYMBOL[self.op]} {self.number:g}"
        return f"{self.key}: {self.written}"


@dataclass(frozen=True)
class ConclusionTest:
    """A test on the conclusions reached so far: one by id, or any of a kind resting on a clause."""

    kind: Kind
    id: str | None = None
    about: str | None = None
    line: int | None = None

    def satisfied_by(self, conclusion: Conclusion, clauses: tuple[str, ...]) -> bool:
        """Whether a conclusion (drawn by a rule citing ``clauses``) satisfies this test."""
        if conclusion.kind != self.kind:
            return False
        if self.id is not None:
            return conclusion.id == self.id
        return self.about in clauses

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

    kind: Kind
    id: str
    summary: str
    finding_kind: FindingKind | None = None
    severity: Severity | None = None
    actions: tuple[str, ...] = ()
    #: for a recommendation, the course of action it proposes (an ontology notation), if stated
    course: str | None = None
    #: a recommendation that confirms what the case already does well ("already in place")
    confirms: bool = False

    @property
    def conclusion_kind(self) -> ConclusionKind:
        """The kind as the ontology's clause scheme names it (which clauses may ground it)."""
        if self.kind == "recommendation":
            return "recommendation"
        return "challenge-finding" if self.finding_kind == "challenge" else "risk-finding"


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

    def concludes(self, test: ConclusionTest) -> bool:
        """Whether this rule's conclusion satisfies ``test``."""
        return test.satisfied_by(self.then, self.clauses)


def leaves(condition: Condition) -> Iterator[FactTest | ConclusionTest]:
    """Every fact and conclusion test in a condition tree."""
    if isinstance(condition, FactTest | ConclusionTest):
        yield condition
    elif isinstance(condition, Not):
        yield from leaves(condition.item)
    else:
        for item in condition.items:
            yield from leaves(item)


def producers(rules: list[RuleSpec] | tuple[RuleSpec, ...], test: ConclusionTest) -> list[RuleSpec]:
    """Rules whose conclusion can satisfy a conclusion test."""
    return [r for r in rules if r.concludes(test)]

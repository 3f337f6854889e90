"""Compile the rule model onto experta.

A rule's condition is put in disjunctive normal form and its conjunctions are grouped by the
conclusion literals they test; each group becomes one experta rule. The case is one
``CaseFacts`` fact (experta's cost grows with the number of facts declared, not with their
fields), matched by a pattern shared by every rule that reads facts, and a ``TEST`` holds when
the fact literals of any conjunction in the group hold on it (rules that read only conclusions
do not join the case fact at all). Conclusion literals become joins on ``Reached`` facts
and ``NOT``s over them, so chaining from facts to findings to recommendations to strategy is
experta's RETE work. A rule that compiles to several experta rules, or whose premises may match
several conclusions, also requires that its own conclusion has not been reached, so it fires at
most once per case whichever branch matched first. Salience puts lower strata first, then higher
priority.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from inspect import Parameter, Signature
from typing import Any

from innoproc.ontology import FactValue
from innoproc.rules import ConclusionTest, FactTest, RuleSpec, producers
from innoproc.rules.normalform import SignedTest, dnf

from ._experta import AS, NOT, TEST, Fact, KnowledgeEngine, P, Rule
from .conflict_resolution import TotalOrderResolution
from .matcher import OnceResetMatcher
from .protocol import Firing

_STRATUM_SPAN = 1000  # priorities are 0..100, so strata never overlap


class CaseFacts(Fact):  # type: ignore[misc]
    """All stated facts of the case under advice, one field per case-form key."""


class Reached(Fact):  # type: ignore[misc]
    """A conclusion reached by a rule: ``id``, ``kind`` and the ``clauses`` it rests on."""


@dataclass(frozen=True)
class Branch:
    """One compiled experta rule: the conjunctions of a rule that test the same conclusions."""

    rule: RuleSpec
    index: int
    conclusions: tuple[SignedTest, ...]
    alternatives: tuple[tuple[SignedTest, ...], ...]  # the fact literals of each conjunction
    guarded: bool = True  # must also test that its conclusion is not reached yet

    @cached_property
    def _alternative_checks(self) -> list[tuple[Callable[[Any], bool], tuple[str, ...]]]:
        return [
            (_alternatives_check((alt,)), tuple(dict.fromkeys(_key(lit) for lit in alt)))
            for alt in self.alternatives
        ]

    def keys_read(self, case: Any) -> tuple[str, ...]:
        """Case keys behind a firing: those of the first alternative that holds for ``case``."""
        return next((keys for holds, keys in self._alternative_checks if holds(case)), ())

    @property
    def absent(self) -> tuple[str, ...]:
        """Descriptions of the conclusions this branch requires to be absent."""
        return tuple(lit.describe() for lit in self.conclusions if lit.negated)


class AdvisorEngine(KnowledgeEngine):  # type: ignore[misc]
    """Base class of compiled engines: runs one case at a time and records every firing."""

    __strategy__ = TotalOrderResolution
    __matcher__ = OnceResetMatcher

    def __init__(self) -> None:
        super().__init__()
        self.firings: list[Firing] = []

    def run_case(self, facts: Mapping[str, FactValue]) -> list[Firing]:
        """Reset, declare the case and run to quiescence; the firings in order."""
        self.firings = []
        self.reset()
        self.declare(CaseFacts(**facts))
        try:
            self.run()
        finally:
            self.running = False
        return self.firings


def _key(lit: SignedTest) -> str:
    assert isinstance(lit.test, FactTest)
    return lit.test.key


def _literal_check(lit: SignedTest) -> Callable[[Any], bool]:
    """A predicate on the case fact for one fact literal, in two-valued form.

    A missing key fails every test except ``unknown``: a rule must be *true* to fire, and a
    test on an unknown fact is not. Built once per literal at compile time, because these
    predicates run for every rule on every case.
    """
    key, negated, want_stated = _key(lit), lit.negated, lit.wants_stated
    if want_stated is not None:
        return lambda case: (key in case) == want_stated
    assert isinstance(lit.test, FactTest)
    holds = lit.test.holds
    return lambda case: key in case and holds(case[key]) != negated


def _alternatives_check(
    alternatives: tuple[tuple[SignedTest, ...], ...],
) -> Callable[[Any], bool]:
    """A predicate on the case fact: does any alternative hold in full?"""
    compiled = [[_literal_check(lit) for lit in alt] for alt in alternatives]

    def check(case: Any) -> bool:
        for checks in compiled:
            for literal_holds in checks:
                if not literal_holds(case):
                    break
            else:
                return True
        return False

    return check


def _alternatives_test(alternatives: tuple[tuple[SignedTest, ...], ...]) -> Any:
    """A TEST element that holds when any alternative holds on the bound case fact."""
    check = _alternatives_check(alternatives)

    def test(**bindings: Any) -> bool:
        return check(bindings["case"])

    # experta passes TEST the bindings named in its signature; name only the case fact
    test.__signature__ = Signature(  # type: ignore[attr-defined]
        [Parameter("case", Parameter.KEYWORD_ONLY)]
    )
    return TEST(test)


class _ConclusionPatterns:
    """The ``Reached`` pattern of each conclusion test, built from the rule model's own answer.

    Which conclusions satisfy a test is decided once, at compile time, by
    :meth:`~innoproc.rules.model.ConclusionTest.satisfied_by` over the KB's rules; the pattern
    then matches a ``Reached`` fact by id. Equal tests share one field constraint, so experta
    builds one alpha node for them (a pattern object itself can be bound only once).
    """

    def __init__(self, rules: list[RuleSpec]):
        self.rules = rules
        self._constraints: dict[tuple[str, str | None, str | None], Any] = {}

    def __call__(self, test: ConclusionTest) -> Reached:
        key = (test.kind, test.id, test.about)
        if key not in self._constraints:
            ids = frozenset(r.then.id for r in producers(self.rules, test))
            self._constraints[key] = (
                next(iter(ids)) if len(ids) == 1 else P(lambda found: found in ids)
            )
        # the kind first: experta then sorts Reached facts by kind before it compares ids
        return Reached(kind=test.kind, id=self._constraints[key])


def _compile_branch(
    branch: Branch, salience: int, pattern_of: _ConclusionPatterns
) -> tuple[Rule, Any]:
    reads_facts = any(branch.alternatives)
    has_premise = any(not lit.negated for lit in branch.conclusions)
    patterns: list[Any] = []
    if reads_facts or not has_premise:  # a rule on conclusions alone need not join the case
        patterns.append(AS.case << CaseFacts())
    if reads_facts:
        patterns.append(_alternatives_test(branch.alternatives))
    premise_names: list[str] = []
    for lit in branch.conclusions:
        if lit.negated:
            patterns.append(NOT(pattern_of(_conclusion_test(lit))))
        else:
            name = f"p{len(premise_names)}"
            premise_names.append(name)
            patterns.append(getattr(AS, name) << pattern_of(_conclusion_test(lit)))
    if branch.guarded:  # another branch, or another matching premise, could fire it again
        patterns.append(NOT(Reached(id=branch.rule.then.id)))
    spec = branch.rule
    absent = branch.absent
    conclusion = spec.then

    def fire(engine: AdvisorEngine, case: Any = None, **premises: Any) -> None:
        keys = branch.keys_read(case) if case is not None else ()
        engine.firings.append(
            Firing(
                rule_id=spec.id,
                conclusion_id=conclusion.id,
                facts=tuple((key, case.get(key)) for key in keys),
                premises=tuple(premises[name]["id"] for name in premise_names),
                absent=absent,
            )
        )
        engine.declare(Reached(id=conclusion.id, kind=conclusion.kind, clauses=spec.clauses))

    fire.__name__ = f"rule_{spec.ordinal}_{branch.index}"
    fire.ordinal = spec.ordinal  # type: ignore[attr-defined]  # copied onto the Rule by experta
    fire.branch = branch.index  # type: ignore[attr-defined]  # both read by conflict resolution
    rule = Rule(*patterns, salience=salience)(fire)
    return rule, fire


def _conclusion_test(lit: SignedTest) -> ConclusionTest:
    assert isinstance(lit.test, ConclusionTest)
    return lit.test


def branches(rules: list[RuleSpec]) -> list[Branch]:
    """The experta rules to build, in KB order: one per rule and set of conclusion literals."""
    result = []
    for rule in rules:
        groups: dict[tuple[SignedTest, ...], list[tuple[SignedTest, ...]]] = {}
        for conjunct in dnf(rule.when):
            conclusions = tuple(lit for lit in conjunct if isinstance(lit.test, ConclusionTest))
            facts = tuple(lit for lit in conjunct if isinstance(lit.test, FactTest))
            groups.setdefault(conclusions, []).append(facts)
        for index, (conclusions, alternatives) in enumerate(groups.items()):
            result.append(Branch(rule, index, conclusions, tuple(alternatives)))
        if len(groups) == 1:
            (only,) = groups
            if all(_conclusion_test(lit).id is not None for lit in only if not lit.negated):
                # one branch whose premises are named conclusions matches one set of facts
                result[-1] = replace(result[-1], guarded=False)
    return result


def compile_engine(rules: list[RuleSpec]) -> type[AdvisorEngine]:
    """A KnowledgeEngine subclass holding the experta rules of every rule in the KB."""
    top = max((r.stratum for r in rules), default=0)
    pattern_of = _ConclusionPatterns(rules)
    members: dict[str, Any] = {}
    for branch in branches(rules):
        salience = (top - branch.rule.stratum) * _STRATUM_SPAN + branch.rule.priority
        rule, fire = _compile_branch(branch, salience, pattern_of)
        members[fire.__name__] = rule
    return type("CompiledAdvisorEngine", (AdvisorEngine,), members)

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

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, cached_property
from inspect import Parameter, Signature
from typing import Any

from ._experta import AS, NOT, TEST, Fact, KnowledgeEngine, P, Rule
from .matcher import OnceResetMatcher
from .normalform import Literal, dnf
from .rulemodel import ConclusionTest, FactTest, RuleSpec
from .strategy import TotalOrderStrategy

_STRATUM_SPAN = 1000  # priorities are 0..100, so strata never overlap


class CaseFacts(Fact):
    """All stated facts of the case under advice, one field per case-form key."""


class Reached(Fact):
    """A conclusion reached by a rule: ``id``, ``kind`` and the ``clauses`` it rests on."""


@dataclass(frozen=True)
class Branch:
    """One compiled experta rule: the conjunctions of a rule that test the same conclusions."""

    rule: RuleSpec
    index: int
    conclusions: tuple[Literal, ...]
    alternatives: tuple[tuple[Literal, ...], ...]  # the fact literals of each conjunction
    guarded: bool = True  # must also test that its conclusion is not reached yet

    @cached_property
    def _alternative_checks(self) -> list[tuple[Callable[[Any], bool], tuple[str, ...]]]:
        return [
            (_alternatives_check((alt,)), tuple(dict.fromkeys(lit.test.key for lit in alt)))
            for alt in self.alternatives
        ]

    def keys_read(self, case: Any) -> tuple[str, ...]:
        """Case keys behind a firing: those of the first alternative that holds for ``case``."""
        return next((keys for holds, keys in self._alternative_checks if holds(case)), ())

    @property
    def absent(self) -> tuple[str, ...]:
        """Descriptions of the conclusions this branch requires to be absent."""
        return tuple(lit.describe() for lit in self.conclusions if lit.negated)


@dataclass(frozen=True)
class Firing:
    """One rule firing: the rule, what it read and what it concluded."""

    rule_id: str
    conclusion_id: str
    facts: tuple[tuple[str, Any], ...]  # (key, value); value None when the rule read "unknown"
    premises: tuple[str, ...]  # ids of the earlier conclusions it matched
    absent: tuple[str, ...]  # conclusions it required to be absent


class AdvisorEngine(KnowledgeEngine):
    """Base class of compiled engines: runs one case at a time and records every firing."""

    __strategy__ = TotalOrderStrategy
    __matcher__ = OnceResetMatcher

    def __init__(self) -> None:
        super().__init__()
        self.firings: list[Firing] = []

    def run_case(self, facts: dict[str, Any]) -> list[Firing]:
        """Reset, declare the case and run to quiescence; the firings in order."""
        self.firings = []
        self.reset()
        self.declare(CaseFacts(**facts))
        try:
            self.run()
        finally:
            self.running = False
        return self.firings


def _literal_check(lit: Literal) -> Callable[[Any], bool]:
    """A predicate on the case fact for one fact literal, in two-valued form.

    A missing key fails every test except ``unknown``: a rule must be *true* to fire, and a
    test on an unknown fact is not. Built once per literal at compile time, because these
    predicates run for every rule on every case.
    """
    test, key, negated = lit.test, lit.test.key, lit.negated
    if test.op in ("known", "unknown"):
        want_stated = (test.op == "known") != negated
        return lambda case: (key in case) == want_stated
    holds = test.holds
    return lambda case: key in case and holds(case[key]) != negated


def _alternatives_check(alternatives: tuple[tuple[Literal, ...], ...]):
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


def _alternatives_test(alternatives: tuple[tuple[Literal, ...], ...]):
    """A TEST element that holds when any alternative holds on the bound case fact."""
    check = _alternatives_check(alternatives)

    def test(**bindings: Any) -> bool:
        return check(bindings["case"])

    # experta passes TEST the bindings named in its signature; name only the case fact
    test.__signature__ = Signature([Parameter("case", Parameter.KEYWORD_ONLY)])
    return TEST(test)


@cache
def _clause_check(clause: str) -> Any:
    """One shared field constraint per clause, so experta builds one alpha node for it."""
    return P(lambda clauses: clause in clauses)


def _conclusion_pattern(test: ConclusionTest) -> Reached:
    if test.id is not None:
        return Reached(id=test.id, kind=test.kind)
    return Reached(kind=test.kind, clauses=_clause_check(test.about))


def _compile_branch(branch: Branch, salience: int) -> tuple[Rule, Any]:
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
            patterns.append(NOT(_conclusion_pattern(lit.test)))
        else:
            name = f"p{len(premise_names)}"
            premise_names.append(name)
            patterns.append(getattr(AS, name) << _conclusion_pattern(lit.test))
    if branch.guarded:  # another branch, or another matching premise, could fire it again
        patterns.append(NOT(Reached(id=branch.rule.then.id)))
    spec = branch.rule
    absent = branch.absent
    conclusion = spec.then

    def fire(engine: AdvisorEngine, case=None, **premises) -> None:
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
    fire.ordinal = spec.ordinal  # copied onto the Rule by experta; read by the strategy
    fire.branch = branch.index
    rule = Rule(*patterns, salience=salience)(fire)
    return rule, fire


def branches(rules: list[RuleSpec]) -> list[Branch]:
    """The experta rules to build, in KB order: one per rule and set of conclusion literals."""
    result = []
    for rule in rules:
        groups: dict[tuple[Literal, ...], list[tuple[Literal, ...]]] = {}
        for conjunct in dnf(rule.when):
            conclusions = tuple(lit for lit in conjunct if isinstance(lit.test, ConclusionTest))
            facts = tuple(lit for lit in conjunct if isinstance(lit.test, FactTest))
            groups.setdefault(conclusions, []).append(facts)
        for index, (conclusions, alternatives) in enumerate(groups.items()):
            result.append(Branch(rule, index, conclusions, tuple(alternatives)))
        if len(groups) == 1 and not any(lit.test.about and not lit.negated for lit in conclusions):
            # one branch whose premises are named conclusions matches at most one set of facts
            result[-1] = replace(result[-1], guarded=False)
    return result


def compile_engine(rules: list[RuleSpec]) -> type[AdvisorEngine]:
    """A KnowledgeEngine subclass holding the experta rules of every rule in the KB."""
    top = max((r.stratum for r in rules), default=0)
    members: dict[str, Any] = {}
    for branch in branches(rules):
        salience = (top - branch.rule.stratum) * _STRATUM_SPAN + branch.rule.priority
        rule, fire = _compile_branch(branch, salience)
        members[fire.__name__] = rule
    return type("CompiledAdvisorEngine", (AdvisorEngine,), members)

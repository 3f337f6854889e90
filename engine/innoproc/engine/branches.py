"""The rule model cut into branches: what every engine backend compiles, one rule at a time.

A rule's condition is put in disjunctive normal form and its conjunctions are grouped by the
conclusion literals they test; each group is a :class:`Branch` whose fact literals form
alternatives. Both backends compile the same branches in the same order (experta one rule per
branch, CLIPS one rule per alternative), and both record a firing's facts with
:meth:`Branch.keys_read`, so they justify a conclusion the same way. This module imports no
engine library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from innoproc.rules import ConclusionTest, FactTest, RuleSpec
from innoproc.rules.normalform import SignedTest, dnf


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

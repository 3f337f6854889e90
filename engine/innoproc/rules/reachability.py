"""Find rules that can never fire, whatever the case says.

A rule is unreachable when every conjunction of its condition (in disjunctive normal form) is
contradictory: two tests on one key that no value passes together (``trl: {le: 3}`` with
``trl: {ge: 5}``, ``procedure: open`` with ``not: {procedure: {is_a: RigidProcedure}}``), a key
required both stated and unknown, a conclusion required both present and absent, or a premise
that only unreachable rules produce. The check runs on the rule model when the KB is loaded, so
a knowledge engineer hears about a dead rule at once, with its file and line.
"""

from __future__ import annotations

from innoproc.errors import Problem
from innoproc.ontology import CaseKey, FactValue, Vocabulary

from .model import ConclusionTest, FactTest, RuleSpec, producers
from .normalform import Conjunct, SignedTest, dnf

_PROBE_NUMBERS = (-1e18, 1e18)


def unreachable_rules(rules: list[RuleSpec], vocab: Vocabulary) -> list[Problem]:
    """One problem per rule that no case can make fire."""
    alive: dict[str, bool] = {}
    for rule in sorted(rules, key=lambda r: (r.stratum, r.ordinal)):
        alive[rule.id] = any(_satisfiable(c, vocab, rules, alive) for c in dnf(rule.when))
    return [
        Problem(
            r.source,
            f"rule {r.id} can never fire: every way of meeting its condition "
            "contradicts itself (or needs a conclusion no live rule reaches)",
            r.line,
            code="kb/unreachable",
        )
        for r in rules
        if not alive[r.id]
    ]


def _satisfiable(
    conjunct: Conjunct, vocab: Vocabulary, rules: list[RuleSpec], alive: dict[str, bool]
) -> bool:
    by_key: dict[str, list[SignedTest]] = {}
    for lit in conjunct:
        if isinstance(lit.test, FactTest):
            by_key.setdefault(lit.test.key, []).append(lit)
        elif not _conclusion_possible(lit, conjunct, rules, alive):
            return False
    return all(_key_satisfiable(key, lits, vocab) for key, lits in by_key.items())


def _conclusion_possible(
    lit: SignedTest, conjunct: Conjunct, rules: list[RuleSpec], alive: dict[str, bool]
) -> bool:
    test = lit.test
    assert isinstance(test, ConclusionTest)
    if lit.negated:
        return SignedTest(test) not in conjunct
    return any(alive.get(r.id, True) for r in producers(rules, test))


def _key_satisfiable(key: str, lits: list[SignedTest], vocab: Vocabulary) -> bool:
    """Whether some stated value (or absence) passes every literal on one key."""
    wants_unknown = [not lit.wants_stated for lit in lits if lit.wants_stated is not None]
    value_tests = [lit for lit in lits if lit.wants_stated is None]
    if any(wants_unknown):
        return all(wants_unknown) and not value_tests
    case_key = vocab.keys[key]
    if case_key.multi:
        return True  # a list can hold several values at once: leave lists to the tests
    for candidate in _candidates(case_key, value_tests):
        if all(_holds(lit, candidate) for lit in value_tests):
            return True
    return False


def _holds(lit: SignedTest, value: FactValue) -> bool:
    assert isinstance(lit.test, FactTest)
    return lit.test.holds(value) != lit.negated


def _candidates(case_key: CaseKey, lits: list[SignedTest]) -> list[FactValue]:
    if case_key.is_choice:
        return list(case_key.value_iris)
    if case_key.kind == "boolean":
        return [True, False]
    tests = [lit.test for lit in lits if isinstance(lit.test, FactTest)]
    if case_key.kind in ("integer", "number"):
        bounds: set[float] = {t.number for t in tests if t.number is not None}
        bounds |= {float(v) for t in tests for v in t.values if isinstance(v, int | float)}
        probes: set[float] = set(_PROBE_NUMBERS)
        for b in bounds:
            probes |= {b - 1, b - 0.5, b, b + 0.5, b + 1}
        if case_key.kind == "integer":
            probes = {p for p in probes if float(p).is_integer()}
        return sorted(probes)
    return [v for t in tests for v in t.values] + ["\0other"]

"""Find rules that can never fire, whatever the case says.

A rule is unreachable when every conjunction of its condition (in disjunctive normal form) is
contradictory: two tests on one key that no value passes together (``trl: {le: 3}`` with
``trl: {ge: 5}``, ``procedure: open`` with ``not: {procedure: {is_a: RigidProcedure}}``), a key
required both stated and unknown, a conclusion required both present and absent, or a premise
that only unreachable rules produce. The check runs on the rule model when the KB is loaded, so
a knowledge engineer hears about a dead rule at once, with its file and line.
"""

from __future__ import annotations

from .errors import Problem
from .normalform import Conjunct, Literal, dnf
from .rulemodel import ConclusionTest, FactTest, RuleSpec
from .vocabulary import Vocabulary

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
        )
        for r in rules
        if not alive[r.id]
    ]


def _satisfiable(
    conjunct: Conjunct, vocab: Vocabulary, rules: list[RuleSpec], alive: dict[str, bool]
) -> bool:
    by_key: dict[str, list[Literal]] = {}
    for lit in conjunct:
        if isinstance(lit.test, FactTest):
            by_key.setdefault(lit.test.key, []).append(lit)
        elif not _conclusion_possible(lit, conjunct, rules, alive):
            return False
    return all(_key_satisfiable(key, lits, vocab) for key, lits in by_key.items())


def _conclusion_possible(
    lit: Literal, conjunct: Conjunct, rules: list[RuleSpec], alive: dict[str, bool]
) -> bool:
    test: ConclusionTest = lit.test
    if lit.negated:
        return Literal(test) not in conjunct
    makers = [
        r
        for r in rules
        if (
            r.then.id == test.id
            if test.id
            else (r.then.kind == test.kind and test.about in r.clauses)
        )
    ]
    return any(alive.get(r.id, True) for r in makers)


def _key_satisfiable(key: str, lits: list[Literal], vocab: Vocabulary) -> bool:
    """Whether some stated value (or absence) passes every literal on one key."""
    wants_unknown = [
        (lit.test.op == "unknown") != lit.negated
        for lit in lits
        if lit.test.op in ("known", "unknown")
    ]
    value_tests = [lit for lit in lits if lit.test.op not in ("known", "unknown")]
    if any(wants_unknown):
        return all(wants_unknown) and not value_tests
    case_key = vocab.keys[key]
    if case_key.multi:
        return True  # a list can hold several values at once: leave lists to the tests
    for candidate in _candidates(case_key, value_tests):
        if all(lit.test.holds(candidate) != lit.negated for lit in value_tests):
            return True
    return False


def _candidates(case_key, lits: list[Literal]) -> list:
    if case_key.is_choice:
        return list(case_key.values)
    if case_key.kind == "boolean":
        return [True, False]
    if case_key.kind in ("integer", "number"):
        bounds = {lit.test.number for lit in lits if lit.test.number is not None}
        bounds |= {v for lit in lits for v in lit.test.values}
        probes = set(_PROBE_NUMBERS)
        for b in bounds:
            probes |= {b - 1, b - 0.5, b, b + 0.5, b + 1}
        if case_key.kind == "integer":
            probes = {p for p in probes if float(p).is_integer()}
        return sorted(probes)
    return [v for lit in lits for v in lit.test.values] + ["\0other"]

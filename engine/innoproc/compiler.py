"""Compile the rule model onto experta.

Each rule becomes one experta rule per conjunction of its condition's disjunctive normal form.
All fact literals of a conjunction test the single ``CaseFacts`` fact (one fact per case keeps
experta's propagation cost low: it grows with the number of facts, not of fields); conclusion
literals match ``Reached`` facts. Every branch also requires that its own conclusion has not been
reached, so a rule fires at most once per case whichever branch matched first. Salience puts
lower strata first, then higher priority.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._experta import AS, NOT, Fact, KnowledgeEngine, P, Rule, W
from .normalform import Conjunct, Literal, dnf
from .rulemodel import ConclusionTest, FactTest, RuleSpec
from .strategy import TotalOrderStrategy

_STRATUM_SPAN = 1000  # priorities are 0..100, so strata never overlap


class CaseFacts(Fact):
    """All stated facts of the case under advice, one field per case-form key."""


class Reached(Fact):
    """A conclusion reached by a rule: ``id``, ``kind`` and the ``clauses`` it rests on."""


@dataclass(frozen=True)
class Branch:
    """One compiled conjunction of a rule, with what its firing must record."""

    rule: RuleSpec
    index: int
    conjunct: Conjunct

    @property
    def fact_keys(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(lit.test.key for lit in self.conjunct if isinstance(lit.test, FactTest))
        )

    @property
    def absent(self) -> tuple[str, ...]:
        """Descriptions of the conclusions this branch required to be absent."""
        return tuple(
            lit.describe()
            for lit in self.conjunct
            if isinstance(lit.test, ConclusionTest) and lit.negated
        )


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


def _field_check(literals: list[Literal]):
    """One experta field constraint that passes when every literal on this key holds."""
    tests = [(lit.test.holds, lit.negated) for lit in literals]

    def check(value: Any) -> bool:
        return all(holds(value) != negated for holds, negated in tests)

    return P(check)


def _conclusion_pattern(test: ConclusionTest) -> Reached:
    if test.id is not None:
        return Reached(id=test.id, kind=test.kind)
    about = test.about
    return Reached(kind=test.kind, clauses=P(lambda clauses: about in clauses))


def _compile_branch(branch: Branch, salience: int) -> tuple[Rule, Any]:
    fields: dict[str, list[Literal]] = {}
    absent_keys: list[str] = []
    patterns: list[Any] = []
    premise_names: list[str] = []
    for lit in branch.conjunct:
        test = lit.test
        if isinstance(test, FactTest):
            if test.op in ("known", "unknown"):
                if (test.op == "unknown") != lit.negated:  # the fact must be absent
                    absent_keys.append(test.key)
                else:  # the fact must be stated, whatever its value
                    fields.setdefault(test.key, [])
            else:  # stated and passing (or, negated, stated and failing) the test
                fields.setdefault(test.key, []).append(lit)
        elif lit.negated:
            patterns.append(NOT(_conclusion_pattern(test)))
        else:
            name = f"p{len(premise_names)}"
            premise_names.append(name)
            patterns.append(getattr(AS, name) << _conclusion_pattern(test))

    checks = {key: (_field_check(lits) if lits else W()) for key, lits in fields.items()}
    case_pattern = AS.case << CaseFacts(**checks)
    negated_cases = [NOT(CaseFacts(**{key: W()})) for key in absent_keys]
    own = NOT(Reached(id=branch.rule.then.id))
    spec = branch.rule
    keys = branch.fact_keys
    absent = branch.absent
    conclusion = spec.then

    def fire(engine: AdvisorEngine, case, **premises) -> None:
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
    rule = Rule(case_pattern, *negated_cases, *patterns, own, salience=salience)(fire)
    return rule, fire


def branches(rules: list[RuleSpec]) -> list[Branch]:
    """Every (rule, conjunct) pair, in KB order."""
    return [Branch(rule, i, conj) for rule in rules for i, conj in enumerate(dnf(rule.when))]


def compile_engine(rules: list[RuleSpec]) -> type[AdvisorEngine]:
    """A KnowledgeEngine subclass holding one experta rule per branch of every rule."""
    top = max((r.stratum for r in rules), default=0)
    members: dict[str, Any] = {}
    for branch in branches(rules):
        salience = (top - branch.rule.stratum) * _STRATUM_SPAN + branch.rule.priority
        rule, fire = _compile_branch(branch, salience)
        members[fire.__name__] = rule
    return type("CompiledAdvisorEngine", (AdvisorEngine,), members)

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

import inspect
from collections.abc import Mapping
from inspect import Parameter, Signature
from itertools import chain
from typing import Any

from innoproc.ontology import FactValue
from innoproc.rules import ConclusionTest, RuleSpec, producers
from innoproc.rules.normalform import SignedTest

from ._experta import AS, NOT, TEST, Agenda, DefFacts, Fact, FactList, KnowledgeEngine, P, Rule
from .branches import Branch, _alternatives_check, _conclusion_test, branches
from .conflict_resolution import TotalOrderResolution
from .matcher import OnceResetMatcher
from .protocol import Firing

_STRATUM_SPAN = 1000  # priorities are 0..100, so strata never overlap

#: engine class -> names of its DefFacts members (see AdvisorEngine.get_deffacts)
_DEFFACTS_NAMES: dict[type, tuple[str, ...]] = {}


class CaseFacts(Fact):  # type: ignore[misc]
    """All stated facts of the case under advice, one field per case-form key."""


class Reached(Fact):  # type: ignore[misc]
    """A conclusion reached by a rule: ``id``, ``kind`` and the ``clauses`` it rests on."""


class AdvisorEngine(KnowledgeEngine):  # type: ignore[misc]
    """Base class of compiled engines: runs one case at a time and records every firing."""

    __strategy__ = TotalOrderResolution
    __matcher__ = OnceResetMatcher

    def __init__(self) -> None:
        super().__init__()
        self.firings: list[Firing] = []

    def get_deffacts(self) -> list[Any]:
        """experta's startup facts (its DefFacts members), as experta's own method gives them.

        experta's version finds them with ``inspect.getmembers`` over the whole engine on every
        ``reset``, that is on every case; the names of those members depend only on the class,
        so they are listed once per class and looked up by name afterwards (which still binds
        each to this engine, as experta's lookup does).
        """
        cls = type(self)
        names = _DEFFACTS_NAMES.get(cls)
        if names is None:
            names = _DEFFACTS_NAMES[cls] = tuple(
                name for name, member in inspect.getmembers(self) if isinstance(member, DefFacts)
            )
        found = [getattr(self, name) for name in names]
        for deffacts in found:
            deffacts.ke = self
        return sorted(found, key=lambda deffacts: deffacts.order)

    def reset(self, **kwargs: Any) -> None:
        """experta's ``reset``, minus a signature check per startup-fact generator per call.

        experta inspects each DefFacts' signature on every reset to pass it the keyword
        arguments it accepts; without arguments (how every case is run) each is called bare
        whatever its signature, so that check is skipped. With arguments, experta's own reset.
        """
        if kwargs:
            super().reset(**kwargs)
            return
        self.agenda = Agenda()
        self.facts = FactList()
        self.matcher.reset()
        startup = [deffacts() for deffacts in self.get_deffacts()]
        self._KnowledgeEngine__declare(*chain.from_iterable(startup))
        self.running = False

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

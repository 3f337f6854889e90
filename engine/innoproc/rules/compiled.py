"""Conditions compiled into Python closures, for analyses that evaluate a case many times.

:func:`innoproc.rules.semantics.truth` walks the condition tree and dispatches on each node's
type every time; the open-questions analysis and the what-if search run the rules thousands of
times per case, so each condition is turned once into nested closures that compute exactly the
same three-valued truth (the tests compare the two on every rule, on library and random cases).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from innoproc.ontology import FactValue

from .model import (
    All,
    AnyOf,
    AtLeast,
    ConclusionTest,
    Condition,
    FactTest,
    Not,
    RuleSpec,
    leaves,
)

Truth = bool | None
Evaluator = Callable[[Mapping[str, FactValue], Mapping[str, RuleSpec]], Truth]

_MISSING = object()
#: id of a condition -> (the condition, kept alive so the id is not reused; its evaluator)
_CACHE: dict[int, tuple[Condition, Evaluator]] = {}


def evaluator(condition: Condition) -> Evaluator:
    """The compiled form of ``condition`` (built once per condition object)."""
    found = _CACHE.get(id(condition))
    if found is not None and found[0] is condition:
        return found[1]
    compiled = _compile(condition)
    _CACHE[id(condition)] = (condition, compiled)
    return compiled


def _compile(condition: Condition) -> Evaluator:
    if isinstance(condition, FactTest):
        return _fact(condition)
    if isinstance(condition, ConclusionTest):
        return _conclusion(condition)
    if isinstance(condition, Not):
        return kleene_not(_compile(condition.item))
    items = tuple(_compile(item) for item in condition.items)
    if isinstance(condition, All):
        return kleene_all(items)
    if isinstance(condition, AnyOf):
        return kleene_any(items)
    assert isinstance(condition, AtLeast)
    return kleene_at_least(items, condition.count)


# -- Kleene's connectives over compiled items, whatever the second argument of an item is ----
#: (reached conclusions here; the conclusions' abstract status in the sensitivity analysis)

S = TypeVar("S")
Item = Callable[[Mapping[str, FactValue], S], Truth]


def kleene_not(inner: Item[S]) -> Item[S]:
    def negation(facts: Mapping[str, FactValue], state: S) -> Truth:
        value = inner(facts, state)
        return None if value is None else not value

    return negation


def kleene_all(items: tuple[Item[S], ...]) -> Item[S]:
    def every(facts: Mapping[str, FactValue], state: S) -> Truth:
        unknown = False
        for item in items:
            value = item(facts, state)
            if value is False:
                return False
            if value is None:
                unknown = True
        return None if unknown else True

    return every


def kleene_any(items: tuple[Item[S], ...]) -> Item[S]:
    def some(facts: Mapping[str, FactValue], state: S) -> Truth:
        unknown = False
        for item in items:
            value = item(facts, state)
            if value is True:
                return True
            if value is None:
                unknown = True
        return None if unknown else False

    return some


def kleene_at_least(items: tuple[Item[S], ...], count: int) -> Item[S]:
    def at_least(facts: Mapping[str, FactValue], state: S) -> Truth:
        true = unknown = 0
        for item in items:
            value = item(facts, state)
            if value is True:
                true += 1
            elif value is None:
                unknown += 1
        if true >= count:
            return True
        return None if true + unknown >= count else False

    return at_least


def _fact(test: FactTest) -> Evaluator:
    key = test.key
    presence = test.presence
    if presence is not None:

        def stated(facts: Mapping[str, FactValue], reached: Mapping[str, RuleSpec]) -> Truth:
            return (key in facts) == presence

        return stated
    if test.op == "in" and not test.multi:
        values = test.values

        def member(facts: Mapping[str, FactValue], reached: Mapping[str, RuleSpec]) -> Truth:
            value = facts.get(key, _MISSING)
            if value is _MISSING:
                return None
            return value in values

        return member
    holds = test.holds

    def passes(facts: Mapping[str, FactValue], reached: Mapping[str, RuleSpec]) -> Truth:
        value = facts.get(key, _MISSING)
        if value is _MISSING:
            return None
        return holds(value)  # type: ignore[arg-type]

    return passes


def _conclusion(test: ConclusionTest) -> Evaluator:
    if test.id is not None:
        wanted = test.id

        def by_id(facts: Mapping[str, FactValue], reached: Mapping[str, RuleSpec]) -> Truth:
            rule = reached.get(wanted)
            return rule is not None and rule.concludes(test)

        return by_id

    def about(facts: Mapping[str, FactValue], reached: Mapping[str, RuleSpec]) -> Truth:
        return any(rule.concludes(test) for rule in reached.values())

    return about


class CompiledRules:
    """A set of rules ready to run many times: :func:`~innoproc.rules.semantics.forward_chain`
    with each condition compiled and the strata worked out once. Same conclusions, same rule
    credited with each (tested against the reference on library and random cases)."""

    def __init__(self, rules: Iterable[RuleSpec]):
        ordered = sorted(rules, key=lambda r: (r.stratum, r.ordinal))
        self.rules = tuple(ordered)
        layers: dict[int, list[tuple[str, RuleSpec, Evaluator]]] = {}
        for rule in ordered:
            layers.setdefault(rule.stratum, []).append((rule.then.id, rule, evaluator(rule.when)))
        # A second pass over a stratum can only fire a rule that reads a conclusion drawn in
        # the same stratum (its other inputs are what they were on the first pass); in a
        # stratified KB none does, so each stratum is evaluated once.
        self._layers = [
            (tuple(layers[s]), _reads_own(tuple(rule for _, rule, _ in layers[s])))
            for s in sorted(layers)
        ]

    def run(
        self, facts: Mapping[str, FactValue], start: Mapping[str, RuleSpec] | None = None
    ) -> dict[str, RuleSpec]:
        """Every conclusion the rules reach on ``facts`` (``start``: already reached)."""
        reached: dict[str, RuleSpec] = dict(start) if start else {}
        for layer, repeat in self._layers:
            changed = True
            while changed:
                changed = False
                for conclusion, rule, test in layer:
                    if conclusion not in reached and test(facts, reached) is True:
                        reached[conclusion] = rule
                        changed = repeat
        return reached


def _reads_own(layer: tuple[RuleSpec, ...]) -> bool:
    """Whether a rule of ``layer`` tests a conclusion another rule of it can draw."""
    return any(
        isinstance(leaf, ConclusionTest) and any(p.concludes(leaf) for p in layer)
        for rule in layer
        for leaf in leaves(rule.when)
    )

"""Evaluate rules directly on a case, in three-valued logic, without the engine.

This is the reference semantics of the rule language: a fact test on an absent fact is unknown,
``all``/``any``/``not``/``at_least`` follow Kleene's strong logic, and conclusion tests are
closed-world. The engine must reach exactly the conclusions :func:`forward_chain` reaches (the
tests check that on every case), and explanation features ask :func:`truth` why a rule did or did
not fire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from innoproc.ontology import FactValue

from .model import All, AnyOf, AtLeast, ConclusionTest, Condition, FactTest, Not, RuleSpec

Truth = bool | None  # None: unknown


def truth(
    condition: Condition, facts: Mapping[str, FactValue], reached: Mapping[str, RuleSpec]
) -> Truth:
    """Truth of ``condition`` given the case facts and the conclusions reached so far.

    ``reached`` maps each reached conclusion id to the rule that concluded it.
    """
    if isinstance(condition, FactTest):
        if condition.presence is not None:
            return (condition.key in facts) == condition.presence
        if condition.key not in facts:
            return None
        return condition.holds(facts[condition.key])
    if isinstance(condition, ConclusionTest):
        if condition.id is not None:  # reached is keyed by conclusion id: look it up
            rule = reached.get(condition.id)
            return rule is not None and rule.concludes(condition)
        return any(rule.concludes(condition) for rule in reached.values())
    if isinstance(condition, Not):
        value = truth(condition.item, facts, reached)
        return None if value is None else not value
    values = [truth(item, facts, reached) for item in condition.items]
    if isinstance(condition, All):
        return False if False in values else (None if None in values else True)
    if isinstance(condition, AnyOf):
        return True if True in values else (None if None in values else False)
    assert isinstance(condition, AtLeast)
    true, unknown = values.count(True), values.count(None)
    return (
        True if true >= condition.count else (None if true + unknown >= condition.count else False)
    )


def forward_chain(
    rules: Iterable[RuleSpec],
    facts: Mapping[str, FactValue],
    start: Mapping[str, RuleSpec] | None = None,
) -> dict[str, RuleSpec]:
    """Every conclusion the rules reach on ``facts``, stratum by stratum, to a fixed point.

    ``start`` holds conclusions already reached by rules left out of ``rules``: analyses that
    change one fact re-run only the rules downstream of it (see :mod:`.sensitivity`).
    """
    ordered = sorted(rules, key=lambda r: (r.stratum, r.ordinal))
    reached: dict[str, RuleSpec] = dict(start or {})
    for stratum in sorted({r.stratum for r in ordered}):
        layer = [r for r in ordered if r.stratum == stratum]
        changed = True
        while changed:
            changed = False
            for rule in layer:
                if rule.then.id not in reached and truth(rule.when, facts, reached) is True:
                    reached[rule.then.id] = rule
                    changed = True
    return reached

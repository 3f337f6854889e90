"""Why an item was *not* concluded: each rule able to conclude it, evaluated on the case.

The answer names, for every rule that could have concluded the item, which of its conditions
held, which failed (the value found), which could not be decided because the case does not state
the fact, and which conclusions it needed were themselves not reached, explained the same way.
It reads the rule model with the reference semantics (:mod:`innoproc.rules.trace`), so it agrees
with the engine by construction; the tests check it on every library case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from innoproc.rules.model import All, AnyOf, AtLeast, ConclusionTest, FactTest, Not
from innoproc.rules.semantics import forward_chain
from innoproc.rules.trace import NodeTrace, RuleTrace, trace_rules

from .advice import plain_value
from .targets import Target, resolve_target

if TYPE_CHECKING:
    from .advice import Advice, AdviceItem


@dataclass(frozen=True)
class WhyNot:
    """Why a target (a conclusion, a rule, or any item resting on a clause) was not concluded."""

    target: Target
    #: items the target stands for that *were* concluded (a clause may ground several)
    concluded: tuple[AdviceItem, ...]
    #: each rule able to conclude the target that did not fire, its condition evaluated
    traces: tuple[RuleTrace, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": {
                "id": self.target.id,
                "kind": self.target.kind,
                "title": self.target.title,
            },
            "concluded": [item.id for item in self.concluded],
            "rules": [rule_trace_dict(t) for t in self.traces],
        }


def why_not(advice: Advice, given: str) -> WhyNot:
    """Explain why ``given`` (a conclusion, rule or clause id) was not concluded on the case."""
    rules = advice.rules
    target = resolve_target(given, rules, advice.vocabulary)
    facts = advice.case.facts
    reached = forward_chain(rules, facts)
    items = {item.id: item for item in advice.all_items()}
    concluded = tuple(items[c] for c in sorted(target.conclusions) if c in items)
    silent = [r for r in target.rules if reached.get(r.then.id) is not r]
    return WhyNot(target, concluded, tuple(trace_rules(silent, rules, facts, reached)))


def rule_trace_dict(trace: RuleTrace) -> dict[str, Any]:
    """A rule's evaluation as plain data (for ``why-not --format json``)."""
    return {
        "rule": trace.rule.id,
        "title": trace.rule.title,
        "clauses": list(trace.rule.clauses),
        "fired": trace.fired,
        "truth": _truth(trace.truth),
        "repeated": trace.repeated,
        "condition": None if trace.repeated else node_dict(trace.condition),
    }


def node_dict(node: NodeTrace) -> dict[str, Any]:
    condition = node.condition
    data: dict[str, Any] = {"truth": _truth(node.truth), "wanted": node.wanted}
    if isinstance(condition, FactTest):
        data["test"] = condition.describe()
        data["key"] = condition.key
        data["found"] = plain_value(node.found) if node.stated else None
        data["stated"] = node.stated
    elif isinstance(condition, ConclusionTest):
        data["test"] = condition.describe()
        data["satisfied_by"] = node.satisfied_by
        data["producers"] = [rule_trace_dict(p) for p in node.producers]
    else:
        name = {All: "all", AnyOf: "any", Not: "not", AtLeast: "at_least"}[type(condition)]
        data["test"] = name
        if isinstance(condition, AtLeast):
            data["count"] = condition.count
        data["items"] = [node_dict(child) for child in node.children]
    return data


def _truth(value: bool | None) -> str:
    return "unknown" if value is None else ("true" if value else "false")

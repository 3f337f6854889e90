"""Why a rule did not fire: its condition tree evaluated node by node on a case.

The engine only records what fired. To say why something did *not* happen, the condition of
each rule that could have concluded it is evaluated again here with the reference semantics
(:func:`~innoproc.rules.semantics.truth`), keeping the truth of every node: which tests held,
which failed (with the value found and the values that would have passed), which could not be
decided because the case does not state the fact, and which conclusions it needed were not
reached, each of those explained the same way, recursively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from innoproc.ontology import FactValue

from .model import All, AnyOf, AtLeast, ConclusionTest, Condition, FactTest, Not, RuleSpec
from .semantics import Truth, forward_chain, truth


@dataclass(frozen=True)
class NodeTrace:
    """One node of a condition tree with its truth on the case.

    ``wanted`` is the truth the rule needs from this node for the rule to fire: True, or False
    under an odd number of ``not``. A node whose ``truth`` differs from ``wanted`` is a reason the
    rule did not fire (or could not be decided, when ``truth`` is None).
    """

    condition: Condition
    truth: Truth
    wanted: bool
    children: tuple[NodeTrace, ...] = ()
    #: for a fact test, whether the case states the fact, and its value
    stated: bool = False
    found: FactValue | None = None
    #: for a conclusion test that is not satisfied: why each rule able to satisfy it did not fire
    producers: tuple[RuleTrace, ...] = ()
    #: for a conclusion test that is satisfied: the rule whose conclusion satisfies it
    satisfied_by: str | None = None

    @property
    def blocking(self) -> bool:
        """Whether this node is a reason the rule did not fire."""
        return self.truth is not self.wanted

    def leaves(self) -> list[NodeTrace]:
        if not self.children:
            return [self]
        return [leaf for child in self.children for leaf in child.leaves()]


@dataclass(frozen=True)
class RuleTrace:
    """A rule's condition evaluated on a case, and whether the rule fired."""

    rule: RuleSpec
    fired: bool
    truth: Truth
    condition: NodeTrace
    #: True when this rule was already explained higher up the same explanation
    repeated: bool = False

    @property
    def undecided(self) -> bool:
        return self.truth is None


@dataclass
class _Tracer:
    rules: tuple[RuleSpec, ...]
    facts: Mapping[str, FactValue]
    reached: Mapping[str, RuleSpec]
    explained: set[str] = field(default_factory=set)

    def rule(self, rule: RuleSpec) -> RuleTrace:
        fired = self.reached.get(rule.then.id) is rule
        if rule.id in self.explained:
            node = NodeTrace(rule.when, truth(rule.when, self.facts, self.reached), True)
            return RuleTrace(rule, fired, node.truth, node, repeated=True)
        self.explained.add(rule.id)
        node = self.node(rule.when, True)
        return RuleTrace(rule, fired, node.truth, node)

    def node(self, condition: Condition, wanted: bool) -> NodeTrace:
        value = truth(condition, self.facts, self.reached)
        if isinstance(condition, FactTest):
            stated = condition.key in self.facts
            return NodeTrace(
                condition, value, wanted, stated=stated, found=self.facts.get(condition.key)
            )
        if isinstance(condition, ConclusionTest):
            by = next((r for r in self.reached.values() if r.concludes(condition)), None)
            producers: tuple[RuleTrace, ...] = ()
            if by is None and wanted:  # a needed conclusion that was not reached: why not?
                producers = tuple(self.rule(r) for r in self.rules if r.concludes(condition))
            return NodeTrace(
                condition,
                value,
                wanted,
                producers=producers,
                satisfied_by=by.id if by is not None else None,
            )
        if isinstance(condition, Not):
            return NodeTrace(condition, value, wanted, (self.node(condition.item, not wanted),))
        assert isinstance(condition, All | AnyOf | AtLeast)
        return NodeTrace(
            condition, value, wanted, tuple(self.node(item, wanted) for item in condition.items)
        )


def trace_rules(
    targets: list[RuleSpec],
    rules: tuple[RuleSpec, ...] | list[RuleSpec],
    facts: Mapping[str, FactValue],
    reached: Mapping[str, RuleSpec] | None = None,
) -> list[RuleTrace]:
    """Evaluate each target rule on the case, explaining unreached conclusions it needs.

    ``reached`` is what the rules conclude on ``facts`` (computed when not given). Each rule is
    explained in full once per call; later mentions are marked ``repeated``.
    """
    rules = tuple(rules)
    done = reached if reached is not None else forward_chain(rules, facts)
    tracer = _Tracer(rules, facts, done)
    return [tracer.rule(rule) for rule in targets]

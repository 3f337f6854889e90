"""What if the case were different: re-run it with changed facts, and search for the smallest
changes a buyer could make to avoid or to obtain an item.

Re-runs use the knowledge base's own engine, so a what-if shows exactly the advice the changed case
would get. The searches try many variants of the case and run the reference semantics on the
rules upstream of the item only (:mod:`innoproc.rules.minimal_changes`); they change only the
keys the ontology marks as the buyer's decisions (``ipo:buyerDecides``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from innoproc.errors import CaseError, Problem
from innoproc.ontology import FactValue
from innoproc.rules.minimal_changes import Change, SearchResult, minimal_changes, upstream
from innoproc.rules.model import FactTest, leaves

from .advice import plain_value
from .targets import Target, resolve_target
from .why_not import WhyNot, why_not

if TYPE_CHECKING:
    from .advice import Advice, AdviceItem


@dataclass(frozen=True)
class ItemChange:
    """One item that appears, disappears or changes when the case changes."""

    id: str
    effect: Literal["appears", "disappears", "changes"]
    #: the item as the changed case has it (for "disappears": as the original case had it)
    item: AdviceItem
    #: for "disappears": why the changed case no longer concludes it
    why_not: WhyNot | None = None
    #: for "changes": what differs, in words
    differences: tuple[str, ...] = ()


@dataclass(frozen=True)
class WhatIf:
    """The advice before and after a set of changes, and the items that differ."""

    changes: tuple[Change, ...]
    before: Advice
    after: Advice
    items: tuple[ItemChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.before.case.id,
            "changes": [
                {
                    "key": key,
                    "before": plain_value(self.before.case.facts.get(key)),
                    "after": plain_value(v),
                }
                for key, v in self.changes
            ],
            "items": [
                {
                    "id": change.id,
                    "effect": change.effect,
                    "kind": change.item.kind,
                    "title": change.item.title,
                    "differences": list(change.differences),
                    **({"why_not": change.why_not.to_dict()} if change.why_not else {}),
                    **(
                        {"because": change.item.because.to_dict()}
                        if change.effect != "disappears"
                        else {}
                    ),
                }
                for change in self.items
            ],
        }


def changed_mapping(advice: Advice, changes: Mapping[str, FactValue | None]) -> dict[str, Any]:
    """The case form of the advised case with ``changes`` made (None: no longer stated)."""
    form: dict[str, Any] = {k: plain_value(v) for k, v in advice.case.facts.items()}
    for key, value in changes.items():
        if key == "id":
            raise CaseError(
                [Problem("<what-if>", "found a change of id; allowed: changes to facts", key="id")]
            )
        if value is None:
            form.pop(key, None)
        else:
            form[key] = plain_value(value)
    return form


def what_if(advice: Advice, changes: Mapping[str, FactValue | None]) -> WhatIf:
    """Advise on the case with ``changes`` made and compare with ``advice``.

    Each change is checked exactly as the case form checks it (a :class:`CaseError` lists every
    problem). A value of None makes the fact unstated.
    """
    kb = advice.knowledge_base
    after = kb.advise(kb.load_case(changed_mapping(advice, changes)))
    old = {item.id: item for item in advice.all_items()}
    new = {item.id: item for item in after.all_items()}
    items: list[ItemChange] = []
    for item_id, item in new.items():
        if item_id not in old:
            items.append(ItemChange(item_id, "appears", item))
        else:
            differences = _differences(advice, old[item_id], after, item)
            if differences:
                items.append(ItemChange(item_id, "changes", item, differences=differences))
    for item_id, item in old.items():
        if item_id not in new:
            items.append(ItemChange(item_id, "disappears", item, why_not(after, item_id)))
    order = {"appears": 0, "disappears": 1, "changes": 2}
    items.sort(key=lambda c: order[c.effect])
    stated = tuple((key, value) for key, value in changes.items())
    return WhatIf(stated, advice, after, tuple(items))


def _differences(
    before: Advice, old: AdviceItem, after: Advice, new: AdviceItem
) -> tuple[str, ...]:
    found: list[str] = []
    if old.rule != new.rule:
        found.append(f"now concluded by rule {new.rule} instead of {old.rule}")
    elif old.because.facts != new.because.facts:
        found.append("rests on changed facts")
    rank_before, rank_after = _rank(before, old.id), _rank(after, new.id)
    if rank_before != rank_after:
        found.append(f"{_place(rank_before)} → {_place(rank_after)}")
    return tuple(found)


def _rank(advice: Advice, item_id: str) -> tuple[str, int]:
    for name, items in (
        ("finding", advice.findings),
        ("recommendation", advice.recommendations),
        ("in place", advice.in_place),
    ):
        for index, item in enumerate(items, start=1):
            if item.id == item_id:
                return name, index
            if any(a.id == item_id for a in item.alternatives):
                return f"alternative to {item.id}", index
    return "absent", 0


def _place(rank: tuple[str, int]) -> str:
    name, index = rank
    if name.startswith("alternative"):
        return name
    return f"{name} #{index}"


@dataclass(frozen=True)
class ChangeSearch:
    """The smallest changes to the buyer's decisions that avoid or obtain a target."""

    goal: Literal["avoid", "obtain"]
    target: Target
    result: SearchResult
    #: the decision keys the search could change
    keys: tuple[str, ...]

    @property
    def solutions(self) -> tuple[tuple[Change, ...], ...]:
        return self.result.solutions

    def to_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "target": {"id": self.target.id, "kind": self.target.kind, "title": self.target.title},
            "already": self.result.already,
            "keys": list(self.keys),
            "complete_up_to": self.result.complete_up_to,
            "solutions": [
                [{"key": key, "value": plain_value(value)} for key, value in solution]
                for solution in self.result.solutions
            ],
        }


def search_changes(
    advice: Advice, given: str, goal: Literal["avoid", "obtain"], budget: float = 1.5
) -> ChangeSearch:
    """Up to five minimal sets of changes to the buyer's decisions under which ``given`` (an
    item, rule or clause id) is no longer concluded (``avoid``) or is concluded (``obtain``)."""
    kb = advice.knowledge_base
    vocab = advice.vocabulary
    target = resolve_target(given, kb.rules, vocab)
    wanted = target.conclusions
    facts = advice.case.facts
    scope = upstream(kb.rules, wanted)
    read = {leaf.key for rule in scope for leaf in leaves(rule.when) if isinstance(leaf, FactTest)}
    keys = tuple(k for k in vocab.keys if k in read and vocab.keys[k].decision)
    options: list[Change] = []
    for key in keys:
        current = facts.get(key)
        # new values only: leaving a fact unstated is not a decision, it hides one
        for value in kb.sensitivity.answers(key):
            if value != current:
                options.append((key, value))

    def reached_goal(reached: Collection[str]) -> bool:
        hit = any(c in wanted for c in reached)
        return hit if goal == "obtain" else not hit

    result = minimal_changes(scope, facts, options, reached_goal, budget=budget)
    return ChangeSearch(goal, target, result, keys)

"""The smallest sets of changes to a case that make a goal true ("what would avoid / obtain X?").

A breadth-first search over sets of changes, smallest first: every set of one change, then of
two, and so on. A set that contains a set already found to work is skipped, so every answer is
minimal: no answer contains a smaller set of changes that also works. Only the rules upstream of
the goal's conclusions are run (nothing else can affect them), with the reference semantics.
The search stops at a time budget and says how far it got.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from innoproc.ontology import FactValue

from .compiled import CompiledRules
from .dependencies import dependencies
from .model import RuleSpec

#: one change: a key and its new value (None: no longer stated)
Change = tuple[str, FactValue | None]


@dataclass(frozen=True)
class SearchResult:
    """The minimal change sets found, smallest first, and how thorough the search was."""

    solutions: tuple[tuple[Change, ...], ...]
    #: every set of at most this many changes was tried
    complete_up_to: int
    #: the largest size the search allows (answers could exist beyond it)
    max_size: int
    #: the goal already holds on the case as it is
    already: bool = False


def upstream(rules: Sequence[RuleSpec], conclusions: Collection[str]) -> list[RuleSpec]:
    """The rules that can affect whether any of ``conclusions`` is reached."""
    by_id = {r.id: r for r in rules}
    needs = dependencies(list(rules))
    todo = [r.id for r in rules if r.then.id in conclusions]
    seen: set[str] = set()
    while todo:
        rule_id = todo.pop()
        if rule_id in seen:
            continue
        seen.add(rule_id)
        todo.extend(needs[rule_id])
        # another rule drawing the same conclusion decides it too
        todo.extend(r.id for r in rules if r.then.id == by_id[rule_id].then.id)
    return [r for r in rules if r.id in seen]


def apply(facts: Mapping[str, FactValue], changes: Sequence[Change]) -> dict[str, FactValue]:
    """The facts with the changes made (a None value removes the fact)."""
    changed = dict(facts)
    for key, value in changes:
        if value is None:
            changed.pop(key, None)
        else:
            changed[key] = value
    return changed


def minimal_changes(
    scope: Sequence[RuleSpec],
    facts: Mapping[str, FactValue],
    options: Sequence[Change],
    goal: Callable[[Collection[str]], bool],
    most: int = 5,
    max_size: int = 4,
    budget: float = 1.5,
) -> SearchResult:
    """Up to ``most`` minimal sets of ``options`` (at most one per key) under which ``goal``
    holds of the conclusions reached; ``scope`` are the rules upstream of the conclusions the
    goal reads (:func:`upstream`): no other rule can change whether it holds."""
    compiled = CompiledRules(scope)

    def works(changes: Sequence[Change]) -> bool:
        return goal(compiled.run(apply(facts, changes)).keys())

    if works(()):
        return SearchResult((), max_size, max_size, already=True)
    deadline = time.perf_counter() + budget
    found: list[tuple[Change, ...]] = []
    found_sets: list[frozenset[Change]] = []
    complete = 0
    for size in range(1, max_size + 1):
        for combo in combinations(options, size):
            if time.perf_counter() > deadline:
                return SearchResult(tuple(found), complete, max_size)
            if len({key for key, _ in combo}) < size:
                continue  # two values for one key
            chosen = frozenset(combo)
            if any(smaller <= chosen for smaller in found_sets):
                continue  # not minimal
            if works(combo):
                found.append(combo)
                found_sets.append(chosen)
                if len(found) >= most:
                    return SearchResult(tuple(found), size - 1, max_size)
        complete = size
    return SearchResult(tuple(found), complete, max_size)

"""Why one item was concluded: its chain of reasons, with where the case states each fact.

The chain itself is already in the advice (:class:`~innoproc.explain.advice.Reason`); this adds
what a reader checking the advice against the case file needs: the file and line of every fact
the chain rests on, and each rule's clauses and rationale.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from innoproc.ontology import FactValue

from .targets import UnknownTargetError, resolve_target

if TYPE_CHECKING:
    from .advice import Advice, AdviceItem


@dataclass(frozen=True)
class FactSource:
    """A fact of the case and where it is stated."""

    key: str
    value: FactValue | None
    source: str
    line: int | None

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


@dataclass(frozen=True)
class Explanation:
    """One concluded item and the facts its chain of reasons reads, located in the case."""

    item: AdviceItem
    facts: tuple[FactSource, ...]

    def steps(self) -> Iterator[tuple[int, AdviceItem]]:
        """Every item of the chain with its depth (0: the item explained), depth first."""
        stack: list[tuple[int, AdviceItem]] = [(0, self.item)]
        while stack:
            depth, item = stack.pop()
            yield depth, item
            stack.extend((depth + 1, p) for p in reversed(item.because.premises))

    def located(self, key: str) -> FactSource | None:
        return next((f for f in self.facts if f.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item.to_dict(),
            "facts": [
                {
                    "key": f.key,
                    "value": list(f.value) if isinstance(f.value, tuple) else f.value,
                    "source": f.source,
                    "line": f.line,
                }
                for f in self.facts
            ],
        }


def explain(advice: Advice, given: str) -> Explanation:
    """The explanation of a concluded item named by its id or its rule's id."""
    items = {item.id: item for item in advice.all_items()}
    by_rule = {item.rule: item for item in advice.all_items()}
    item = items.get(given) or by_rule.get(given)
    if item is None:
        target = resolve_target(given, advice.rules, advice.vocabulary)  # unknown ids raise here
        given_items = [items[c] for c in sorted(target.conclusions) if c in items]
        if target.kind == "clause" and len(given_items) == 1:
            item = given_items[0]
        else:
            hint = (
                f"; items resting on it: {', '.join(i.id for i in given_items)}"
                if given_items
                else f"; ask why-not {given}"
            )
            raise UnknownTargetError(f"{target.describe()} was not concluded on this case{hint}")
    case = advice.case
    seen: dict[str, FactSource] = {}
    for link in item.chain():
        for key, value in link.because.facts:
            if key not in seen:
                seen[key] = FactSource(key, value, case.source, case.lines.get(key))
    return Explanation(item, tuple(seen.values()))

"""A conflict-resolution strategy with a total order and exact removal.

experta's ``DepthStrategy`` orders activations by (salience, fact ids) only. Activations of
different rules on the same facts with the same salience then tie, and its removal looks at no
more than three neighbouring slots: with three or more ties a cancelled activation can stay on the
agenda and fire although its ``NOT`` became false, and tied rules fire in an order that changes
between runs. Here every activation has a distinct key (salience, then the rule's place in the
KB, then its facts), and removal finds the exact activation among equal keys.
"""

from __future__ import annotations

import bisect
from typing import Any

from ._experta import Activation, Agenda, DepthStrategy


class TotalOrderResolution(DepthStrategy):  # type: ignore[misc]  # experta is untyped
    """Fire by salience, then by KB order (earlier rules first), then by fact recency.

    (experta calls a conflict-resolution policy a "strategy"; in this project that word means a
    procurement strategy, so the class is named for what it does.)
    """

    def get_key(self, activation: Activation) -> tuple[Any, ...]:
        rule = activation.rule
        facts = tuple(sorted((f["__factid__"] for f in activation.facts), reverse=True))
        return (rule.salience, -getattr(rule, "ordinal", 0), -getattr(rule, "branch", 0), facts)

    def _update_agenda(self, agenda: Agenda, added: list[Any], removed: list[Any]) -> None:
        activations = agenda.activations
        for act in removed:
            act.key = self.get_key(act)
            index = bisect.bisect_left(activations, act)
            while index < len(activations) and activations[index].key == act.key:
                if activations[index] == act:
                    del activations[index]
                    break
                index += 1
            else:
                try:
                    activations.remove(act)
                except ValueError:
                    pass  # it already fired
        for act in added:
            act.key = self.get_key(act)
            bisect.insort(activations, act)

"""experta's RETE matcher, with the per-case bookkeeping cut to what changed.

The engine is reused for every case and reset in between (building the network costs far more
than a case), so two of experta's housekeeping loops run on every case:

- ``reset`` walks the network as a tree from the root, so a node shared by several rules is
  wiped once per path to it (about twice the work with our rules);
- ``changes`` asks every conflict-set node (one per compiled rule) for its new activations after
  every declaration and every firing, although only a few have any.

This subclass lists the distinct nodes once, after the network is built, wipes each exactly once
on reset, and collects activations only from conflict-set nodes that hold some. Both leave the
network and the activations returned exactly as experta's own methods would, in the same order.
"""

from __future__ import annotations

from typing import Any

from ._experta import ReteMatcher


class OnceResetMatcher(ReteMatcher):  # type: ignore[misc]  # experta is untyped
    """ReteMatcher whose reset clears each node once and whose changes skip idle rules."""

    def build_network(self) -> None:
        super().build_network()
        nodes: dict[int, Any] = {}
        stack = [self.root_node]
        while stack:
            node = stack.pop()
            if id(node) not in nodes:
                nodes[id(node)] = node
                stack.extend(child.node for child in node.children)
        self._nodes = list(nodes.values())
        self._conflict_sets = self._get_conflict_set_nodes()

    def reset(self) -> None:
        for node in self._nodes:
            node._reset()

    def changes(
        self, adding: list[Any] | None = None, deleting: list[Any] | None = None
    ) -> tuple[list[Any], list[Any]]:
        for fact in deleting or ():
            self.root_node.remove(fact)
        for fact in adding or ():
            self.root_node.add(fact)
        added: list[Any] = []
        removed: list[Any] = []
        for csn in self._conflict_sets:
            if csn.added or csn.removed:
                new, gone = csn.get_activations()
                added.extend(new)
                removed.extend(gone)
        return added, removed

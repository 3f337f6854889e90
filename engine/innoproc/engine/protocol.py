"""What an engine backend is: something that runs the KB's rules on one case's facts and
returns the record of its firings, from which :mod:`innoproc.explain` builds the advice.

Backends differ in how they match (experta's RETE in Python, CLIPS's in C); they must agree
exactly with the reference semantics (:func:`innoproc.rules.semantics.forward_chain`) on what is
concluded, and record for each firing which facts it read and which conclusions it built on, the
same way, so that the advice does not depend on the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from innoproc.ontology import FactValue
from innoproc.rules import RuleSpec


@dataclass(frozen=True)
class Firing:
    """One rule firing: the rule, what it read and what it concluded."""

    rule_id: str
    conclusion_id: str
    #: (key, value) of each fact read; value None when the rule read that the fact is unknown
    facts: tuple[tuple[str, FactValue | None], ...]
    premises: tuple[str, ...]  # ids of the earlier conclusions it matched
    absent: tuple[str, ...]  # conclusions it required to be absent


class Backend(Protocol):
    """An engine for one KB's rules; safe to call from many threads."""

    name: str

    def prepare(self) -> None:
        """Build now whatever the backend would build before its first case (proves the rules
        map onto it; ``kb check`` calls this)."""
        ...

    def run(self, facts: Mapping[str, FactValue]) -> list[Firing]:
        """Fire the rules on one case's facts to quiescence; the firings in order."""
        ...


class BackendFactory(Protocol):
    def __call__(self, rules: tuple[RuleSpec, ...]) -> Backend: ...

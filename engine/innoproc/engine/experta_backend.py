"""The experta backend: the KB's rules compiled onto experta's RETE, one engine per thread.

Building experta's network costs far more than running a case, so the engine class is compiled
once per KB and each thread keeps its own instance (an experta engine holds per-run state).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cached_property

from innoproc.ontology import FactValue
from innoproc.rules import RuleSpec

from .compiler import AdvisorEngine, compile_engine
from .protocol import Firing


class ExpertaBackend:
    """Runs a KB's rules on experta."""

    name = "experta"

    def __init__(self, rules: tuple[RuleSpec, ...]):
        self.rules = rules
        self._local = threading.local()

    @cached_property
    def engine_class(self) -> type[AdvisorEngine]:
        """Compiled on first use (cached_property locks, so threads compile it once)."""
        return compile_engine(list(self.rules))

    def prepare(self) -> None:
        self.engine()

    def engine(self) -> AdvisorEngine:
        """This thread's engine instance."""
        engine: AdvisorEngine | None = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = self.engine_class()
        return engine

    def run(self, facts: Mapping[str, FactValue]) -> list[Firing]:
        return self.engine().run_case(facts)

"""The knowledge base: parsed rules, their compiled engine, and advice for cases."""

from __future__ import annotations

import hashlib
import threading
from functools import cached_property
from pathlib import Path

from .advice import Advice, build_advice
from .compiler import AdvisorEngine, compile_engine
from .loader import Case, CaseSource, load_case
from .resources import kb_dir
from .rulemodel import RuleSpec
from .ruleparser import parse_kb
from .vocabulary import vocabulary


class KnowledgeBase:
    """Rules loaded from a folder (``rules/*.yaml`` and ``schema/``), ready to advise.

    Loading parses and checks every rule file; the experta engine is compiled on first use and
    then reused for every case (building its network costs far more than running a case).
    Each thread gets its own engine instance, since an experta engine holds per-run state.
    """

    def __init__(self, rules: list[RuleSpec], folder: Path):
        self.rules: tuple[RuleSpec, ...] = tuple(rules)
        self.folder = folder
        self.by_id = {r.id: r for r in rules}
        self._local = threading.local()

    @classmethod
    def load(cls, folder: str | Path | None = None) -> KnowledgeBase:
        """Parse and check the KB in ``folder`` (default: the bundled KB)."""
        path = Path(folder) if folder is not None else kb_dir()
        return cls(parse_kb(path, vocabulary()), path)

    @cached_property
    def fingerprint(self) -> str:
        """Content hash of the rule files, to pin advice to the KB that produced it."""
        digest = hashlib.sha256()
        for path in sorted((self.folder / "rules").glob("*.y*ml")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()[:16]

    @cached_property
    def engine_class(self) -> type[AdvisorEngine]:
        return compile_engine(list(self.rules))

    def engine(self) -> AdvisorEngine:
        """This thread's engine instance."""
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = self.engine_class()
        return engine

    def advise(self, case: Case | CaseSource) -> Advice:
        """Advice for one case (a :class:`Case`, or anything :func:`load_case` reads)."""
        if not isinstance(case, Case):
            case = load_case(case)
        firings = self.engine().run_case(dict(case.facts))
        return build_advice(case, firings, self.by_id, self.fingerprint)


_default: KnowledgeBase | None = None
_default_lock = threading.Lock()


def default_kb() -> KnowledgeBase:
    """The bundled knowledge base, loaded once per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = KnowledgeBase.load()
        return _default


def advise(case: Case | CaseSource, kb: KnowledgeBase | None = None) -> Advice:
    """Advice for a case given as a path, a case-form mapping, an rdflib Graph or a Case."""
    return (kb or default_kb()).advise(case)

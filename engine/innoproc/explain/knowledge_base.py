"""The knowledge base: its vocabulary, its checked rules, an engine backend, and advice for cases.

A :class:`KnowledgeBase` owns everything that gives its rules meaning: the vocabulary they were
checked against (the bundled ontology, plus the KB folder's own ``ontology/*.ttl`` if it has
any), so cases are read and advice is described in that KB's terms, and two KBs with different
terms can be used side by side in one process.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Hashable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from innoproc.case import Case, CaseSource, load_case
from innoproc.engine import DEFAULT_BACKEND, Backend, check_backend, make_backend
from innoproc.errors import wrong_argument
from innoproc.ontology import Vocabulary, bundled_vocabulary
from innoproc.ontology.resources import kb_dir
from innoproc.rules import RuleSpec, parse_kb, rule_files
from innoproc.rules.cache import cached_rules
from innoproc.rules.schema_location import schema_path

from .advice import Advice, AdviceItem, build_advice

if TYPE_CHECKING:  # imported when first used: advice without open questions never needs it
    from innoproc.rules.sensitivity import Sensitivity


def _extensions(folder: Path) -> list[Path]:
    """The ontology extension files a KB folder brings (``ontology/*.ttl``)."""
    own = folder / "ontology"
    return sorted(own.glob("*.ttl")) if own.is_dir() else []


class KnowledgeBase:
    """Rules loaded from a folder (``rules/*.yaml``, optionally ``schema/`` and ``ontology/``),
    ready to advise.

    Loading parses and checks every rule file; the engine is built on first use and then reused
    for every case (building it costs far more than running a case).
    """

    def __init__(
        self,
        rules: list[RuleSpec],
        folder: Path,
        vocab: Vocabulary | None = None,
        engine: str = DEFAULT_BACKEND,
    ):
        self.rules: tuple[RuleSpec, ...] = tuple(rules)
        self.folder = folder
        self.vocabulary = vocab or bundled_vocabulary()
        self.by_id = {r.id: r for r in rules}
        self.engine_name = check_backend(engine)  # a wrong name fails here, not at a case
        self._backend_lock = threading.Lock()
        self._backend: Backend | None = None
        #: advice items built for this KB's rules, reused when a rule fires alike again
        self._known_items: dict[Hashable, AdviceItem] = {}

    @classmethod
    def load(cls, folder: str | Path | None = None, engine: str = DEFAULT_BACKEND) -> KnowledgeBase:
        """Parse and check the KB in ``folder`` (default: the bundled KB)."""
        if folder is not None and not isinstance(folder, str | Path):
            raise wrong_argument(
                "KnowledgeBase.load(folder)", folder, "a folder path (str or Path)"
            )
        path = Path(folder) if folder is not None else kb_dir()
        extensions = _extensions(path)
        vocab = Vocabulary.load(extensions, folder=path) if extensions else bundled_vocabulary()
        from innoproc import __version__

        rules = cached_rules(
            path,
            rule_files(path),
            schema_path(path),
            vocab,
            __version__,
            lambda: parse_kb(path, vocab),
        )
        return cls(rules, path, vocab, engine)

    @cached_property
    def fingerprint(self) -> str:
        """Content hash of the rule files (and ontology extensions), to pin advice to its KB."""
        digest = hashlib.sha256()
        for path in rule_files(self.folder) + _extensions(self.folder):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()[:16]

    @property
    def backend(self) -> Backend:
        """The engine backend running this KB's rules, built on first use."""
        if self._backend is None:
            with self._backend_lock:
                if self._backend is None:
                    self._backend = make_backend(self.engine_name, self.rules)
        return self._backend

    def load_case(self, source: Case | CaseSource) -> Case:
        """A case read and checked against this KB's vocabulary."""
        return source if isinstance(source, Case) else load_case(source, self.vocabulary)

    def advise(self, case: Case | CaseSource) -> Advice:
        """Advice for one case (a :class:`Case`, or anything :func:`load_case` reads)."""
        loaded = self.load_case(case)
        firings = self.backend.run(loaded.facts)
        return build_advice(
            loaded,
            firings,
            self.by_id,
            self.fingerprint,
            self.vocabulary,
            kb=self,
            known_items=self._known_items,
        )

    @cached_property
    def sensitivity(self) -> Sensitivity:
        """Which unstated facts can change advice under these rules (open questions, interview)."""
        from innoproc.rules.sensitivity import Sensitivity

        return Sensitivity(self.rules, self.vocabulary)


_default: KnowledgeBase | None = None
_default_lock = threading.Lock()


def default_kb() -> KnowledgeBase:
    """The bundled knowledge base, loaded once per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = KnowledgeBase.load()
        return _default


def advise(case: Case | CaseSource, kb: KnowledgeBase | str | Path | None = None) -> Advice:
    """Advice for a case given as a path, a case-form mapping, an rdflib Graph or a Case.

    ``kb`` is a :class:`KnowledgeBase`, a KB folder, or None for the bundled KB.
    """
    if kb is None:
        return default_kb().advise(case)
    if isinstance(kb, KnowledgeBase):
        return kb.advise(case)
    if isinstance(kb, str | Path):
        return KnowledgeBase.load(kb).advise(case)
    raise wrong_argument("advise(kb)", kb, "a KnowledgeBase, a KB folder path, or None")

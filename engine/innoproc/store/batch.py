"""Advise many cases on every core, returning what the store writes for each, in chunks.

Two batches: ``store add`` advises on case files (:func:`advise_many`, through
:func:`innoproc.explain.batch.advise_files`), and ``store readvise`` advises again on cases
already stored (:func:`readvise_many`): this process reads each case graph from the store as
N-Triples text, and the workers parse it, advise and make the graphs to write. Both run on the
project's one process pool; each worker loads the KB once and sends back plain text (the two
graphs as N-Triples, made by :func:`~innoproc.store.library.stored_case` in the worker), or the
problem lines. The chunks are the store's transactions: a case is stored whole with its chunk,
or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .library import CaseEntry, StoredCase, case_triples, graph_of, stored_case
from .protocol import TripleStore

if TYPE_CHECKING:
    from innoproc.explain import KnowledgeBase

#: stored cases read from the store at a time by ``readvise_many`` (their text is held in memory)
READ_AHEAD = 1024


@dataclass(frozen=True)
class Outcome:
    """One case file advised: what to store, or the problems that kept it out."""

    source: str
    stored: StoredCase | None
    problems: tuple[str, ...] = ()


def advise_many(
    kb: KnowledgeBase,
    sources: Sequence[str],
    workers: int | None = None,
    chunk: int = 64,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[Outcome]]:
    """Advise on ``sources`` in input order, ``chunk`` outcomes at a time, on ``workers``
    processes (default: every core; a small batch runs in this process)."""
    from innoproc.explain.batch import advise_files

    part: list[Outcome] = []
    paths = [Path(source) for source in sources]
    for outcome in advise_files(paths, kb, stored_case, workers=workers, done=progress):
        part.append(Outcome(str(outcome.path), outcome.rendered, outcome.problems))
        if len(part) == chunk:
            yield part
            part = []
    if part:
        yield part


#: the knowledge base of this process when it re-advises (set before the workers fork)
_readvising: dict[str, Any] = {}


def _set_up_readvising(folder: Path | None, engine: str) -> None:
    kb = _readvising.get("kb")
    if kb is not None and kb.engine_name == engine and (folder is None or kb.folder == folder):
        return  # forked from the parent, which has it loaded already
    from innoproc.engine import DEFAULT_BACKEND
    from innoproc.explain import KnowledgeBase, default_kb

    default = folder is None and engine == DEFAULT_BACKEND
    _readvising["kb"] = default_kb() if default else KnowledgeBase.load(folder, engine)


def _readvise_one(item: tuple[str, str, str]) -> tuple[str, StoredCase | None, tuple[str, ...]]:
    from innoproc.errors import CaseError

    case_id, iri, triples = item
    try:
        advice = _readvising["kb"].advise(graph_of(iri, triples))
    except CaseError as exc:
        return case_id, None, tuple(f"{case_id}: {problem}" for problem in exc.problems)
    return case_id, stored_case(advice), ()


def readvise_many(
    store: TripleStore,
    kb: KnowledgeBase,
    entries: Sequence[CaseEntry],
    workers: int | None = None,
    chunk: int = 64,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[Outcome]]:
    """Advise again on the stored cases ``entries``, ``chunk`` outcomes at a time, in order.

    The case graphs are read from the store here (a store is not shared with other processes),
    :data:`READ_AHEAD` at a time, and advised on ``workers`` processes (default: every core).
    An outcome's ``source`` is the case id; a case that no longer conforms has its problems.
    """
    from innoproc.explain.batch import pool_map
    from innoproc.ontology.resources import kb_dir

    _readvising["kb"] = kb  # forked workers start with it
    folder = None if kb.folder == kb_dir() else kb.folder
    part: list[Outcome] = []
    for start in range(0, len(entries), READ_AHEAD):
        ahead = entries[start : start + READ_AHEAD]
        items = [(e.case_id, e.iri, case_triples(store, e.iri)) for e in ahead]
        for case_id, stored, problems in pool_map(
            _readvise_one,
            items,
            workers=workers,
            setup=_set_up_readvising,
            setup_args=(folder, kb.engine_name),
            done=progress,
        ):
            part.append(Outcome(case_id, stored, problems))
            if len(part) == chunk:
                yield part
                part = []
    if part:
        yield part

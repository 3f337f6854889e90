"""Advise many cases on every core, returning what ``store add`` writes for each.

One small function, :func:`advise_many`, so that the project's shared process-pool helper can
replace it later without touching the commands. Workers load the KB once each and send back
plain text (the two graphs as N-Triples, or the problem lines), never live objects.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .library import StoredCase, stored_case

if TYPE_CHECKING:
    from innoproc.explain import KnowledgeBase


@dataclass(frozen=True)
class Outcome:
    """One case file advised: what to store, or the problems that kept it out."""

    source: str
    stored: StoredCase | None
    problems: tuple[str, ...] = ()


_kb: KnowledgeBase | None = None


def _start_worker(kb_folder: str | None) -> None:
    global _kb
    from innoproc.explain import KnowledgeBase, default_kb

    _kb = KnowledgeBase.load(kb_folder) if kb_folder else default_kb()


def _advise_chunk(sources: Sequence[str]) -> list[Outcome]:
    assert _kb is not None
    return [advise_one(_kb, source) for source in sources]


def advise_one(kb: KnowledgeBase, source: str) -> Outcome:
    """Validate and advise on one case file; its problems are returned, never raised."""
    from innoproc.errors import CaseError

    try:
        advice = kb.advise(kb.load_case(Path(source)))
    except CaseError as exc:
        return Outcome(source, None, tuple(str(p) for p in exc.problems))
    return Outcome(source, stored_case(advice))


def advise_many(
    kb: KnowledgeBase,
    sources: Sequence[str],
    workers: int | None = None,
    chunk: int = 64,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[Outcome]]:
    """Advise on ``sources`` in chunks, in order; one worker process per core when there are
    enough cases to pay for starting them (each loads the KB, about a second)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    chunks = [sources[i : i + chunk] for i in range(0, len(sources), chunk)]
    if workers <= 1 or len(sources) < 4 * chunk:
        for part in chunks:
            outcomes = [advise_one(kb, s) for s in part]
            if progress:
                progress(len(part))
            yield outcomes
        return
    folder = None if _is_bundled(kb) else str(kb.folder)
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(folder,)) as pool:
        for outcomes in pool.map(_advise_chunk, chunks):
            if progress:
                progress(len(outcomes))
            yield outcomes


def _is_bundled(kb: KnowledgeBase) -> bool:
    from innoproc.ontology.resources import kb_dir

    return Path(kb.folder).resolve() == kb_dir().resolve()

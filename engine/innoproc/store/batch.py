"""Advise many cases on every core, returning what ``store add`` writes for each, in chunks.

The work runs on the project's one process pool (:func:`innoproc.explain.batch.advise_files`):
each worker loads the KB once and sends back plain text (the two graphs as N-Triples, made by
:func:`~innoproc.store.library.stored_case` in the worker), or the problem lines. The chunks are
the store's transactions: a case is stored whole with its chunk, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
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

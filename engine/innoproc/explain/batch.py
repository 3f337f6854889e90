"""Advice on many cases on every core: a process pool, chunked, in input order.

Advising is CPU-bound Python (reading, checking, the engine, the justification), so threads do not
help; processes do. :func:`pool_map` is the general helper (a later ``store add`` uses it too):
it runs a function over items in worker processes, a chunk at a time, and yields the results in
the order of the items, whatever order the workers finish in, so output never depends on
scheduling. :func:`advise_files` is the batch of ``innoproc advise`` built on it: each worker
reads, checks and advises on its cases with one knowledge base, and hands back only plain data
(what the caller's ``render`` makes of the advice, or the problem lines of a refused case).

Workers are forked where the platform allows it, so they start with the parent's knowledge base
already loaded and built; elsewhere each worker loads it once, through the KB cache. A worker
ignores Ctrl-C: the parent alone reports it and ends the command.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from innoproc.engine import DEFAULT_BACKEND
from innoproc.errors import CaseError

from .advice import Advice
from .knowledge_base import KnowledgeBase

T = TypeVar("T")
R = TypeVar("R")

#: below this many items a batch runs in the calling process: starting workers costs more
SMALL_BATCH = 24


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def workers_for(items: int, workers: int | None = None) -> int:
    """The processes a batch of ``items`` runs on: 1 (this one) for a small batch, else
    ``workers`` (default: every core), never more than there are items."""
    if items < SMALL_BATCH:
        return 1
    return max(1, min(workers or available_cores(), items))


def chunk_size(items: int, workers: int) -> int:
    """Enough chunks to keep every worker busy to the end, few enough to keep the overhead low."""
    return max(1, min(64, items // (workers * 4) or 1))


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _quiet_worker(setup: Callable[..., None] | None, args: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a worker whose parent has gone (Ctrl-C, a closed pipe) must not print a traceback of its
    # own; errors in the work itself travel back to the parent, which reports them
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the worker
    if setup is not None:
        setup(*args)


def _run_chunk(work: tuple[Callable[[T], R], list[T]]) -> list[R]:
    function, chunk = work
    return [function(item) for item in chunk]


def pool_map(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int | None = None,
    setup: Callable[..., None] | None = None,
    setup_args: tuple[Any, ...] = (),
    done: Callable[[int], None] | None = None,
) -> Iterator[R]:
    """``function`` over ``items`` on ``workers`` processes (default: every core), in order.

    ``function`` and ``setup`` must be module-level functions (they are sent to the workers by
    name); ``setup(*setup_args)`` runs once in each worker before any item. ``done(n)`` is
    called in this process as each chunk of ``n`` results arrives. One worker, or a small batch,
    runs here without a pool.
    """
    workers = workers_for(len(items), workers)
    if workers <= 1:
        if setup is not None:
            setup(*setup_args)
        for item in items:
            yield function(item)
            if done is not None:
                done(1)
        return
    size = chunk_size(len(items), workers)
    chunks = [(function, list(items[i : i + size])) for i in range(0, len(items), size)]
    for results in _chunks_on_pool(_run_chunk, chunks, workers, setup, setup_args):
        yield from results
        if done is not None:
            done(len(results))


def _chunks_on_pool(
    function: Callable[[T], R],
    chunks: Sequence[T],
    workers: int,
    setup: Callable[..., None] | None,
    setup_args: tuple[Any, ...],
) -> Iterator[R]:
    """``function`` over each chunk on a pool of ``workers`` processes, in the chunks' order."""
    # forked workers inherit the handlers of this moment: Ctrl-C is ignored from their first
    # instruction, not only once their set-up has run
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    # what exists now (the knowledge base, its engine, the vocabulary) is set apart from the
    # garbage collector's rounds: forked workers then never walk it, which would copy each
    # page of it they share with this process (a quarter of their page faults)
    gc.freeze()
    try:
        try:
            pool = _context().Pool(workers, _quiet_worker, (setup, setup_args))
        finally:
            signal.signal(signal.SIGINT, previous)
        try:
            yield from pool.imap(function, chunks)
            pool.close()
        finally:
            pool.terminate()
            pool.join()
    finally:
        gc.unfreeze()  # collected as before once the workers are gone


# -- advice on many case files ----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """One case file of a batch: what ``render`` made of its advice, or why it was refused."""

    path: Path
    rendered: R | None = None
    #: one line per problem, as the command line prints them
    problems: tuple[str, ...] = ()


#: the knowledge base and renderer of this worker process (set by the parent before forking,
#: or by the worker's set-up)
_worker: dict[str, Any] = {}


def _set_up_worker(
    folder: Path | None, render: Callable[[Advice], Any], engine: str = DEFAULT_BACKEND
) -> None:
    kb = _worker.get("kb")
    if kb is None or kb.engine_name != engine or (folder is not None and kb.folder != folder):
        from .knowledge_base import default_kb

        if folder is None and engine == DEFAULT_BACKEND:
            kb = default_kb()
        else:  # load only the KB asked for, not the default one first
            kb = KnowledgeBase.load(folder, engine=engine)
    _worker.update(kb=kb, render=render)


def _advise_one(path: Path) -> Outcome[Any]:
    rendered, problems = _advised(path)
    return Outcome(path, rendered=rendered, problems=problems)


def _advised(path: Path) -> tuple[Any, tuple[str, ...]]:
    """What ``render`` makes of the advice on one case file, or the lines of its problems."""
    kb: KnowledgeBase = _worker["kb"]
    try:
        advice = kb.advise(kb.load_case(path))
    except CaseError as exc:
        return None, tuple(str(p) for p in exc.problems)
    return _worker["render"](advice), ()


def _advise_chunk(names: list[str]) -> list[tuple[Any, tuple[str, ...]]]:
    """A worker's share: the case files named, each advised (or refused) in turn. Paths travel
    as text and results as plain tuples: the parent builds the outcomes from its own paths, so
    what crosses between the processes is as small and as quick to copy as it can be."""
    return [_advised(Path(name)) for name in names]


def advise_files(
    paths: Iterable[Path],
    kb: KnowledgeBase,
    render: Callable[[Advice], R],
    *,
    workers: int | None = None,
    done: Callable[[int], None] | None = None,
) -> Iterator[Outcome[R]]:
    """Read, check and advise on each case file with ``kb``, on every core, in input order.

    ``render`` turns each advice into what the caller keeps (a line, a JSON text, a dict ...):
    it runs in the worker, so writing the output is spread over the cores too, and only plain
    data comes back. It must be a module-level function.
    """
    _worker.update(kb=kb, render=render)  # forked workers start with these
    folder = None if kb.folder == _default_folder() else kb.folder
    paths = list(paths)
    setup_args = (folder, render, kb.engine_name)
    count = workers_for(len(paths), workers)
    if count <= 1:
        yield from pool_map(
            _advise_one, paths, workers=1, setup=_set_up_worker, setup_args=setup_args, done=done
        )
        return
    if _context().get_start_method() == "fork":
        # built once here and inherited, rather than once in each worker: the CLIPS program
        # takes a quarter of a second to build, the time of hundreds of cases
        kb.backend.prepare()
    size = chunk_size(len(paths), count)
    starts = range(0, len(paths), size)
    chunks = [[str(p) for p in paths[start : start + size]] for start in starts]
    results = _chunks_on_pool(_advise_chunk, chunks, count, _set_up_worker, setup_args)
    for start, chunk in zip(starts, results, strict=True):
        for path, (rendered, problems) in zip(paths[start : start + size], chunk, strict=True):
            yield Outcome(path, rendered=rendered, problems=problems)
        if done is not None:
            done(len(chunk))


def _default_folder() -> Path:
    from innoproc.ontology.resources import kb_dir

    return kb_dir()

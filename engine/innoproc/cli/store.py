"""``innoproc store ...``: keep a library of cases and their advice in a triple store."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .app import INPUT_ERROR, KbOption, app, err, guarded, load_kb

if TYPE_CHECKING:
    from innoproc.explain import KnowledgeBase
    from innoproc.store import TripleStore
    from innoproc.store.batch import Outcome

store_app = typer.Typer(
    help="Keep a library of cases and their advice in a triple store (query it with "
    "`innoproc query`).",
    no_args_is_help=True,
)
app.add_typer(store_app, name="store")

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store folder, or a SPARQL server URL (default: $INNOPROC_STORE, else the user's "
        "data folder).",
        show_default=False,
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Processes advising at once (default: one per core)."),
]


class DumpChoice(StrEnum):
    nquads = "nquads"
    trig = "trig"


#: cases written per transaction: each case is whole or absent whatever happens
BATCH = 64


@contextmanager
def opened(location: str | None, create: bool = False) -> Iterator[TripleStore]:
    """The store, closed afterwards; only commands that add to it may create it."""
    from innoproc.store.library import open_store

    store = open_store(location, create)
    try:
        yield store
    finally:
        store.close()


@store_app.command("add")
@guarded
def add(
    cases: Annotated[
        list[Path], typer.Argument(help="Case files (YAML, JSON or RDF), or folders of them.")
    ],
    store: StoreOption = None,
    kb: KbOption = None,
    workers: WorkersOption = None,
) -> None:
    """Validate each case, advise on it, and store case and advice (replacing what was stored
    for it). Cases that do not conform are reported and skipped; the exit status is then 2."""
    from innoproc.store.library import put_knowledge

    from .advise import case_paths

    knowledge = load_kb(kb)
    paths = [str(p) for p in case_paths(cases)]
    with opened(store, create=True) as target:
        put_knowledge(target, knowledge)
        stored, failed = _advise_and_store(target, knowledge, paths, workers)
    print(f"stored {stored} case(s) in {target.location}")
    if failed:
        err(f"{failed} of {len(paths)} case file(s) do not conform and were not stored")
        raise typer.Exit(INPUT_ERROR)


def _advise_and_store(
    target: TripleStore, knowledge: KnowledgeBase, sources: list[str], workers: int | None
) -> tuple[int, int]:
    """Advise in batches on every core and write each batch in one transaction."""
    from innoproc.store.batch import advise_many

    stored = failed = 0
    total = len(sources)
    # a log line per batch written when the output is not a terminal and the batch is large
    log = total >= 2 * BATCH and not sys.stderr.isatty()
    with _progress(total) as advance:
        for outcomes in advise_many(knowledge, sources, workers, BATCH, advance):
            written, refused = _store_batch(target, outcomes)
            stored, failed = stored + written, failed + refused
            if log:
                err(f"stored {stored} of {total} case(s)")
    return stored, failed


def _store_batch(target: TripleStore, outcomes: list[Outcome]) -> tuple[int, int]:
    """Report the problems of a batch's refused cases, store the others in one transaction;
    how many were stored and refused."""
    from innoproc.store.library import put_cases

    for outcome in outcomes:
        for line in outcome.problems:
            err(line)
    ready = [o.stored for o in outcomes if o.stored is not None]
    put_cases(target, ready)
    return len(ready), len(outcomes) - len(ready)


@contextmanager
def _progress(total: int, doing: str = "advising and storing") -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error when it is a terminal and the batch is large."""
    if total < 2 * BATCH or not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(doing, total=total)
        yield lambda n: bar.advance(task, n)


@store_app.command("list")
@guarded
def list_(store: StoreOption = None, kb: KbOption = None) -> None:
    """Each stored case with the KB fingerprint of its advice, and whether that advice is
    stale (given by another KB than the current one)."""
    from innoproc.store.library import list_cases

    current = load_kb(kb).fingerprint
    with opened(store) as source:
        entries = list_cases(source)
    from innoproc.export.words import printable

    print("case\tadvice KB\tadvised at\tstatus")
    for entry in entries:
        status = "current" if entry.fingerprint == current else "stale"
        print(
            f"{printable(entry.case_id)}\t{entry.fingerprint or '-'}\t"
            f"{entry.advised_at or '-'}\t{status}"
        )
    stale = sum(1 for e in entries if e.fingerprint != current)
    err(f"{len(entries)} case(s), {stale} stale against the current KB ({current})")


@store_app.command("remove")
@guarded
def remove(
    ids: Annotated[list[str], typer.Argument(help="Ids of stored cases.")],
    store: StoreOption = None,
) -> None:
    """Remove cases (their case graph and advice) from the store."""
    from innoproc.store.library import remove_cases

    with opened(store) as target:
        removed, missing = remove_cases(target, ids)
    for case_id in removed:
        print(f"removed {case_id}")
    for case_id in missing:
        err(f"{case_id}: no such case in the store")
    if missing:
        raise typer.Exit(INPUT_ERROR)


@store_app.command("readvise")
@guarded
def readvise(
    store: StoreOption = None,
    kb: KbOption = None,
    all_cases: Annotated[
        bool, typer.Option("--all", help="Re-advise every case, not only the stale ones.")
    ] = False,
    workers: WorkersOption = None,
) -> None:
    """Advise again on the stored cases whose advice is stale (after a KB change), from the
    case graphs in the store, on every core."""
    from innoproc.store.batch import readvise_many
    from innoproc.store.library import list_cases, put_knowledge

    knowledge = load_kb(kb)
    done = failed = 0
    with opened(store) as target:
        put_knowledge(target, knowledge)
        todo = [
            e for e in list_cases(target) if all_cases or e.fingerprint != knowledge.fingerprint
        ]
        with _progress(len(todo), "advising again") as advance:
            for outcomes in readvise_many(target, knowledge, todo, workers, BATCH, advance):
                written, refused = _store_batch(target, outcomes)
                done, failed = done + written, failed + refused
    print(f"re-advised {done} case(s) with KB {knowledge.fingerprint}")
    if failed:
        err(f"{failed} stored case(s) no longer conform and keep their old advice")
        raise typer.Exit(INPUT_ERROR)


@store_app.command("export")
@guarded
def export(
    store: StoreOption = None,
    fmt: Annotated[DumpChoice, typer.Option("--format", "-f", help="Syntax.")] = DumpChoice.nquads,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Write the whole store (every named graph) as N-Quads or TriG."""
    from innoproc.store import DumpFormat

    with opened(store) as source:
        if output is None:
            sys.stdout.flush()
            source.dump(sys.stdout.buffer, DumpFormat(fmt.value))
            sys.stdout.buffer.flush()
            return
        import os
        import tempfile

        folder = output.resolve().parent
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{output.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                source.dump(out, DumpFormat(fmt.value))
            os.replace(temp, output)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    err(f"wrote {output}")


@store_app.command("import")
@guarded
def import_(
    file: Annotated[Path, typer.Argument(help="An N-Quads (.nq) or TriG (.trig) file.")],
    store: StoreOption = None,
    fmt: Annotated[
        DumpChoice | None,
        typer.Option("--format", "-f", help="Syntax (default: from the file's extension)."),
    ] = None,
) -> None:
    """Add the graphs of an export (``store export``) to the store, in one transaction."""
    from innoproc.store.library import import_dump

    syntax = fmt.value if fmt else {".nq": "nquads", ".trig": "trig"}.get(file.suffix.lower())
    if syntax is None:
        err(f"{file}: cannot tell the syntax from the extension; give --format nquads or trig")
        raise typer.Exit(INPUT_ERROR)
    with opened(store, create=True) as target:
        count = import_dump(target, file, syntax)
    print(f"imported {count} case(s) from {file}")


@store_app.command("stats")
@guarded
def stats(store: StoreOption = None, kb: KbOption = None) -> None:
    """Cases, graphs, quads and size on disk; advice runs by KB fingerprint."""
    from innoproc.store.library import case_count, stored_fingerprints

    current = load_kb(kb).fingerprint
    with opened(store) as source:
        numbers = source.stats()
        cases = case_count(source)
        runs = stored_fingerprints(source)
        where = source.location
    print(f"store\t{where}")
    print(f"cases\t{cases}")
    print(f"graphs\t{numbers.graphs}")
    print(f"quads\t{numbers.quads}")
    if numbers.size_bytes is not None:
        print(f"bytes on disk\t{numbers.size_bytes}")
    for fingerprint, count in runs.items():
        tag = " (current KB)" if fingerprint == current else " (stale)"
        print(f"advice by KB {fingerprint}{tag}\t{count}")

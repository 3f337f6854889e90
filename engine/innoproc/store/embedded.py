"""The embedded store: a persistent Oxigraph (RocksDB) store in a folder on this machine.

Oxigraph applies a SPARQL update in one transaction, so :meth:`EmbeddedStore.replace_graphs`
sends its drops and inserts as one update request: a process killed half-way leaves either
the old graphs or the new ones. RocksDB locks the folder, so one process at a time writes;
a second one gets :class:`StoreLocked` (a clear message, not RocksDB's text).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from innoproc.errors import InnoprocError

from .protocol import DumpFormat, QueryResult, Rows, StoreStats, Term, Triples, escape_iri
from .sparql_text import names_dataset

_FORMATS = {DumpFormat.nquads: ox.RdfFormat.N_QUADS, DumpFormat.trig: ox.RdfFormat.TRIG}


class StoreError(InnoprocError):
    """The store cannot be used as asked (locked, unreadable, of another format version)."""

    code = "store/unusable"


class StoreLocked(StoreError):
    code = "store/locked"


def _is_lock_error(exc: OSError) -> bool:
    text = str(exc)
    return "LOCK" in text or "lock" in text


class EmbeddedStore:
    """A :class:`~innoproc.store.protocol.TripleStore` in a local folder (created if absent)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.location = str(folder)
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"{folder}: is not a folder; give --store a folder for the store")
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)  # the user's data folder may not be
            self._store = ox.Store(str(folder))
        except OSError as exc:
            if _is_lock_error(exc):
                raise StoreLocked(
                    f"{folder}: the store is in use by another process (a running "
                    "`innoproc store ...` or `innoproc serve`?); wait for it to finish, or "
                    "query it through that server"
                ) from None
            raise StoreError(f"{folder}: cannot open the store: {exc}") from None

    # -- writing -------------------------------------------------------------------------------

    def replace_graphs(self, graphs: Mapping[str, str], drop: Iterable[str] = ()) -> None:
        names = list(dict.fromkeys([*drop, *graphs]))
        if not names:
            return
        parts = [f"DROP SILENT GRAPH <{escape_iri(name)}>" for name in names]
        inserts = [
            f"GRAPH <{escape_iri(name)}> {{\n{body}\n}}" for name, body in graphs.items() if body
        ]
        if inserts:
            parts.append("INSERT DATA {\n" + "\n".join(inserts) + "\n}")
        self._store.update(" ;\n".join(parts))

    def drop_graphs(self, names: Iterable[str]) -> None:
        self.replace_graphs({}, names)

    def load(self, source: BinaryIO, fmt: DumpFormat) -> None:
        self._store.load(source, _FORMATS[fmt])

    # -- reading -------------------------------------------------------------------------------

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        substitutions = {ox.Variable(k): term_to_ox(v) for k, v in (bindings or {}).items()}
        # the default graph is the union of the named graphs, unless the query names its own
        # dataset: Oxigraph's union option would silently override FROM
        result = self._store.query(
            sparql,
            use_default_graph_as_union=not names_dataset(sparql),
            substitutions=substitutions or None,
        )
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        if isinstance(result, ox.QuerySolutions):
            variables = tuple(v.value for v in result.variables)
            rows = tuple(
                tuple(term_from_ox(t) if t is not None else None for t in solution)
                for solution in result
            )
            return Rows(variables, rows)
        return Triples(
            tuple(
                (term_from_ox(t.subject), term_from_ox(t.predicate), term_from_ox(t.object))
                for t in result
            )
        )

    def graph_names(self) -> Sequence[str]:
        return [g.value for g in self._store.named_graphs()]

    def dump(self, out: BinaryIO, fmt: DumpFormat) -> None:
        self._store.dump(out, _FORMATS[fmt])

    def stats(self) -> StoreStats:
        size = _folder_size(self.folder)
        graphs = sum(1 for _ in self._store.named_graphs())
        return StoreStats(quads=len(self._store), graphs=graphs, size_bytes=size)

    def optimize(self) -> None:
        """Compact the files after a large batch (RocksDB merges its levels)."""
        self._store.optimize()

    def close(self) -> None:
        self._store.flush()
        del self._store


def _folder_size(folder: Path) -> int:
    """Bytes in the store's folder, tolerating files that vanish while we count.

    RocksDB compacts in background threads: a table file listed by `os.walk`
    can be deleted before it is measured, so a missing file counts as 0
    rather than failing `stats` (seen on CI after `store add` replaced a case).
    """
    size = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                size += (Path(root) / name).stat().st_size
            except FileNotFoundError:
                continue
    return size


_OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def term_from_ox(term: _OxTerm) -> Term:
    """A pyoxigraph term as the store protocol's :class:`Term` (embedded and remote stores)."""
    if isinstance(term, ox.NamedNode):
        return Term("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    if isinstance(term, ox.Literal):
        return Term("literal", term.value, term.datatype.value, term.language)
    return Term("triple", str(term))


def term_to_ox(term: Term) -> _OxTerm:
    """A :class:`Term` as a pyoxigraph term (a quoted triple cannot be one)."""
    if term.kind == "iri":
        return ox.NamedNode(term.value)
    if term.kind == "bnode":
        return ox.BlankNode(term.value)
    if term.kind == "literal":
        if term.language:
            return ox.Literal(term.value, language=term.language)
        return ox.Literal(
            term.value, datatype=ox.NamedNode(term.datatype) if term.datatype else None
        )
    raise ValueError(f"a quoted triple cannot be a query parameter: {term.value}")

"""The query worker: a child process that checks, runs and writes one query at a time.

Why a process: pyoxigraph cannot cancel a running query, and a thread cannot be stopped, so the
only sound way to bound a query's time is to run it where it can be killed. The server keeps a
few of these workers (:mod:`.pool`); when a query overruns its time the server kills the worker
with SIGKILL and starts another. Everything that may take long for a hostile text runs here,
under that limit: parsing, the checks, the query itself and writing the answer.

The worker opens the embedded store read-only (``Store.read_only``: no folder lock, so
``innoproc store add`` can keep writing) and sees the store as it was when opened; it opens it
again when the folder's files have changed, so answers follow what was stored. With a URL it
asks the remote SPARQL server through :class:`~innoproc.store.remote.RemoteStore`.

It talks to the server over its standard input and output in frames (a 4-byte big-endian length,
then that many bytes): a JSON request, answered by a JSON header and the body. No pickle is used.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO

from innoproc.store.protocol import QueryResult, Rows, Term, Triples

from .check import Checked, check_query
from .errors import Refused

_LENGTH = struct.Struct(">I")


def read_frame(stream: BinaryIO) -> bytes | None:
    """One frame, or None at the end of the stream."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    body = _read_exactly(stream, _LENGTH.unpack(head)[0])
    return body


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def frame(data: bytes) -> bytes:
    return _LENGTH.pack(len(data)) + data


class ReadOnlyStore:
    """The embedded store opened read-only, opened again when its files change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._store: Any = None
        self._seen: tuple[tuple[str, int, int], ...] | None = None

    def _files(self) -> tuple[tuple[str, int, int], ...]:
        found = []
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name.startswith("LOG") or not entry.is_file():
                    continue  # RocksDB's own log is written by readers too
                info = entry.stat()
                found.append((entry.name, info.st_size, info.st_mtime_ns))
        return tuple(sorted(found))

    def current(self, reopen: bool = False) -> Any:
        import pyoxigraph as ox

        files = self._files()
        if reopen or self._store is None or files != self._seen:
            self._store = None
            try:
                self._store = ox.Store.read_only(str(self.folder))
            except OSError as exc:
                raise Refused(
                    503, "server/store", f"the store cannot be opened: {_one_line(exc)}"
                ) from None
            self._seen = files
        return self._store

    def query(self, text: str, request: dict[str, Any], checked: Checked) -> QueryResult:
        """Run the query; the default graph is the union of the named graphs unless the
        request (``default-graph-uri``) or the query (``FROM``) names its dataset: Oxigraph's
        union option would override ``FROM``."""
        import pyoxigraph as ox

        options: dict[str, Any] = {}
        if request.get("default_graphs"):
            options["default_graph"] = [ox.NamedNode(g) for g in request["default_graphs"]]
        elif not checked.has_dataset:
            options["use_default_graph_as_union"] = True
        if request.get("named_graphs"):
            options["named_graphs"] = [ox.NamedNode(g) for g in request["named_graphs"]]
        limit = int(request["max_rows"])
        for attempt in (0, 1):
            store = self.current(reopen=attempt == 1)
            try:
                return _collect(store.query(text, **options), limit)
            except OSError:
                if attempt:  # files gone under a reader while a writer compacts: once more
                    raise
            except SyntaxError as exc:
                raise Refused(
                    400, "server/bad-query", f"the query is not valid SPARQL: {_one_line(exc)}"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover


def check_store(location: str) -> None:
    """Refuse to serve a location that holds no innoproc store of this format version, before
    the server starts (a StoreError naming what to do)."""
    from innoproc.store.embedded import StoreError
    from innoproc.store.library import FORMAT_PROPERTY, FORMAT_VERSION, STORE_IRI

    marker = f"SELECT ?v WHERE {{ GRAPH <{STORE_IRI}> {{ <{STORE_IRI}> <{FORMAT_PROPERTY}> ?v }} }}"
    if location.startswith(("http://", "https://")):
        from innoproc.store.remote import RemoteStore

        found = RemoteStore(location, timeout=30).query(marker)
        versions = {str(row[0]) for row in found.rows} if isinstance(found, Rows) else set()
    else:
        folder = Path(location).expanduser()
        if not (folder / "CURRENT").is_file():
            raise StoreError(
                f"{location}: no store here; store cases first with `innoproc store add "
                f"--store {location} CASES...`"
            )
        try:
            found = ReadOnlyStore(folder).query(marker, {"max_rows": 10}, Checked("SELECT", False))
        except Refused as exc:
            raise StoreError(f"{location}: {exc.message}") from None
        assert isinstance(found, Rows)
        versions = {str(row[0]) for row in found.rows}
    if versions != {FORMAT_VERSION}:
        written = ", ".join(sorted(versions)) or "none (not an innoproc store)"
        raise StoreError(
            f"{location}: the store's format version is {written}, this innoproc serves version "
            f"{FORMAT_VERSION}; store the cases again with this innoproc (`innoproc store add`)"
        )


def _collect(result: Any, limit: int) -> QueryResult:
    """pyoxigraph's answer as store-neutral rows, refused past ``limit`` rows or triples."""
    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    seen: dict[Any, Term] = {}  # answers repeat their IRIs: each is converted once

    def term(found: Any) -> Term:
        converted = seen.get(found)
        if converted is None:
            converted = seen[found] = _term(found)
        return converted

    if isinstance(result, ox.QuerySolutions):
        variables = tuple(v.value for v in result.variables)
        rows: list[tuple[Term | None, ...]] = []
        for solution in result:
            if len(rows) == limit:
                raise too_many(limit)
            rows.append(tuple(term(t) if t is not None else None for t in solution))
        return Rows(variables, tuple(rows))
    triples: list[tuple[Term, Term, Term]] = []
    for triple in result:
        if len(triples) == limit:
            raise too_many(limit)
        triples.append((term(triple.subject), term(triple.predicate), term(triple.object)))
    return Triples(tuple(triples))


def too_many(limit: int) -> Refused:
    return Refused(
        403,
        "server/too-many-results",
        f"the answer has more than {limit:,} rows (the server's limit); narrow the query or "
        "page through it with LIMIT and OFFSET",
    )


def _term(term: Any) -> Term:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return Term("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    if isinstance(term, ox.Literal):
        return Term("literal", term.value, term.datatype.value, term.language)
    return Term("triple", str(term))


class RemoteSource:
    """A remote SPARQL server as the worker's store."""

    def __init__(self, url: str) -> None:
        from innoproc.store.remote import RemoteStore

        self.store = RemoteStore(url)

    def query(self, text: str, request: dict[str, Any], checked: Checked) -> QueryResult:
        if request.get("default_graphs") or request.get("named_graphs"):
            raise Refused(
                400,
                "server/bad-query",
                "default-graph-uri and named-graph-uri are not taken when serving a remote "
                "store; use FROM or GRAPH in the query",
            )
        result = self.store.query(text)
        limit = int(request["max_rows"])
        count = len(result.rows) if isinstance(result, Rows) else 0
        if isinstance(result, Triples):
            count = len(result.triples)
        if count > limit:
            raise too_many(limit)
        return result


def answer(
    source: ReadOnlyStore | RemoteSource, request: dict[str, Any]
) -> tuple[dict[str, Any], bytes]:
    """The reply header and body for one request."""
    from .results import negotiate, write

    try:
        text = request["query"]
        checked = check_query(text)
        fmt = negotiate(checked.form, request.get("accept"), request.get("format"))
        result = source.query(text, request, checked)
        body = write(result, fmt)
    except Refused as exc:
        return {"ok": False, "status": exc.status, "code": exc.code, "message": exc.message}, b""
    except SyntaxError as exc:  # a remote server refused the query's text
        message = f"the query is not valid SPARQL: {_one_line(exc)}"
        return {"ok": False, "status": 400, "code": "server/bad-query", "message": message}, b""
    except Exception as exc:  # the store failed: one line for the client, not a traceback
        message = f"the store cannot run the query: {_one_line(exc)}"
        return {"ok": False, "status": 500, "code": "server/store", "message": message}, b""
    return {"ok": True, "media_type": fmt.media_type, "form": checked.form}, body


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def main() -> None:
    """Serve requests from standard input until it closes."""
    location = sys.argv[1]
    source: ReadOnlyStore | RemoteSource
    if location.startswith(("http://", "https://")):
        source = RemoteSource(location)
    else:
        source = ReadOnlyStore(Path(location).expanduser())
    # rdflib's parser recurses about 25 frames per nested group: this lets a query nest a few
    # hundred groups deep; deeper ones end in RecursionError, answered as a bad query
    sys.setrecursionlimit(20_000)
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed by a library may corrupt the frames

    check_query("ASK {}")  # load the parser before the first request's clock starts
    replies.write(frame(b"ready"))
    replies.flush()
    while True:
        data = read_frame(requests)
        if data is None:
            return
        header, body = answer(source, json.loads(data))
        replies.write(frame(json.dumps(header).encode()) + frame(body))
        replies.flush()


if __name__ == "__main__":
    main()

"""A remote store: the case library on a SPARQL 1.1 server (Oxigraph server, Fuseki, ...).

Reads go through the SPARQL 1.1 Protocol (``POST`` of the query as a form); writes through the
SPARQL 1.1 Graph Store HTTP Protocol: each named graph is written whole with ``PUT`` and removed
with ``DELETE``. Graph Store requests are plain RDF documents, so no server's limit on the size
of a SPARQL Update applies (Virtuoso refuses updates of more than about 1,000 triples).

Where the endpoints are, from the URL given to ``--store``:

==============================  ============================  ===============================
URL                             queries                       Graph Store
==============================  ============================  ===============================
``http://host:7878`` (no path)  ``/query``                    ``/store`` (Oxigraph server)
``.../query`` at the root       ``/query``                    ``/store`` (Oxigraph server)
``.../DATASET/query``           that URL                      ``.../DATASET/data`` (Fuseki)
``.../sparql``                  that URL                      ``.../sparql-graph-crud``
anything else                   that URL                      that URL
==============================  ============================  ===============================

``INNOPROC_GRAPH_STORE`` names the Graph Store endpoint when the rule does not fit. Queries read
the union of the named graphs as their default graph (the store's contract): Oxigraph is asked
for it per query (``union-default-graph``); other servers must be configured so (Fuseki:
``tdb2:unionDefaultGraph true``).

Writes are one transaction where the server has a SPARQL 1.1 Update endpoint the URL tells us
(Oxigraph's ``/update``, Fuseki's ``.../DATASET/update``, or ``INNOPROC_UPDATE_ENDPOINT``): the
graphs a call drops and writes travel as one update request (``DROP SILENT GRAPH`` ...; one
``INSERT DATA``), which the SPARQL 1.1 Update specification asks a server to apply atomically and
both servers do. Elsewhere each named graph is its own Graph Store request, so a write of several
graphs is not one transaction: a case's graph is written before its advice graph, and a case
interrupted between the two keeps its previous advice until it is added again.

Only the URLs above are ever contacted: redirects are not followed.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, BinaryIO

from innoproc.errors import InnoprocError

from .protocol import (
    DumpFormat,
    QueryResult,
    Rows,
    StoreStats,
    Term,
    Triples,
    escape_iri,
)

_RESULTS_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"
_ACCEPT = f"{_RESULTS_JSON}, {_NTRIPLES};q=0.9, text/plain;q=0.1"
#: how long one request may take, in seconds
DEFAULT_TIMEOUT = 300.0


class RemoteStoreError(InnoprocError):
    """The remote server cannot be reached or refused a request."""

    code = "store/remote"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is answered as the error it is, never followed


def update_endpoint(url: str) -> str | None:
    """The SPARQL 1.1 Update endpoint that makes a write one transaction, if the URL tells it.

    Only for servers whose update endpoint is known by rule (Oxigraph, Fuseki) or named by
    ``INNOPROC_UPDATE_ENDPOINT`` (``none``: use the Graph Store protocol even there); Virtuoso's
    ``/sparql`` also takes updates but refuses large ones, so it (and any other server) is
    written through the Graph Store protocol.
    """
    named = os.environ.get("INNOPROC_UPDATE_ENDPOINT", "")
    if named:
        return None if named.lower() == "none" else named
    parts = urllib.parse.urlsplit(url)
    path = parts.path.rstrip("/")
    if path in ("", "/query"):
        new_path = "/update"
    elif path.endswith("/query"):
        new_path = path.removesuffix("/query") + "/update"
    else:
        return None
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))


def endpoints(url: str) -> tuple[str, str, bool]:
    """The query endpoint, the Graph Store endpoint and whether the server is Oxigraph's."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path.rstrip("/")

    def at(new_path: str) -> str:
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))

    graph_store = os.environ.get("INNOPROC_GRAPH_STORE")
    if path in ("", "/query"):
        return at("/query"), graph_store or at("/store"), True
    if path.endswith("/query"):
        return at(path), graph_store or at(path.removesuffix("/query") + "/data"), False
    if path.endswith("/sparql"):
        return at(path), graph_store or at(path + "-graph-crud"), False
    return at(path), graph_store or at(path), False


class RemoteStore:
    """A :class:`~innoproc.store.protocol.TripleStore` on a SPARQL 1.1 server at ``url``."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not url.startswith(("http://", "https://")):
            raise RemoteStoreError(f"{url}: not an http(s) URL")
        self.location = url
        self.timeout = timeout
        self.query_url, self.graph_store_url, self._oxigraph = endpoints(url)
        self.update_url = update_endpoint(url)
        self._opener = urllib.request.build_opener(_NoRedirect())

    # -- HTTP ------------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        missing_ok: bool = False,
    ) -> tuple[str, bytes]:
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code == 404:
                return "", b""
            detail = " ".join(exc.read(500).decode("utf-8", "replace").split())
            if exc.code == 400 and url == self.query_url:
                raise SyntaxError(detail or "the server refused the query") from None
            raise RemoteStoreError(
                f"{self.location}: {method} {url} answered HTTP {exc.code} {exc.reason}"
                + (f": {detail}" if detail else "")
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteStoreError(f"{self.location}: cannot reach the server: {reason}") from None

    def _graph_url(self, name: str) -> str:
        return self.graph_store_url + "?" + urllib.parse.urlencode({"graph": name})

    # -- writing -------------------------------------------------------------------------------

    def _update(self, operations: list[str]) -> None:
        """Send ``operations`` as one SPARQL Update request: all of it is applied or none."""
        if operations:
            body = " ;\n".join(operations).encode("utf-8")
            headers = {"Content-Type": "application/sparql-update; charset=utf-8"}
            assert self.update_url is not None
            self._request("POST", self.update_url, body, headers)

    def replace_graphs(self, graphs: Mapping[str, str], drop: Iterable[str] = ()) -> None:
        if self.update_url is not None:
            names = dict.fromkeys([*drop, *graphs])
            operations = [f"DROP SILENT GRAPH <{escape_iri(name)}>" for name in names]
            written = "\n".join(
                f"GRAPH <{escape_iri(name)}> {{\n{body}\n}}"
                for name, body in graphs.items()
                if body.strip()
            )
            if written:
                operations.append(f"INSERT DATA {{\n{written}\n}}")
            self._update(operations)
            return
        for name in dict.fromkeys(drop):
            if name not in graphs:
                self._request("DELETE", self._graph_url(name), missing_ok=True)
        for name, body in graphs.items():
            if body.strip():
                headers = {"Content-Type": f"{_NTRIPLES}; charset=utf-8"}
                self._request("PUT", self._graph_url(name), body.encode(), headers)
            else:
                self._request("DELETE", self._graph_url(name), missing_ok=True)

    def drop_graphs(self, names: Iterable[str]) -> None:
        if self.update_url is not None:
            self._update([f"DROP SILENT GRAPH <{escape_iri(n)}>" for n in dict.fromkeys(names)])
            return
        for name in dict.fromkeys(names):
            self._request("DELETE", self._graph_url(name), missing_ok=True)

    def load(self, source: BinaryIO, fmt: DumpFormat) -> None:
        """Each graph of the stream is added to the graph of that name (Graph Store ``POST``)."""
        import pyoxigraph as ox

        syntax = ox.RdfFormat.N_QUADS if fmt is DumpFormat.nquads else ox.RdfFormat.TRIG
        by_graph: dict[str, list[Any]] = defaultdict(list)
        for quad in ox.parse(source, format=syntax):
            name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
            by_graph[name].append(ox.Triple(quad.subject, quad.predicate, quad.object))
        for name, triples in by_graph.items():
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
            assert body is not None
            url = self._graph_url(name) if name else self.graph_store_url + "?default"
            self._request("POST", url, body, {"Content-Type": _NTRIPLES})

    # -- reading -------------------------------------------------------------------------------

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        """The query over the SPARQL Protocol; ``bindings`` as a trailing ``VALUES`` block (no
        server but Oxigraph substitutes variables)."""
        if bindings:
            names = " ".join(f"?{name}" for name in bindings)
            terms = " ".join(term.n3() for term in bindings.values())
            sparql = f"{sparql}\nVALUES ({names}) {{ ({terms}) }}"
        form: dict[str, str] = {"query": sparql}
        if self._oxigraph:
            form["union-default-graph"] = ""
        content_type, body = self._request(
            "POST",
            self.query_url,
            urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": _ACCEPT},
        )
        media = content_type.split(";")[0].strip().lower()
        if media in (_RESULTS_JSON, "application/json"):
            return _from_results_json(json.loads(body))
        return _from_ntriples(body)

    def graph_names(self) -> Sequence[str]:
        found = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert isinstance(found, Rows)
        return [row[0].value for row in found.rows if row[0] is not None]

    def dump(self, out: BinaryIO, fmt: DumpFormat) -> None:
        """Every named graph, read with one SELECT (any SPARQL server answers it)."""
        import pyoxigraph as ox

        from .embedded import term_to_ox

        found = self.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert isinstance(found, Rows)
        quads = []
        for graph, *spo in found.rows:
            subject, predicate, obj = (term_to_ox(term) for term in spo if term is not None)
            quads.append(ox.Quad(subject, predicate, obj, term_to_ox(graph)))  # type: ignore[arg-type]
        syntax = ox.RdfFormat.N_QUADS if fmt is DumpFormat.nquads else ox.RdfFormat.TRIG
        ox.serialize(quads, out, format=syntax)

    def stats(self) -> StoreStats:
        found = self.query(
            "SELECT (COUNT(*) AS ?quads) (COUNT(DISTINCT ?g) AS ?graphs) "
            "WHERE { GRAPH ?g { ?s ?p ?o } }"
        )
        assert isinstance(found, Rows)
        quads, graphs = (int(t.value) if t is not None else 0 for t in found.rows[0])
        return StoreStats(quads=quads, graphs=graphs, size_bytes=None)

    def close(self) -> None:
        """Nothing to release: every request has its own connection."""


def _from_results_json(document: Mapping[str, Any]) -> QueryResult:
    if "boolean" in document:
        return bool(document["boolean"])
    variables = tuple(document["head"]["vars"])
    rows = tuple(
        tuple(_json_term(binding[v]) if v in binding else None for v in variables)
        for binding in document["results"]["bindings"]
    )
    return Rows(variables, rows)


def _json_term(value: Mapping[str, str]) -> Term:
    kind = value["type"]
    if kind == "uri":
        return Term.iri(value["value"])
    if kind == "bnode":
        return Term("bnode", value["value"])
    if kind == "triple":
        return Term("triple", json.dumps(value["value"]))
    return Term.literal(value["value"], value.get("datatype"), value.get("xml:lang"))


def _from_ntriples(body: bytes) -> Triples:
    import pyoxigraph as ox

    from .embedded import term_from_ox

    triples = []
    for triple in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
        triples.append(
            tuple(term_from_ox(t) for t in (triple.subject, triple.predicate, triple.object))
        )
    return Triples(tuple(triples))  # type: ignore[arg-type]


__all__ = ["RemoteStore", "RemoteStoreError", "endpoints"]

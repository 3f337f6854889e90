"""`--store URL`: the store and query commands on a real Oxigraph server (the `oxigraph` binary of
the PyPI package of that name), started by the tests on a free loopback port and stopped after.
Reads go through the SPARQL 1.1 Protocol, writes through Graph Store HTTP PUT and DELETE."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from innoproc.cli import app as cli
from innoproc.store.protocol import Rows, Term, Triples
from innoproc.store.remote import RemoteStore, RemoteStoreError, endpoints, update_endpoint

from conftest import CASES

IPO = "https://w3id.org/innoproc/ontology#"
CASE_NS = "https://w3id.org/innoproc/case/"
PREFIXES = f"PREFIX ipo: <{IPO}>\nPREFIX case: <{CASE_NS}>\n"
YOKE = "cern-lhc-yoke-steel"
runner = CliRunner()


def oxigraph_binary() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.is_file() else shutil.which("oxigraph")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    """An Oxigraph server on a fresh folder; its base URL."""
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    port = free_port()
    folder = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        [binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(f"oxigraph serve ended: {process.stderr.read()!r}")
            try:
                urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def invoke(*args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def remote(oxigraph, library):
    """The whole library stored on the Oxigraph server with `innoproc store add --store URL`."""
    result = invoke("store", "add", "--store", oxigraph, "--workers", "1", str(CASES))
    assert result.exit_code == 0, result.output
    assert f"stored {len(library)} case(s)" in result.stdout
    return oxigraph


def stored_ids(url: str) -> set[str]:
    result = invoke("store", "list", "--store", url)
    assert result.exit_code == 0, result.output
    return {line.split("\t")[0] for line in result.stdout.splitlines()[1:]}


def test_every_case_is_listed_with_current_advice(remote, library):
    result = invoke("store", "list", "--store", remote)
    lines = result.stdout.splitlines()[1:]
    assert {line.split("\t")[0] for line in lines} == set(library)
    assert all(line.endswith("\tcurrent") for line in lines)


def test_each_case_graph_is_stored_as_the_loader_made_it(remote, library):
    store = RemoteStore(remote)
    for case_id, case in library.items():
        found = store.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{CASE_NS}{case_id}> {{ ?s ?p ?o }} }}"
        )
        assert isinstance(found, Triples)
        answered = Graph().parse(
            data="".join(" ".join(t.n3() for t in triple) + " .\n" for triple in found.triples),
            format="nt",
        )
        assert isomorphic(answered, case.graph), case_id


def test_query_reads_the_union_of_the_graphs(remote, library):
    text = PREFIXES + (
        "SELECT ?id ?organisation WHERE { ?c ipo:caseId ?id ; ipo:organisation ?organisation }"
    )
    result = invoke("query", "--store", remote, "--query", text, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {tuple(line.split(",")) for line in result.stdout.splitlines()[1:]}
    expected = {
        (cid, str(case.facts["organisation"]))
        for cid, case in library.items()
        if "organisation" in case.facts
    }
    assert expected and rows == expected


def test_a_parameter_is_bound_as_a_term(remote, library):
    text = PREFIXES + (
        "SELECT ?id ?organisation WHERE { ?c ipo:caseId ?id ; ipo:organisation ?organisation }"
    )
    result = invoke(
        "query", "--store", remote, "--query", text, "--param", "organisation=CERN", "-f", "csv"
    )
    assert result.exit_code == 0, result.output
    ids = {line.split(",")[0] for line in result.stdout.splitlines()[1:]}
    expected = {cid for cid, c in library.items() if c.facts.get("organisation") == "CERN"}
    assert expected and ids == expected


def test_an_update_is_refused_before_it_reaches_the_server(remote, library):
    result = invoke("query", "--store", remote, "--query", "DROP ALL")
    assert result.exit_code == 2
    assert stored_ids(remote) == set(library)


@pytest.mark.parametrize("writes", ["update", "graph-store"])
def test_adding_again_replaces_and_remove_deletes(remote, library, writes, monkeypatch):
    """Both ways of writing: one SPARQL Update request, or a Graph Store request per graph."""
    if writes == "graph-store":
        monkeypatch.setenv("INNOPROC_UPDATE_ENDPOINT", "none")
    store = RemoteStore(remote)
    assert (store.update_url is None) == (writes == "graph-store")
    before = store.stats()
    assert invoke("store", "add", "--store", remote, str(CASES / f"{YOKE}.yaml")).exit_code == 0
    assert store.stats() == before  # the same graphs, replaced, not added to
    removed = invoke("store", "remove", "--store", remote, YOKE)
    assert removed.exit_code == 0, removed.output
    assert stored_ids(remote) == set(library) - {YOKE}
    assert f"{CASE_NS}{YOKE}" not in store.graph_names()
    assert store.stats().quads < before.quads
    assert invoke("store", "add", "--store", remote, str(CASES / f"{YOKE}.yaml")).exit_code == 0
    assert store.stats() == before


def test_a_write_refused_half_way_leaves_every_graph_as_it_was(remote):
    """The graphs of one call travel in one update: a bad second graph keeps the first as well."""
    store = RemoteStore(remote)
    case_graph = f"{CASE_NS}{YOKE}"

    def triples() -> set[str]:
        rows = store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{case_graph}> {{ ?s ?p ?o }} }}")
        assert isinstance(rows, Rows)
        return {" ".join(str(term) for term in row) for row in rows.rows}

    before = triples()
    assert before
    replacement = "<urn:x:s> <urn:x:p> <urn:x:o> .\n"
    with pytest.raises(RemoteStoreError, match="HTTP 400"):
        store.replace_graphs({case_graph: replacement, "urn:x:graph": "<urn:x:s> <broken"})
    assert triples() == before
    assert "urn:x:graph" not in store.graph_names()


def test_the_update_endpoint_follows_from_the_url(monkeypatch):
    monkeypatch.delenv("INNOPROC_UPDATE_ENDPOINT", raising=False)
    assert update_endpoint("http://h:7878") == "http://h:7878/update"
    assert update_endpoint("http://h:7878/query") == "http://h:7878/update"
    assert update_endpoint("http://h:3030/lib/query") == "http://h:3030/lib/update"
    assert update_endpoint("http://h:8890/sparql") is None  # Virtuoso: large updates refused
    assert update_endpoint("http://h/repo") is None
    monkeypatch.setenv("INNOPROC_UPDATE_ENDPOINT", "http://h/u")
    assert update_endpoint("http://h/repo") == "http://h/u"
    monkeypatch.setenv("INNOPROC_UPDATE_ENDPOINT", "none")
    assert update_endpoint("http://h:7878") is None


def test_export_from_the_server_imports_into_an_embedded_store(remote, tmp_path):
    dump = tmp_path / "library.nq"
    exported = invoke("store", "export", "--store", remote, "--output", str(dump))
    assert exported.exit_code == 0, exported.output
    local = tmp_path / "local"
    imported = invoke("store", "import", "--store", str(local), str(dump))
    assert imported.exit_code == 0, imported.output
    from innoproc.store.library import open_store

    embedded = open_store(local)
    try:
        assert sorted(embedded.graph_names()) == sorted(RemoteStore(remote).graph_names())
        assert embedded.stats().quads == RemoteStore(remote).stats().quads
    finally:
        embedded.close()


def test_serving_a_remote_store(remote, library):
    from innoproc.server.app import create_app
    from innoproc.server.options import ServerOptions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    query = PREFIXES + "SELECT ?id WHERE { ?c a ipo:ProcurementCase ; ipo:caseId ?id }"
    with TestClient(create_app(ServerOptions(store=remote, workers=1))) as client:
        answer = client.get("/sparql", params={"query": query})
        assert answer.status_code == 200, answer.text
        assert {b["id"]["value"] for b in answer.json()["results"]["bindings"]} == set(library)
        service = "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"
        assert client.get("/sparql", params={"query": service}).status_code == 403


def test_bindings_become_a_values_block(remote):
    found = RemoteStore(remote).query(
        PREFIXES + "SELECT ?c ?id WHERE { ?c ipo:caseId ?id }",
        {"id": Term.literal(YOKE)},
    )
    assert isinstance(found, Rows)
    assert [row[0].value for row in found.rows if row[0]] == [CASE_NS + YOKE]


@pytest.mark.parametrize("url, query, graph_store", [
    ("http://h:7878", "http://h:7878/query", "http://h:7878/store"),
    ("http://h:7878/query", "http://h:7878/query", "http://h:7878/store"),
    ("http://h:3030/lib/query", "http://h:3030/lib/query", "http://h:3030/lib/data"),
    ("http://h:8890/sparql", "http://h:8890/sparql", "http://h:8890/sparql-graph-crud"),
    ("http://h/repo", "http://h/repo", "http://h/repo"),
])  # fmt: skip
def test_the_endpoints_follow_from_the_url(monkeypatch, url, query, graph_store):
    monkeypatch.delenv("INNOPROC_GRAPH_STORE", raising=False)
    assert endpoints(url)[:2] == (query, graph_store)
    monkeypatch.setenv("INNOPROC_GRAPH_STORE", "http://h/gsp")
    assert endpoints(url)[:2] == (query, "http://h/gsp")


def test_a_server_that_does_not_answer_is_one_line_and_exit_2():
    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(cli, ["store", "list", "--store", url])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "cannot reach the server" in result.stderr


def test_a_redirect_is_not_followed():
    """Only the URL given is contacted: a server answering 302 to elsewhere gets an error."""
    visited: list[str] = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            visited.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    other = http.server.HTTPServer(("127.0.0.1", 0), Elsewhere)

    class Redirecting(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{other.server_port}/query")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    first = http.server.HTTPServer(("127.0.0.1", 0), Redirecting)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (first, other)]
    for thread in threads:
        thread.start()
    try:
        with pytest.raises(RemoteStoreError, match="HTTP 307"):
            RemoteStore(f"http://127.0.0.1:{first.server_port}").query("ASK {}")
        assert visited == []
    finally:
        for server in (first, other):
            server.shutdown()
            server.server_close()


PARAMETERS = [
    ("cases-per-challenge-per-organisation", ("organisation=CERN",)),
    ("cases-per-challenge-per-organisation", ("challenge=CH-3",)),
    ("recommendations-for-challenge", ("challenge=CH-5",)),
    ("chain-behind-item", ("case=cern-lhc-yoke-steel",
                           "item=reward-innovation-in-award-and-contract")),
    ("cases-by-procedure-class", ("class=ipo:InnovationProcurementProcedure",)),
    ("findings-by-severity", ("severity=ipo:HighSeverity",)),
    ("rules-reading-key", ("key=trl",)),
]  # fmt: skip


@pytest.fixture(scope="module")
def embedded_copy(remote, tmp_path_factory):
    """An embedded store holding what the server holds (exported from it, imported here)."""
    folder = tmp_path_factory.mktemp("copy")
    dump = folder / "library.nq"
    assert invoke("store", "export", "--store", remote, "-o", str(dump)).exit_code == 0
    assert invoke("store", "import", "--store", str(folder / "store"), str(dump)).exit_code == 0
    return str(folder / "store")


def saved_query_runs() -> list[tuple[str, tuple[str, ...]]]:
    from innoproc.store.queries import saved_queries

    return [(q.name, ()) for q in saved_queries()] + PARAMETERS


@pytest.mark.parametrize("name, params", saved_query_runs())
def test_every_saved_query_answers_on_the_server_as_on_the_embedded_store(
    remote, embedded_copy, name, params
):
    """Parameters are substituted on the embedded store and sent as VALUES to the server."""
    given = [arg for param in params for arg in ("--param", param)]
    answers = []
    for store in (remote, embedded_copy):
        result = invoke("query", name, *given, "--store", store, "--format", "csv")
        assert result.exit_code == 0, result.output
        answers.append(sorted(result.stdout.splitlines()))
    assert answers[0] == answers[1]

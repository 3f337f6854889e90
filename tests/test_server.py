"""`innoproc serve`: the read-only SPARQL 1.1 endpoint and POST /advise, on a store holding the
whole case library. Every route and every refusal through Starlette's TestClient; then a real
server (`innoproc serve` in its own process, on a free loopback port) through SPARQLWrapper,
plain HTTP and eight concurrent clients."""

from __future__ import annotations

import csv
import io
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import warnings
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from rdflib import Graph
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from innoproc.cli import app as cli
from innoproc.server.app import create_app
from innoproc.server.options import ServerOptions

from conftest import CASES

with warnings.catch_warnings():  # Starlette 1.x prefers httpx2 and says so on import
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

IPO = "https://w3id.org/innoproc/ontology#"
CASE_NS = "https://w3id.org/innoproc/case/"
PREFIXES = f"PREFIX ipo: <{IPO}>\nPREFIX case: <{CASE_NS}>\n"
IDS = PREFIXES + "SELECT ?id WHERE { ?c a ipo:ProcurementCase ; ipo:caseId ?id }"
YOKE = "cern-lhc-yoke-steel"
SPARQL_JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def store(tmp_path_factory, kb, library):
    """A store folder holding every library case with its advice, the rules and the ontology."""
    from innoproc.store.library import open_store, put_cases, put_knowledge, stored_case

    folder = tmp_path_factory.mktemp("served") / "store"
    target = open_store(folder)
    try:
        put_knowledge(target, kb)
        put_cases(target, [stored_case(kb.advise(case)) for case in library.values()])
    finally:
        target.close()
    return folder


@pytest.fixture(scope="module")
def client(store):
    with TestClient(create_app(ServerOptions(store=str(store), workers=2))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def tight(store):
    """A server with small limits: 300-byte bodies, 5 rows, 5 s per query, one worker."""
    options = ServerOptions(
        store=str(store), max_body_bytes=300, max_rows=5, timeout_s=5.0, workers=1
    )
    with TestClient(create_app(options)) as test_client:
        yield test_client


def select_ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    bindings = response.json()["results"]["bindings"]
    return {b["id"]["value"] for b in bindings}


def refused(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["x-innoproc-code"] == code
    text = response.text
    assert text.endswith("\n") and text.count("\n") == 1  # one line
    return text


# -- the SPARQL 1.1 Protocol ------------------------------------------------------------------


def test_get_select_answers_every_stored_case(client, library):
    response = client.get("/sparql", params={"query": IDS})
    assert response.headers["content-type"].startswith(SPARQL_JSON)
    assert select_ids(response) == set(library)


def test_post_form_and_post_query_answer_as_get_does(client, library):
    form = client.post("/sparql", data={"query": IDS})
    direct = client.post(
        "/sparql", content=IDS.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert select_ids(form) == select_ids(direct) == set(library)


@pytest.mark.parametrize("accept", ["application/sparql-results+xml", "application/xml"])
def test_select_as_sparql_xml(client, library, accept):
    response = client.get("/sparql", params={"query": IDS}, headers={"Accept": accept})
    assert response.headers["content-type"].startswith("application/sparql-results+xml")
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(response.content)
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["id"]
    found = {e.text for e in root.findall("r:results/r:result/r:binding/r:literal", ns)}
    assert found == set(library)


def test_select_as_csv_and_tsv(client, library):
    as_csv = client.get("/sparql", params={"query": IDS}, headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["id"] and {r[0] for r in rows[1:]} == set(library)
    as_tsv = client.get(
        "/sparql", params={"query": IDS}, headers={"Accept": "text/tab-separated-values"}
    )
    lines = as_tsv.text.splitlines()
    assert lines[0] == "?id" and {json.loads(line) for line in lines[1:]} == set(library)


def test_the_preferred_acceptable_format_is_chosen_and_format_overrides(client):
    preferred = client.get(
        "/sparql",
        params={"query": IDS},
        headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9"},
    )
    assert preferred.headers["content-type"].startswith("application/sparql-results+xml")
    named = client.get("/sparql", params={"query": IDS, "format": "tsv"})
    assert named.headers["content-type"].startswith("text/tab-separated-values")
    in_form = client.post("/sparql", data={"query": IDS, "format": "csv"})
    assert in_form.headers["content-type"].startswith("text/csv")


def test_ask_answers_true_and_false_in_json_and_xml(client, library):
    known = PREFIXES + f"ASK {{ case:{YOKE} a ipo:ProcurementCase }}"
    unknown = PREFIXES + "ASK { case:no-such-case a ipo:ProcurementCase }"
    assert client.get("/sparql", params={"query": known}).json() == {"head": {}, "boolean": True}
    assert client.get("/sparql", params={"query": unknown}).json()["boolean"] is False
    as_xml = client.get(
        "/sparql", params={"query": known}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert "<boolean>true</boolean>" in as_xml.text


@pytest.mark.parametrize(
    "accept, syntax",
    [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/rdf+xml", "xml")],
)
def test_construct_gives_back_a_stored_case_graph(client, library, accept, syntax):
    query = PREFIXES + f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH case:{YOKE} {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
    answered = Graph().parse(data=response.text, format=syntax)
    assert isomorphic(answered, library[YOKE].graph)


def test_describe_answers_the_case_as_rdf(client, library):
    response = client.get("/sparql", params={"query": PREFIXES + f"DESCRIBE case:{YOKE}"})
    assert response.headers["content-type"].startswith("text/turtle")
    answered = Graph().parse(data=response.text, format="turtle")
    titles = {str(o) for s, p, o in answered if str(p) == IPO + "title"}
    organisations = {str(o) for s, p, o in answered if str(p) == IPO + "organisation"}
    assert titles == {library[YOKE].title}
    assert organisations == {library[YOKE].facts["organisation"]}


def test_default_graph_uri_restricts_the_dataset(client):
    response = client.get(
        "/sparql",
        params={
            "query": PREFIXES + "SELECT ?id WHERE { ?c ipo:caseId ?id }",
            "default-graph-uri": CASE_NS + YOKE,
        },
    )
    assert select_ids(response) == {YOKE}


def test_a_query_joins_each_case_to_its_stored_advice(client, kb, library):
    query = PREFIXES + (
        "SELECT ?id ?advice WHERE { ?c a ipo:ProcurementCase ; ipo:caseId ?id . "
        "?item ipo:forCase ?c ; ipo:adviceId ?advice }"
    )
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    bindings = response.json()["results"]["bindings"]
    found = {(b["id"]["value"], b["advice"]["value"]) for b in bindings}
    advices = {cid: kb.advise(case) for cid, case in library.items()}
    expected = {
        (cid, item.id)
        for cid, advice in advices.items()
        for item in (*advice.findings, *advice.recommendations, *advice.in_place)
    }
    assert expected and found == expected


def saved_query_names() -> list[str]:
    from innoproc.store.queries import saved_queries

    return [q.name for q in saved_queries()]


@pytest.mark.parametrize("name", saved_query_names())
def test_every_saved_query_is_served_as_innoproc_query_answers_it(client, store, name):
    from innoproc.store.queries import find_saved

    text = find_saved(name).text
    served = client.get("/sparql", params={"query": text})
    assert served.status_code == 200, served.text
    local = CliRunner().invoke(cli, ["query", name, "--store", str(store), "--format", "json"])
    assert local.exit_code == 0, local.output
    expected, answered = json.loads(local.stdout), served.json()
    assert answered["head"] == expected["head"]
    assert answered["results"]["bindings"] == expected["results"]["bindings"]


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["get", "form", "body", "as-query"])
def test_updates_are_refused_however_sent(client, library, how):
    update = PREFIXES + f"DELETE WHERE {{ GRAPH case:{YOKE} {{ ?s ?p ?o }} }}"
    if how == "get":
        response = client.get("/sparql", params={"update": update})
    elif how == "form":
        response = client.post("/sparql", data={"update": update})
    elif how == "body":
        response = client.post(
            "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}
        )
    else:
        response = client.get("/sparql", params={"query": update})
    assert "read-only" in refused(response, 403, "server/update")
    assert select_ids(client.get("/sparql", params={"query": IDS})) == set(library)


def test_load_is_refused(client):
    response = client.post("/sparql", data={"query": "LOAD <http://example.org/data.ttl>"})
    assert "LOAD" in refused(response, 403, "server/load")


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { service silent <http://example.org/> { ?s ?p ?x } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE ?where { ?s ?p ?o } } } }",
])  # fmt: skip
def test_service_is_refused_wherever_it_stands(client, query):
    response = client.get("/sparql", params={"query": query})
    assert "SERVICE" in refused(response, 403, "server/service")


def test_the_word_service_in_a_string_iri_or_variable_is_no_service(client):
    query = (
        'SELECT ?service WHERE { BIND("SERVICE <http://x/> {}" AS ?service) '
        "FILTER(?service != <http://example.org/SERVICE>) }"
    )
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("params, code", [
    ({"query": "SELECT ?s WHERE { ?s ?p }"}, "server/bad-query"),
    ({}, "server/bad-request"),
])  # fmt: skip
def test_a_bad_or_missing_query_is_400(client, params, code):
    refused(client.get("/sparql", params=params), 400, code)


def test_two_queries_in_one_request_are_400(client):
    response = client.get("/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D")
    refused(response, 400, "server/bad-request")


def test_an_unknown_content_type_is_415_and_an_unanswerable_accept_406(client):
    wrong = client.post("/sparql", content=IDS, headers={"Content-Type": "text/plain"})
    refused(wrong, 415, "server/media-type")
    png = client.get("/sparql", params={"query": IDS}, headers={"Accept": "image/png"})
    refused(png, 406, "server/not-acceptable")
    turtle_for_select = client.get("/sparql", params={"query": IDS, "format": "turtle"})
    refused(turtle_for_select, 406, "server/not-acceptable")


def test_a_body_over_the_limit_is_413(tight):
    big = IDS + "\n#" + "x" * 400
    refused(tight.post("/sparql", data={"query": big}), 413, "server/too-large")
    refused(
        tight.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"}),
        413,
        "server/too-large",
    )
    refused(tight.get("/sparql", params={"query": big}), 413, "server/too-large")
    case = (CASES / f"{YOKE}.yaml").read_bytes()
    assert len(case) > 300
    response = tight.post("/advise", content=case, headers={"Content-Type": "application/yaml"})
    refused(response, 413, "server/too-large")


def test_an_answer_over_the_row_limit_is_refused_and_limit_pages_it(tight):
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    message = refused(
        tight.get("/sparql", params={"query": everything}), 403, "server/too-many-results"
    )
    assert "5 rows" in message
    page = tight.get("/sparql", params={"query": everything + " LIMIT 5"})
    assert len(page.json()["results"]["bindings"]) == 5
    graph = "CONSTRUCT WHERE { ?s ?p ?o }"
    refused(tight.get("/sparql", params={"query": graph}), 403, "server/too-many-results")


def test_a_query_over_the_time_limit_is_stopped_and_the_next_one_runs(tight, library):
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    message = refused(tight.get("/sparql", params={"query": endless}), 503, "server/timeout")
    assert "stopped" in message
    assert select_ids(tight.get("/sparql", params={"query": IDS + " LIMIT 3"})) <= set(library)


def test_the_index_states_the_limits(tight):
    limits = tight.get("/").json()["limits"]
    assert limits == {"max_body_bytes": 300, "timeout_s": 5.0, "max_rows": 5, "workers": 1}


def test_nesting_is_parsed_a_hundred_deep_and_refused_past_the_parser(client):
    def nested(depth: int) -> str:
        return "SELECT * WHERE " + "{ " * depth + "?s ?p ?o " + "} " * depth + "LIMIT 1"

    assert client.get("/sparql", params={"query": nested(100)}).status_code == 200
    message = refused(
        client.get("/sparql", params={"query": nested(5000)}), 400, "server/bad-query"
    )
    assert "nested too deeply" in message


def test_from_names_a_stored_graph_and_fetches_nothing(client):
    """FROM and FROM NAMED choose graphs of the store: no request leaves the server."""
    import http.server
    import threading

    visits: list[str] = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            visits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    listener = http.server.HTTPServer(("127.0.0.1", 0), Listener)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    try:
        there = f"http://127.0.0.1:{listener.server_port}/data.ttl"
        query = f"SELECT * FROM <{there}> FROM NAMED <{there}> WHERE {{ ?s ?p ?o }}"
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 200 and response.json()["results"]["bindings"] == []
        assert visits == []
        one_case = PREFIXES + f"SELECT ?id FROM case:{YOKE} WHERE {{ ?c ipo:caseId ?id }}"
        assert select_ids(client.get("/sparql", params={"query": one_case})) == {YOKE}
    finally:
        listener.shutdown()
        listener.server_close()


# -- POST /advise -------------------------------------------------------------------------------


def expected_advice(path: Path) -> dict:
    from innoproc import advise

    contract = advise(path).to_dict()
    contract["case"]["source"] = "request"
    return contract


def test_advise_a_yaml_case_answers_the_json_contract(client):
    path = CASES / f"{YOKE}.yaml"
    response = client.post(
        "/advise", content=path.read_bytes(), headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json() == expected_advice(path)


def test_advise_a_json_case_answers_as_its_yaml_does(client):
    path = CASES / "cern-prototype-abnormally-low-bid.yaml"
    as_json = json.dumps(yaml.safe_load(path.read_text()))
    response = client.post(
        "/advise", content=as_json, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == expected_advice(path)


def test_advise_stores_nothing(client):
    case = "id: posted-not-stored\ntrl: 3\nprocedure: open\n"
    response = client.post("/advise", content=case, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 200 and response.json()["case"]["id"] == "posted-not-stored"
    ask = PREFIXES + "ASK { case:posted-not-stored ?p ?o }"
    assert client.get("/sparql", params={"query": ask}).json()["boolean"] is False


def test_a_case_with_problems_is_422_with_the_lines_validate_prints(client, tmp_path):
    text = "id: bad\ntrl: 12\nprocedure: tender\naward_basis: cheapest\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    validated = CliRunner().invoke(cli, ["validate", str(path)])
    expected = [
        line.replace(str(path), "request")
        for line in validated.stderr.splitlines()
        if line.startswith(str(path))
    ]
    response = client.post("/advise", content=text, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [p["message"] for p in problems] == expected and len(expected) == 3
    assert [p["key"] for p in problems] == ["trl", "procedure", "award_basis"]
    assert {p["code"] for p in problems} == {"case/wrong-value"}


@pytest.mark.parametrize("body, content_type, code", [
    (b"id: x\nid: y\n", "application/yaml", "input/duplicate-key"),
    (b'{"id": "x", "trl": NaN}', "application/json", "input/number"),
    (b"id: caf\xe9\n", "application/yaml", "input/encoding"),
    (b"- id: x\n", "application/yaml", "case/top-level"),
    (b"", "application/yaml", "case/empty"),
])  # fmt: skip
def test_unreadable_cases_are_422_with_their_codes(client, body, content_type, code):
    response = client.post("/advise", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 422
    assert [p["code"] for p in response.json()["problems"]] == [code]


def test_advise_wants_yaml_or_json(client):
    response = client.post("/advise", content="id: x\n", headers={"Content-Type": "text/plain"})
    refused(response, 415, "server/media-type")
    assert client.get("/advise").status_code == 405


# -- the command ---------------------------------------------------------------------------------


def test_serve_refuses_a_folder_without_a_store(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no store here" in result.stderr and "innoproc store add" in result.stderr


def test_serve_passes_its_options_and_warns_off_loopback(store, monkeypatch):
    import uvicorn

    started: dict = {}

    def run(app, host, port, **kwargs):
        started.update(app=app, host=host, port=port)

    monkeypatch.setattr(uvicorn, "run", run)
    args = [
        "serve",
        "--store",
        str(store),
        "--host",
        "0.0.0.0",
        "--port",
        "9999",
        "--timeout",
        "7",
        "--max-rows",
        "11",
        "--max-body",
        "1234",
        "--workers",
        "1",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("0.0.0.0", 9999)
    assert "listening on 0.0.0.0: anyone who can reach it can query the store" in result.stderr
    with TestClient(started["app"]) as served:
        limits = served.get("/").json()["limits"]
    assert limits == {"max_body_bytes": 1234, "timeout_s": 7.0, "max_rows": 11, "workers": 1}


# -- a real server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(store):
    """`innoproc serve` in its own process on a free loopback port; its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "innoproc",
            "serve",
            "--store",
            str(store),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to 60 s on a loaded machine
            if process.poll() is not None:
                pytest.fail(f"innoproc serve ended: {process.stderr.read()}")
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        workers = children(process.pid)
        process.terminate()  # uvicorn shuts down, then ends by the signal it was sent
        assert process.wait(timeout=30) == -signal.SIGTERM
        assert "listening on" not in process.stderr.read()  # loopback: no warning
        assert len(workers) == 2 and not any(Path(f"/proc/{pid}").exists() for pid in workers)


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (its query workers), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_sparqlwrapper_select_ask_and_construct(server, library):
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    endpoint = SPARQLWrapper(server + "/sparql")
    endpoint.setQuery(IDS)
    endpoint.setReturnFormat(JSON)
    rows = endpoint.query().convert()["results"]["bindings"]
    assert {r["id"]["value"] for r in rows} == set(library)

    endpoint.setQuery(PREFIXES + f'ASK {{ case:{YOKE} ipo:organisation "CERN" }}')
    assert endpoint.query().convert()["boolean"] is True

    endpoint.setQuery(
        PREFIXES + f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH case:{YOKE} {{ ?s ?p ?o }} }}"
    )
    endpoint.setReturnFormat(TURTLE)
    answered = Graph().parse(data=endpoint.query().convert(), format="turtle")
    assert isomorphic(answered, library[YOKE].graph)


def test_sparqlwrapper_post_and_a_refused_update(server, library):
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    endpoint = SPARQLWrapper(server + "/sparql")
    endpoint.setMethod(POST)
    endpoint.setQuery(IDS)
    endpoint.setReturnFormat(JSON)
    assert {r["id"]["value"] for r in endpoint.query().convert()["results"]["bindings"]} == set(
        library
    )
    from urllib.error import HTTPError

    updater = SPARQLWrapper(server + "/sparql")
    updater.setMethod(POST)
    updater.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")  # SPARQLWrapper sends update=
    with pytest.raises(HTTPError) as caught:
        updater.query()
    assert caught.value.code == 403


def test_plain_http_get_and_post(server, library):
    url = server + "/sparql?" + urllib.parse.urlencode({"query": IDS})
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "text/csv"})) as r:
        rows = list(csv.reader(io.StringIO(r.read().decode())))
    assert {row[0] for row in rows[1:]} == set(library)
    case = (CASES / f"{YOKE}.yaml").read_bytes()
    posted = urllib.request.Request(
        server + "/advise", data=case, headers={"Content-Type": "application/yaml"}
    )
    with urllib.request.urlopen(posted) as r:
        assert json.loads(r.read()) == expected_advice(CASES / f"{YOKE}.yaml")


def test_eight_concurrent_clients_get_correct_answers(server, library):
    """Each request asks for one case's title; 8 threads, 5 rounds over the library."""

    def title_of(case_id: str) -> tuple[str, str | None]:
        query = PREFIXES + f"SELECT ?t WHERE {{ case:{case_id} ipo:title ?t }}"
        url = server + "/sparql?" + urllib.parse.urlencode({"query": query})
        with urllib.request.urlopen(url, timeout=60) as answer:
            bindings = json.loads(answer.read())["results"]["bindings"]
        return case_id, bindings[0]["t"]["value"] if bindings else None

    asked = [cid for cid in sorted(library) for _ in range(5)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(title_of, asked))
    assert len(answers) == len(asked)
    assert all(title == library[cid].title for cid, title in answers)


def test_store_add_runs_beside_the_server_and_its_cases_are_then_served(tmp_path, kb, library):
    """The workers open the store read-only (no folder lock): `innoproc store add` can write
    while the server runs, and the server answers with the new case once it is stored."""
    folder = tmp_path / "store"
    first = invoke_cli("store", "add", "--store", str(folder), str(CASES / f"{YOKE}.yaml"))
    assert first.exit_code == 0, first.output
    with TestClient(create_app(ServerOptions(store=str(folder), workers=1), kb)) as served:
        assert select_ids(served.get("/sparql", params={"query": IDS})) == {YOKE}
        other = "cern-prototype-abnormally-low-bid"
        added = invoke_cli("store", "add", "--store", str(folder), str(CASES / f"{other}.yaml"))
        assert added.exit_code == 0, added.output  # not blocked by the running server
        assert select_ids(served.get("/sparql", params={"query": IDS})) == {YOKE, other}


def invoke_cli(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)

"""What every :class:`~innoproc.store.protocol.TripleStore` must do, checked on each
implementation: the store commands rely on nothing else. A new implementation (a remote SPARQL
server) joins by adding a factory to ``STORES``."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from innoproc.store import DumpFormat, Rows, Term, Triples, TripleStore
from innoproc.store.embedded import EmbeddedStore


def _embedded(tmp_path: Path) -> TripleStore:
    return EmbeddedStore(tmp_path / "store")


STORES: dict[str, Callable[[Path], TripleStore]] = {"embedded": _embedded}

G1, G2 = "https://example.org/g/1", "https://example.org/g/2"
P = "https://example.org/p"


@pytest.fixture(params=sorted(STORES))
def store(request, tmp_path):
    made = STORES[request.param](tmp_path)
    assert isinstance(made, TripleStore)
    yield made
    made.close()


def _objects(store: TripleStore, graph: str) -> set[str]:
    result = store.query(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s <{P}> ?o }} }}")
    assert isinstance(result, Rows)
    return {row[0].value for row in result.rows if row[0] is not None}


def test_replace_graphs_replaces_whole_graphs_and_drops_others(store):
    store.replace_graphs(
        {G1: f'<urn:a> <{P}> "one" .\n<urn:b> <{P}> "two" .', G2: f'<urn:c> <{P}> "x" .'}
    )
    assert _objects(store, G1) == {"one", "two"}
    store.replace_graphs({G1: f'<urn:a> <{P}> "three" .'}, drop=[G2])
    assert _objects(store, G1) == {"three"}
    assert _objects(store, G2) == set()
    assert G2 not in store.graph_names() and G1 in store.graph_names()
    store.drop_graphs([G1, "https://example.org/never-there"])
    assert G1 not in store.graph_names()


def test_a_failed_replace_changes_nothing(store):
    store.replace_graphs({G1: f'<urn:a> <{P}> "kept" .'})
    with pytest.raises(Exception):  # noqa: B017  (each store raises its own error type)
        store.replace_graphs({G1: f'<urn:a> <{P}> "new" .', G2: "this is not N-Triples"})
    assert _objects(store, G1) == {"kept"}
    assert G2 not in store.graph_names()


def test_queries_read_the_union_and_bind_terms(store):
    text = 'tab\there, "quoted" and \\ backslash, line\nbreak'
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    store.replace_graphs({G1: f'<urn:a> <{P}> "{escaped}" .', G2: f'<urn:b> <{P}> "plain"@en .'})
    union = store.query(f"SELECT ?s ?o WHERE {{ ?s <{P}> ?o }} ORDER BY ?s")
    assert isinstance(union, Rows) and union.variables == ("s", "o")
    assert [row[1] for row in union.rows] == [
        Term.literal(text),
        Term.literal("plain", language="en"),
    ]
    bound = store.query(f"SELECT ?s ?o WHERE {{ ?s <{P}> ?o }}", {"o": Term.literal(text)})
    assert isinstance(bound, Rows) and [r[0] for r in bound.rows] == [Term.iri("urn:a")]
    assert store.query(f"ASK {{ <urn:b> <{P}> ?o }}") is True
    assert store.query(f"ASK {{ <urn:b> <{P}> ?o }}", {"o": Term.literal("plain")}) is False
    built = store.query(f"CONSTRUCT {{ ?s <urn:q> ?o }} WHERE {{ ?s <{P}> ?o }}")
    assert isinstance(built, Triples) and len(built.triples) == 2
    named = store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ <urn:a> <{P}> ?o }} }}")
    assert isinstance(named, Rows) and named.rows == ((Term.iri(G1),),)


@pytest.mark.parametrize("fmt", list(DumpFormat))
def test_dump_and_load_keep_every_graph(store, tmp_path, fmt):
    store.replace_graphs({G1: f'<urn:a> <{P}> "one" .', G2: f"<urn:b> <{P}> <urn:c> ."})
    out = io.BytesIO()
    store.dump(out, fmt)
    other = EmbeddedStore(tmp_path / f"other-{fmt}")
    try:
        other.load(io.BytesIO(out.getvalue()), fmt)
        assert sorted(other.graph_names()) == sorted(store.graph_names())
        assert other.stats().quads == store.stats().quads == 2
    finally:
        other.close()


def test_stats_count_quads_and_graphs(store):
    store.replace_graphs({G1: f'<urn:a> <{P}> "one" .\n<urn:a> <{P}> "two" .'})
    numbers = store.stats()
    assert (numbers.quads, numbers.graphs) == (2, 1)


def test_terms_are_escaped_as_rdf_terms():
    assert Term.iri("urn:a>b").n3() == "<urn:a\\u003Eb>"
    assert Term.literal('a"b\n').n3() == '"a\\"b\\n"'
    assert (
        Term.literal("5", "http://www.w3.org/2001/XMLSchema#integer")
        .n3()
        .endswith("^^<http://www.w3.org/2001/XMLSchema#integer>")
    )

"""The case library on top of a :class:`~.protocol.TripleStore`: what is stored, under which
names, and the version of that layout.

Layout (every graph is a named graph; queries read their union):

- ``https://w3id.org/innoproc/store``: the store's own marker, with the format version;
- ``https://w3id.org/innoproc/ontology``: the ontology with the clause scheme, written once
  and rewritten when it changes, so queries can walk ``rdfs:subClassOf*`` and clause titles;
- ``https://w3id.org/innoproc/kb/rules``: the current KB's rules as RDF (id, title, clauses,
  the conclusion drawn, the case keys read) and its fingerprint;
- per case, its case graph (named by the case IRI, as the loader makes it) and the graph of its
  latest advice run (named by the run's IRI, as ``advise --format turtle`` writes it) with the
  KB fingerprint and the time it was advised. A case's graphs are always replaced together in
  one transaction, so a case is either whole or absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from innoproc.ontology import ONTOLOGY_IRI

from .embedded import EmbeddedStore, StoreError
from .protocol import DumpFormat, Rows, Term, Triples, TripleStore, escape_string

if TYPE_CHECKING:
    from rdflib import Graph

    from innoproc.explain import Advice, KnowledgeBase

#: bump when the layout above changes; a store of another version is refused with what to do
FORMAT_VERSION = "1"
STORE_IRI = "https://w3id.org/innoproc/store"
FORMAT_PROPERTY = STORE_IRI + "#formatVersion"
ONTOLOGY_GRAPH = str(ONTOLOGY_IRI)
RULES_GRAPH = "https://w3id.org/innoproc/kb/rules"
_IPO = "https://w3id.org/innoproc/ontology#"
_PROV = "http://www.w3.org/ns/prov#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_PREFIXES = f"PREFIX ipo: <{_IPO}>\nPREFIX prov: <{_PROV}>\n"


def default_location() -> str:
    """Where the store is when no ``--store`` is given: ``INNOPROC_STORE``, else the user's
    data folder (``platformdirs``), so every command of one user finds the same library."""
    from_env = os.environ.get("INNOPROC_STORE")
    if from_env:
        return from_env
    import platformdirs

    return str(Path(platformdirs.user_data_dir("innoproc")) / "store")


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def open_store(location: str | Path | None = None, create: bool = True) -> TripleStore:
    """The store at ``location`` (a folder, or a SPARQL server's URL), checked for its format;
    a missing folder is created, or refused when ``create`` is false (commands that only read)."""
    where = str(location) if location is not None else default_location()
    store: TripleStore
    if is_url(where):
        store = _remote(where)
    else:
        folder = Path(where).expanduser()
        if not create and not folder.exists():
            raise StoreError(
                f"{folder}: there is no store here yet; create it with `innoproc store add "
                "CASES --store ...`, or give --store (or INNOPROC_STORE) the folder of one"
            )
        store = EmbeddedStore(folder)
    try:
        check_format(store)
    except BaseException:
        store.close()
        raise
    return store


def _remote(url: str) -> TripleStore:
    """A remote store, from :mod:`innoproc.store.remote` when that module is installed."""
    from importlib import import_module

    try:
        module = import_module("innoproc.store.remote")
    except ImportError:
        raise StoreError(
            f"{url}: this innoproc cannot use a remote store; give --store a folder"
        ) from None
    store: TripleStore = module.RemoteStore(url)
    return store


class StoreFormatError(StoreError):
    code = "store/format"


def check_format(store: TripleStore) -> None:
    """Accept an empty store (marking it) or one of this format version; refuse any other."""
    found = store.query(
        f"SELECT ?v WHERE {{ GRAPH <{STORE_IRI}> {{ <{STORE_IRI}> <{FORMAT_PROPERTY}> ?v }} }}"
    )
    assert isinstance(found, Rows)
    versions = {str(row[0]) for row in found.rows if row[0] is not None}
    if versions == {FORMAT_VERSION}:
        return
    if not versions and not store.graph_names():
        marker = f'<{STORE_IRI}> <{FORMAT_PROPERTY}> "{FORMAT_VERSION}" .'
        store.replace_graphs({STORE_IRI: marker})
        return
    written = ", ".join(sorted(versions)) or "none (not an innoproc store, or an early one)"
    raise StoreFormatError(
        f"{store.location}: the store's format version is {written}, this innoproc writes "
        f"version {FORMAT_VERSION}; export it with the innoproc that wrote it "
        "(`innoproc store export`) and add the cases again into a new store, or point --store "
        "at another folder"
    )


# -- what goes in ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredCase:
    """A case ready to store: its graph and its advice graph, each as N-Triples text."""

    case_id: str
    case_graph: str
    case_triples: str
    advice_graph: str
    advice_triples: str


def stored_case(advice: Advice, at: datetime | None = None) -> StoredCase:
    """The two graphs ``store add`` writes for one advised case, stamped with the time."""
    from innoproc.export.provenance import advice_graph

    graph = advice_graph(advice)
    when = (at or datetime.now(UTC)).isoformat(timespec="seconds")
    stamp = f'<{graph.identifier}> <{_PROV}endedAtTime> "{when}"^^<{_XSD}dateTime> .\n'
    return StoredCase(
        case_id=advice.case.id,
        case_graph=str(advice.case.iri),
        case_triples=advice.case.graph.serialize(format="nt"),
        advice_graph=str(graph.identifier),
        advice_triples=graph.serialize(format="nt") + stamp,
    )


def put_cases(store: TripleStore, cases: Sequence[StoredCase]) -> None:
    """Store these cases in one transaction, each replacing what was stored for it before (its
    case graph and every earlier advice graph of it)."""
    if not cases:
        return
    old = advice_graphs_of(store, [c.case_graph for c in cases])
    graphs: dict[str, str] = {}
    for case in cases:
        graphs[case.case_graph] = case.case_triples
        graphs[case.advice_graph] = case.advice_triples
    store.replace_graphs(graphs, drop=[g for names in old.values() for g in names])


def advice_graphs_of(store: TripleStore, case_iris: Iterable[str]) -> dict[str, list[str]]:
    """Case IRI -> the names of the advice graphs stored for it."""
    iris = list(case_iris)
    found: dict[str, list[str]] = {}
    for start in range(0, len(iris), 500):
        values = " ".join(Term.iri(i).n3() for i in iris[start : start + 500])
        result = store.query(
            # the bound case first: Oxigraph then looks each case up by the object of
            # prov:used instead of scanning every advice run of the store (quadratic loading)
            _PREFIXES + "SELECT ?case ?run WHERE { VALUES ?case { " + values + " } "
            "GRAPH ?run { ?run prov:used ?case . ?run a ipo:AdviceRun } }"
        )
        assert isinstance(result, Rows)
        for case, run in result.rows:
            if case is not None and run is not None:
                found.setdefault(case.value, []).append(run.value)
    return found


def put_knowledge(store: TripleStore, kb: KnowledgeBase) -> None:
    """Write the ontology (with the clause scheme) and the KB's rules, replacing earlier ones."""
    ontology = kb.vocabulary.graph.serialize(format="nt")
    store.replace_graphs({ONTOLOGY_GRAPH: ontology, RULES_GRAPH: rules_triples(kb)})


def rules_triples(kb: KnowledgeBase) -> str:
    """The KB's rules as N-Triples: what each concludes, the clauses it rests on, the keys it
    reads; so queries join advice items (by ``ipo:ruleId``) to rules and clauses."""
    from urllib.parse import quote

    from innoproc.rules.model import FactTest, leaves

    rule_ns = "https://w3id.org/innoproc/kb/rule/"
    clause_ns = "https://w3id.org/innoproc/clause/"
    lines = [
        f'<{RULES_GRAPH}> <{_IPO}knowledgeBaseFingerprint> "{escape_string(kb.fingerprint)}" .'
    ]
    for rule in kb.rules:
        node = f"<{rule_ns}{quote(rule.id, safe='')}>"
        lines += [
            f"{node} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{_IPO}Rule> .",
            f'{node} <{_IPO}ruleId> "{escape_string(rule.id)}" .',
            f'{node} <{_RDFS}label> "{escape_string(rule.title)}"@en .',
            f'{node} <{_IPO}concludes> "{escape_string(rule.then.id)}" .',
        ]
        lines += [
            f"{node} <{_IPO}restsOn> <{clause_ns}{quote(c, safe='')}> ." for c in rule.clauses
        ]
        keys = sorted({leaf.key for leaf in leaves(rule.when) if isinstance(leaf, FactTest)})
        lines += [f'{node} <{_IPO}readsKey> "{escape_string(k)}" .' for k in keys]
    return "\n".join(lines) + "\n"


# -- what comes out --------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseEntry:
    """One stored case: its id, the KB fingerprint of its advice and when it was advised."""

    case_id: str
    iri: str
    fingerprint: str | None
    advised_at: str | None


def list_cases(store: TripleStore) -> list[CaseEntry]:
    """Every stored case, by id."""
    result = store.query(
        _PREFIXES + "SELECT ?case ?id ?fp ?at WHERE { GRAPH ?case { ?case a ipo:ProcurementCase ; "
        "ipo:caseId ?id } OPTIONAL { GRAPH ?run { ?run a ipo:AdviceRun ; prov:used ?case ; "
        "ipo:knowledgeBaseFingerprint ?fp OPTIONAL { ?run prov:endedAtTime ?at } } } } "
        "ORDER BY ?id"
    )
    assert isinstance(result, Rows)
    return [
        CaseEntry(
            case_id=str(row[1]),
            iri=str(row[0]),
            fingerprint=str(row[2]) if row[2] is not None else None,
            advised_at=str(row[3]) if row[3] is not None else None,
        )
        for row in result.rows
    ]


def remove_cases(store: TripleStore, ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """Remove the cases with these ids (case graph and advice graphs) in one transaction;
    returns (removed, not stored)."""
    from innoproc.case.case_graph import case_iri

    wanted = {case_id: str(case_iri(case_id)) for case_id in ids}
    present = set(store.graph_names())
    removed = [i for i, iri in wanted.items() if iri in present]
    missing = [i for i in wanted if i not in removed]
    runs = advice_graphs_of(store, [wanted[i] for i in removed])
    store.drop_graphs([wanted[i] for i in removed] + [g for gs in runs.values() for g in gs])
    return removed, missing


def case_count(store: TripleStore) -> int:
    result = store.query(
        _PREFIXES + "SELECT (COUNT(DISTINCT ?case) AS ?n) "
        "WHERE { GRAPH ?case { ?case a ipo:ProcurementCase } }"
    )
    assert isinstance(result, Rows)
    first = result.rows[0][0] if result.rows else None
    return int(first.value) if first is not None else 0


def stored_fingerprints(store: TripleStore) -> Mapping[str, int]:
    """KB fingerprint -> number of advice runs stored under it."""
    result = store.query(
        _PREFIXES + "SELECT ?fp (COUNT(?run) AS ?n) WHERE { GRAPH ?run { ?run a ipo:AdviceRun ; "
        "ipo:knowledgeBaseFingerprint ?fp } } GROUP BY ?fp ORDER BY ?fp"
    )
    assert isinstance(result, Rows)
    return {str(fp): int(n.value) for fp, n in result.rows if fp is not None and n is not None}


def case_triples(store: TripleStore, iri: str) -> str:
    """The stored graph of one case as N-Triples text (plain text: it can go to a worker)."""
    result = store.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": Term.iri(iri)}
    )
    assert isinstance(result, Triples)
    return "\n".join(" ".join(t.n3() for t in triple) + " ." for triple in result.triples)


def graph_of(iri: str, triples: str) -> Graph:
    """A case graph from :func:`case_triples`, as the loader reads a graph."""
    from rdflib import Graph

    graph = Graph(identifier=iri)
    graph.parse(data=triples, format="nt")
    return graph


def import_dump(store: TripleStore, path: Path, syntax: str) -> int:
    """Add an N-Quads or TriG export to the store, in one transaction, after checking that it
    was written in this store format; returns the number of cases it holds."""
    import pyoxigraph as ox

    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    fmt = DumpFormat(syntax)
    rdf_format = ox.RdfFormat.N_QUADS if fmt is DumpFormat.nquads else ox.RdfFormat.TRIG
    versions: set[str] = set()
    cases = 0
    case_type = ox.NamedNode(_IPO + "ProcurementCase")
    with path.open("rb") as source:
        try:
            for quad in ox.parse(source, rdf_format):
                if quad.predicate.value == FORMAT_PROPERTY:
                    versions.add(quad.object.value)
                elif quad.object == case_type and isinstance(quad.graph_name, ox.NamedNode):
                    cases += quad.subject == ox.NamedNode(quad.graph_name.value)
        except SyntaxError as exc:
            raise StoreError(f"{path}: not valid {syntax}: {' '.join(str(exc).split())}") from None
    if versions - {FORMAT_VERSION}:
        raise StoreFormatError(
            f"{path}: written by a store of format version {', '.join(sorted(versions))}; "
            f"this innoproc reads version {FORMAT_VERSION}; add the cases again from their files"
        )
    with path.open("rb") as source:
        store.load(source, fmt)
    return cases


__all__ = [
    "FORMAT_VERSION",
    "CaseEntry",
    "StoredCase",
    "check_format",
    "default_location",
    "list_cases",
    "open_store",
    "put_cases",
    "put_knowledge",
    "remove_cases",
    "stored_case",
]

"""The cache of vocabulary tables: what a vocabulary answers, written as JSON and read back
without parsing the ontology; keyed by the ontology, shapes and extension files, so a change to
any of them is parsed again; a corrupt or foreign file ignored; off when caching is off; and the
same answers, field by field, as a vocabulary parsed from the graphs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.compare import isomorphic

from innoproc.ontology import IPO, Vocabulary, cache, vocabulary
from innoproc.ontology.resources import ontology_path, shapes_path

from conftest import CASES

EXTENSION = """
@prefix ipo: <https://w3id.org/innoproc/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ipo:DesignContest a owl:NamedIndividual, ipo:AwardProcedure, ipo:FlexibleProcedure ;
    rdfs:label "design contest"@en ;
    skos:definition "A contest in which a jury chooses a design, then the contract."@en ;
    skos:notation "design-contest" .
ipo:SketchContest rdfs:subClassOf ipo:FlexibleProcedure ; a owl:Class .
"""
SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ipo: <https://w3id.org/innoproc/ontology#> .
ipo:ProcurementCaseShape sh:property [ sh:path ipo:trl ; sh:maxInclusive 8 ] .
"""


@pytest.fixture
def cache_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("INNOPROC_CACHE", str(folder))
    return folder


@pytest.fixture
def extensions(tmp_path) -> list[Path]:
    folder = tmp_path / "kb" / "ontology"
    folder.mkdir(parents=True)
    (folder / "contests.ttl").write_text(EXTENSION)
    (folder / "bounds.shapes.ttl").write_text(SHAPES)
    return sorted(folder.glob("*.ttl"))


def _parsed(monkeypatch) -> list[int]:
    """Count the vocabularies built by parsing the graphs (not read from the cache)."""
    built: list[int] = []
    original = Vocabulary._parsed.__func__

    def counting(cls, *args):
        built.append(1)
        return original(cls, *args)

    monkeypatch.setattr(Vocabulary, "_parsed", classmethod(counting))
    return built


def _assert_same(cached: Vocabulary, parsed: Vocabulary) -> None:
    """Every table and every query answer of the two vocabularies, one by one."""
    assert set(vars(cached)) == set(vars(parsed))  # the same attributes, however built
    assert cached.fingerprint == parsed.fingerprint
    assert list(cached.keys) == list(parsed.keys)
    for name, key in parsed.keys.items():
        assert cached.keys[name] == key, name
        assert list(cached.keys[name].values) == list(key.values), name  # the order too
        assert cached.value_order(key) == parsed.value_order(key)
        assert cached.classes_over(key) == parsed.classes_over(key)
        assert all(type(iri) is URIRef for iri in cached.keys[name].values.values())
        assert type(cached.keys[name].prop) is URIRef
    assert cached.by_property == parsed.by_property
    assert list(cached.clauses.items()) == list(parsed.clauses.items())
    assert cached.courses == parsed.courses
    assert cached.choice_groups == parsed.choice_groups
    assert cached.excluded_courses == parsed.excluded_courses
    assert cached.version() == parsed.version()
    assert cached.tables() == parsed.tables()
    terms = {s for s in parsed.graph.subjects() if isinstance(s, URIRef)}
    for term in terms:
        assert cached.label(term) == parsed.label(term)
        assert cached.definition(term) == parsed.definition(term)
        assert cached.members(term) == parsed.members(term)
        assert cached.subclasses(term) == parsed.subclasses(term)
    for name in ("FlexibleProcedure", "ipo:AwardProcedure", "NoSuchClass", "DesignContest"):
        assert cached.resolve_class(name) == parsed.resolve_class(name)


def test_a_cached_vocabulary_answers_as_the_parsed_one_without_parsing(cache_folder, monkeypatch):
    parsed = Vocabulary.load()
    files = list(cache_folder.glob("vocabulary-*.json"))
    assert len(files) == 1 and not list(cache_folder.glob(".vocabulary-*"))  # no temporary left
    json.loads(files[0].read_text())  # plain JSON
    built = _parsed(monkeypatch)
    cached = Vocabulary.load()
    assert built == [] and cached._graph is None and cached._shapes is None
    _assert_same(cached, parsed)
    # the graphs, when asked for, are parsed from the same files
    assert isomorphic(cached.graph, parsed.graph) and isomorphic(cached.shapes, parsed.shapes)
    assert cached.defined_in == parsed.defined_in == {}


def _turtle_parsed(monkeypatch) -> list[str]:
    """Count the Turtle files parsed into a vocabulary's graphs, by name."""
    parsed: list[str] = []
    original = vocabulary._parse_into

    def counting(target, source):
        parsed.append(source.path.name)
        return original(target, source)

    monkeypatch.setattr(vocabulary, "_parse_into", counting)
    return parsed


def test_the_bundled_shapes_come_from_the_cache_without_parsing_turtle(cache_folder, monkeypatch):
    reference = Vocabulary.load()
    tables = json.loads(next(cache_folder.glob("vocabulary-*.json")).read_text())["tables"]
    assert len(tables["shapes"]) == len(reference.shapes)
    parsed = _turtle_parsed(monkeypatch)
    cached = Vocabulary.load()
    shapes = cached.shapes
    assert parsed == []
    assert isomorphic(shapes, reference.shapes)
    assert cached.tables() == reference.tables()
    assert len(cached.graph) > 0  # the ontology itself is still parsed when asked for
    assert parsed == [reference._sources[0].path.name]


def test_the_shapes_are_cached_the_same_whatever_names_a_parse_gives_blank_nodes():
    first, second = Graph(), Graph()
    for graph in (first, second):
        graph.parse(data=shapes_path().read_bytes(), format="turtle")
    assert set(first.subjects()) != set(second.subjects())  # a parse names blank nodes anew
    rows = vocabulary._canonical_rows(first)
    assert rows is not None and rows == vocabulary._canonical_rows(second)
    assert isomorphic(vocabulary._graph_of(rows), first)


def test_shapes_whose_blank_nodes_cannot_be_named_apart_are_not_cached():
    twins = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:a sh:property [ sh:path ex:p ] .
        ex:b sh:property [ sh:path ex:p ] .
    """, format="turtle")
    assert vocabulary._canonical_rows(twins) is None  # one name for both would merge them
    cycle = Graph()
    one, other = BNode(), BNode()
    cycle.add((one, RDF.rest, other))
    cycle.add((other, RDF.rest, one))
    assert vocabulary._canonical_rows(cycle) is None


def test_cached_shapes_that_do_not_rebuild_are_parsed_instead(cache_folder, monkeypatch):
    reference = Vocabulary.load()
    file = next(cache_folder.glob("vocabulary-*.json"))
    data = json.loads(file.read_text())
    data["tables"]["shapes"][0][2] = ["no such kind of term"]
    file.write_text(json.dumps(data))
    parsed = _turtle_parsed(monkeypatch)
    cached = Vocabulary.load()
    assert isomorphic(cached.shapes, reference.shapes)
    assert parsed == [reference._sources[1].path.name]


def test_a_kb_with_extensions_gets_the_same_vocabulary_from_the_cache(
    cache_folder, extensions, monkeypatch
):
    parsed = Vocabulary.load(extensions, folder=extensions[0].parent.parent)
    assert "design-contest" in parsed.keys["procedure"].values
    built = _parsed(monkeypatch)
    cached = Vocabulary.load(extensions, folder=extensions[0].parent.parent)
    assert built == []
    _assert_same(cached, parsed)
    assert cached.keys["trl"].maximum == parsed.keys["trl"].maximum
    named = {str(k): v for k, v in parsed.defined_in.items() if isinstance(k, URIRef)}
    assert {str(k): v for k, v in cached.defined_in.items() if isinstance(k, URIRef)} == named
    assert named[str(IPO.DesignContest)].endswith("contests.ttl")
    # shapes extended by a KB's file are parsed, not cached: messages name the file of a term
    assert "shapes" not in parsed.tables()


def test_cases_are_advised_without_parsing_the_ontology(cache_folder, kb):
    from innoproc import KnowledgeBase

    Vocabulary.load()  # written to the cache
    vocab = Vocabulary.load()
    fresh = KnowledgeBase(list(kb.rules), kb.folder, vocab)
    reference = kb.advise(CASES / "cern-lhc-yoke-steel.yaml")
    advice = fresh.advise(CASES / "cern-lhc-yoke-steel.yaml")
    assert advice.to_dict() == reference.to_dict()
    assert vocab._graph is None  # the shapes are read by the case check; the ontology is not


def test_an_extension_that_changes_is_parsed_again(cache_folder, extensions, monkeypatch):
    folder = extensions[0].parent.parent
    Vocabulary.load(extensions, folder=folder)
    built = _parsed(monkeypatch)
    contests = folder / "ontology" / "contests.ttl"
    contests.write_text(EXTENSION.replace('"design contest"@en', '"jury contest"@en'))
    changed = Vocabulary.load(extensions, folder=folder)
    assert built == [1]
    assert changed.label(IPO.DesignContest) == "jury contest"
    assert len(list(cache_folder.glob("vocabulary-*.json"))) == 2


def test_an_ontology_that_changes_is_parsed_again(cache_folder, tmp_path, monkeypatch):
    before = Vocabulary.load()
    copy = tmp_path / "innoproc.ttl"
    shutil.copy(ontology_path(), copy)
    with copy.open("a") as text:  # the ontology's own prefixes serve the added statements
        text.write("\n" + EXTENSION[EXTENSION.index("ipo:DesignContest") :])
    monkeypatch.setattr(vocabulary, "ontology_path", lambda: copy)
    built = _parsed(monkeypatch)
    after = Vocabulary.load()
    assert built == [1] and after.fingerprint != before.fingerprint
    assert "design-contest" not in before.keys["procedure"].values
    assert "design-contest" in after.keys["procedure"].values


@pytest.mark.parametrize("damage", [
    "not json at all {",
    json.dumps({"format": cache.FORMAT, "key": "another key", "tables": {}}),
    json.dumps([1, 2, 3]),
    "KEY",  # the right key, tables that do not rebuild
    "",
])
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_written_again(
    cache_folder, monkeypatch, damage
):
    reference = Vocabulary.load()
    (path,) = cache_folder.glob("vocabulary-*.json")
    key = path.stem.removeprefix("vocabulary-")
    if damage == "KEY":
        damage = json.dumps({"format": cache.FORMAT, "key": key, "tables": {"keys": [{}]}})
    path.write_text(damage)
    built = _parsed(monkeypatch)
    again = Vocabulary.load()
    assert built == [1]
    _assert_same(again, reference)
    assert json.loads(path.read_text())["key"] == key  # rewritten whole


def test_no_cache_file_when_caching_is_off(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("INNOPROC_CACHE", "off")
    built = _parsed(monkeypatch)
    Vocabulary.load()
    Vocabulary.load()
    assert built == [1, 1] and not folder.exists()


def test_the_cli_option_turns_the_vocabulary_cache_off(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from innoproc.cli import app

    folder = tmp_path / "cache"
    monkeypatch.setenv("INNOPROC_CACHE", str(folder))  # restored after the test
    case = str(CASES / "cern-lhc-yoke-steel.yaml")
    result = CliRunner().invoke(app, ["--no-cache", "validate", case])
    assert result.exit_code == 0, result.output
    assert cache.cache_dir() is None
    Vocabulary.load()
    assert not folder.exists()


def test_a_cache_folder_that_cannot_be_written_is_not_used(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("INNOPROC_CACHE", str(blocker / "cache"))
    assert Vocabulary.load().keys

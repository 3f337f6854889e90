"""The case check on plain values (:mod:`innoproc.case.plain_check`): it accepts the library's
YAML and JSON cases with the facts the table and pySHACL give, it declines whatever it is not
sure of (the usual way then words the problems), its form is derived from the shapes and kept in
the cache, and advising on a YAML case imports no rdflib. Random mappings are compared by the
three paths in ``test_fast_check.py`` (``conftest.load_by_both_checks``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from innoproc import CaseError, load_case
from innoproc.case import loader, plain_check
from innoproc.case.plain_check import PlainForm, derive, plain_form
from innoproc.ontology import Vocabulary, bundled_vocabulary

from conftest import CASES, ROOT, case_files, load_by_both_checks

YAML_AND_JSON = [p for p in case_files() if p.suffix in (".yaml", ".json")]


def _loaded(data: Any, vocab: Vocabulary | None = None) -> Any:
    """``data`` loaded by the three paths, which must agree (the quick one returned)."""
    return load_by_both_checks(loader._from_mapping, data, "<mapping>", {}, vocab or
                               bundled_vocabulary())


@pytest.mark.parametrize("path", YAML_AND_JSON, ids=lambda p: p.name)
def test_every_library_case_is_accepted_on_plain_values_with_the_same_facts(path, monkeypatch):
    monkeypatch.delenv("INNOPROC_CASE_CHECK", raising=False)
    case = load_case(path)
    read = json.loads(path.read_text()) if path.suffix == ".json" else None
    if read is None:
        from innoproc.reading.yaml_lines import load_yaml

        read, _ = load_yaml(path.read_text(), path.name)
    assert plain_check.accept(read, bundled_vocabulary()) == dict(case.facts)
    monkeypatch.setenv("INNOPROC_CASE_CHECK", "shacl")
    reference = load_case(path)
    assert list(case.facts.items()) == list(reference.facts.items())
    assert (case.id, case.iri) == (reference.id, reference.iri)
    assert set(case.graph) == set(reference.graph)


def test_the_bundled_form_checks_every_key_on_plain_values():
    vocab = bundled_vocabulary()
    form = plain_form(vocab)
    assert list(form.keys) == list(vocab.keys)
    assert form.required == {"id"}
    trl = form.keys["trl"]
    assert (trl.minimum, trl.maximum) == ("1", "9")
    assert form.keys["innovation_incentives"].empty  # "stated: none"
    assert not form.keys["phases"].empty


@pytest.mark.parametrize("value, accepted", [
    (4, True), (9, True), (10, False), (0, False), (4.0, False), (True, False), ("4", False),
    ([4], False), ([4, 5], False), (None, False),
])
def test_a_whole_number_is_accepted_only_as_the_table_accepts_it(value, accepted):
    data = {"id": "c", "trl": value}
    assert (plain_check.accept(data, bundled_vocabulary()) is not None) == accepted
    try:
        case = _loaded(data)
    except CaseError:
        assert not accepted
    else:
        assert case.facts["trl"] == value


@pytest.mark.parametrize("value, fact", [
    (12_000_000, 12_000_000), (1.2e7, 12_000_000), (0.5, 0.5), (-0.0, 0), (0, 0),
    (1e-7, 1e-07), (2.50, 2.5),
])
def test_an_amount_gives_the_fact_the_graph_gives(value, fact):
    data = {"id": "c", "estimated_value_eur": value}
    assert plain_check.accept(data, bundled_vocabulary()) == {"id": "c",
                                                               "estimated_value_eur": fact}
    case = _loaded(data)
    assert case.facts["estimated_value_eur"] == fact
    assert type(case.facts["estimated_value_eur"]) is type(fact)


@pytest.mark.parametrize("value", [-1, -0.5, True, "1000", float("inf"), float("nan"), 1e400])
def test_an_amount_the_shapes_refuse_is_left_to_the_usual_way(value):
    assert plain_check.accept({"id": "c", "estimated_value_eur": value}, bundled_vocabulary()) \
        is None


def test_a_list_of_choices_is_one_fact_in_the_ontology_order_without_repeats():
    vocab = bundled_vocabulary()
    phases = list(vocab.keys["phases"].value_iris)
    given = [phases[2], phases[0], phases[2]]
    facts = plain_check.accept({"id": "c", "phases": given}, vocab)
    assert facts is not None and facts["phases"] == (phases[0], phases[2])
    assert _loaded({"id": "c", "phases": given}).facts["phases"] == (phases[0], phases[2])


@pytest.mark.parametrize("data", [
    {"id": "c", "phases": []},  # "none" is not a statement phases allows
    {"id": "c", "phases": "development"},  # one value where a list belongs
    {"id": "c", "category": ["supply"]},  # a list where one value belongs
    {"id": "c", "category": "no-such-category"},
    {"id": "c", "title": 2024},  # a number where text belongs
    {"id": "Bad Id"},  # the id's pattern
    {"title": "no id"},  # a required key missing
    {"id": "c", "unknown_key": True},
    {"id": "c", "fair_return": "yes"},
    {"id": "c", "innovation_incentives": [[]]},
])
def test_what_the_shapes_refuse_is_declined_and_the_usual_way_words_it(data):
    assert plain_check.accept(data, bundled_vocabulary()) is None
    with pytest.raises(CaseError):
        _loaded(data)


def test_a_str_subclass_is_left_to_the_usual_way():
    class Text(str):
        pass

    assert plain_check.accept({"id": Text("c")}, bundled_vocabulary()) is None
    assert _loaded({"id": Text("c")}).facts == {"id": "c"}


def test_a_case_checked_on_plain_values_builds_its_graph_from_what_was_given_then(monkeypatch):
    monkeypatch.delenv("INNOPROC_CASE_CHECK", raising=False)
    data = {"id": "c", "phases": ["development"]}
    case = load_case(data)
    assert callable(case.graph_or_builder)
    data["phases"].append("manufacturing")  # the caller's mapping changes afterwards
    monkeypatch.setenv("INNOPROC_CASE_CHECK", "shacl")
    assert set(case.graph) == set(load_case({"id": "c", "phases": ["development"]}).graph)


# -- the form, derived and kept ------------------------------------------------------------------


@pytest.fixture
def cache_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("INNOPROC_CACHE", str(folder))
    return folder


def test_the_form_is_kept_in_the_cache_and_read_back_without_deriving(cache_folder, monkeypatch):
    derived = plain_form(Vocabulary.load())
    files = list(cache_folder.glob("plain-form-*.json"))
    assert len(files) == 1
    monkeypatch.setattr(plain_check, "derive", lambda vocab: pytest.fail("derived again"))
    again = plain_form(Vocabulary.load())
    assert again.to_json() == derived.to_json()


def test_a_cached_form_that_does_not_rebuild_is_derived_again(cache_folder):
    plain_form(Vocabulary.load())
    file = next(cache_folder.glob("plain-form-*.json"))
    data = json.loads(file.read_text())
    data["tables"]["keys"][0]["pattern"] = "("  # not a regular expression
    file.write_text(json.dumps(data))
    form = plain_form(Vocabulary.load())
    assert form.keys["id"].pattern == "^[a-z0-9][a-z0-9-]*$"
    assert json.loads(file.read_text())["tables"]["keys"][0]["pattern"] != "("


def test_a_kb_whose_shapes_narrow_a_range_gets_a_form_of_its_own(tmp_path, cache_folder):
    folder = tmp_path / "kb" / "ontology"
    folder.mkdir(parents=True)
    (folder / "bounds.shapes.ttl").write_text("""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ipo: <https://w3id.org/innoproc/ontology#> .
ipo:ProcurementCaseShape sh:property [ sh:path ipo:trl ; sh:maxInclusive 8 ] .
""")
    vocab = Vocabulary.load([folder / "bounds.shapes.ttl"], folder=folder.parent)
    form = plain_form(vocab)
    # two property shapes on trl are more than the table derives: the key goes the usual way
    assert "trl" not in form.keys or form.keys["trl"].maximum == "8"
    assert plain_check.accept({"id": "c", "trl": 9}, vocab) is None
    with pytest.raises(CaseError):
        load_case({"id": "c", "trl": 9}, vocab)
    assert load_case({"id": "c", "trl": 8}, vocab).facts["trl"] == 8


def test_a_form_the_table_cannot_derive_declines_every_case():
    form = PlainForm([], list(bundled_vocabulary().keys), [])
    assert form.accept({"id": "c"}) is None
    assert derive(bundled_vocabulary()).to_json() == plain_form(bundled_vocabulary()).to_json()


# -- what advising on a YAML case imports ----------------------------------------------------------

_IMPORTS = """
import atexit, os, sys
atexit.register(lambda: os.write(2, ("\\nRDFLIB " + str("rdflib" in sys.modules)).encode()))
sys.argv = ["innoproc", *sys.argv[1:]]
from innoproc.entry import main
main()
"""


def _rdflib_loaded(*args: str) -> bool:
    env = {k: v for k, v in os.environ.items() if k != "INNOPROC_CASE_CHECK"}
    for _ in range(2):  # the first run may fill the caches, which needs rdflib
        result = subprocess.run([sys.executable, "-c", _IMPORTS, *args], capture_output=True,
                                text=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stderr.rsplit("RDFLIB ", 1)[1].strip() == "True"


def test_advising_on_a_yaml_case_imports_no_rdflib():
    case = str(CASES / "cern-lhc-yoke-steel.yaml")
    assert not _rdflib_loaded("advise", case)
    assert not _rdflib_loaded("advise", case, "-f", "json")
    assert _rdflib_loaded("advise", case, "-f", "turtle")  # a graph asked for: rdflib it is
    assert _rdflib_loaded("advise", str(CASES / "cern-hnscicloud-pcp.ttl"))

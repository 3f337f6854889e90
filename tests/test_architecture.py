"""The package's shape: cheap imports, one definition of each concept, a KB that owns its
vocabulary, backends and export formats chosen by name, and an API that refuses wrong arguments
in its own terms."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import innoproc
from innoproc import ArgumentError, CaseError, KnowledgeBase, advise, load_case
from innoproc.errors import InnoprocError
from innoproc.export import ExportOptions, export, formats, register
from innoproc.ontology import Vocabulary, bundled_vocabulary

from conftest import CASES, ROOT

CASE = CASES / "cern-lhc-yoke-steel.yaml"


@pytest.mark.parametrize("statement", ["import innoproc", "import innoproc.cli",
                                       "import innoproc.cli; innoproc.__version__"])
def test_starting_loads_neither_pyshacl_experta_nor_owlready2(statement):
    probe = (f"{statement}; import sys; print(sorted(m for m in ('pyshacl', 'experta', "
             "'owlready2', 'rdflib') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_public_names_resolve_and_are_listed():
    for name in innoproc.__all__:
        assert getattr(innoproc, name) is not None
    with pytest.raises(AttributeError):
        innoproc.no_such_name  # noqa: B018


# -- the API refuses wrong input in its own terms -------------------------------------------
@pytest.mark.parametrize("source", [42, 3.5, None, b"id: x", ["id", "x"]])
def test_load_case_refuses_what_it_cannot_read_with_its_own_error(source):
    with pytest.raises(ArgumentError, match=r"load_case\(source\): found .*; wanted a path"):
        load_case(source)


def test_an_argument_error_is_also_a_type_error_and_an_innoproc_error():
    with pytest.raises(TypeError):
        load_case(42)
    with pytest.raises(InnoprocError):
        load_case(42)


def test_advise_takes_a_kb_folder_as_well_as_a_knowledge_base():
    by_folder = advise(CASE, kb=str(ROOT / "kb"))
    by_path = advise(CASE, kb=ROOT / "kb")
    default = advise(CASE)
    assert by_folder.to_dict() == by_path.to_dict() == default.to_dict()


@pytest.mark.parametrize("kb", [42, ["kb"], object()])
def test_advise_refuses_a_kb_of_the_wrong_kind(kb):
    with pytest.raises(ArgumentError, match=r"advise\(kb\): found .*; wanted a KnowledgeBase"):
        advise(CASE, kb=kb)


def test_knowledge_base_load_refuses_a_non_path():
    with pytest.raises(ArgumentError, match="wanted a folder path"):
        KnowledgeBase.load(42)  # type: ignore[arg-type]


def test_an_unknown_engine_is_refused_by_name_when_it_is_given():
    with pytest.raises(ArgumentError, match="engine: found str 'nonesuch'; wanted one of experta"):
        KnowledgeBase.load(engine="nonesuch")
    with pytest.raises(ArgumentError, match="one of experta, clips; did you mean 'clips'"):
        KnowledgeBase.load(engine="clip")


# -- the ontology travels with the KB -------------------------------------------------------
EXTENSION = """
@prefix ipo: <https://w3id.org/innoproc/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ipo:DesignContest a owl:NamedIndividual, ipo:AwardProcedure, ipo:FlexibleProcedure ;
    rdfs:label "design contest"@en ;
    skos:definition "A contest in which a jury chooses a design, then the contract."@en ;
    skos:notation "design-contest" .
"""
CONTEST_RULE = """theme: contests
title: Contests
rules:
  - id: contest-rule
    title: A design contest is flexible
    clauses: [CH-1]
    rationale: Because a contest leaves room to choose the design.
    priority: 50
    when:
      procedure: {is_a: FlexibleProcedure}
    then:
      finding: {id: flexible-contest, kind: challenge, severity: low, summary: S.}
"""


def _extended_kb(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    (folder / "rules").mkdir(parents=True)
    (folder / "ontology").mkdir()
    (folder / "rules" / "contests.yaml").write_text(CONTEST_RULE)
    (folder / "ontology" / "contests.ttl").write_text(EXTENSION)
    return folder


def test_a_kb_folder_can_add_ontology_terms_that_its_cases_and_rules_use(tmp_path):
    kb = KnowledgeBase.load(_extended_kb(tmp_path))
    assert "design-contest" in kb.vocabulary.keys["procedure"].values
    (rule,) = kb.rules
    assert "design-contest" in rule.when.values  # the class resolved with the new member
    advice = kb.advise({"id": "contest", "procedure": "design-contest"})
    assert [i.id for i in advice.items] == ["flexible-contest"]
    assert advice.vocabulary is kb.vocabulary


def test_two_kbs_with_different_terms_live_side_by_side(tmp_path):
    extended = KnowledgeBase.load(_extended_kb(tmp_path))
    bundled = KnowledgeBase.load()
    assert "design-contest" not in bundled.vocabulary.keys["procedure"].values
    with pytest.raises(CaseError, match="procedure: found 'design-contest'"):
        bundled.advise({"id": "contest", "procedure": "design-contest"})
    assert extended.advise({"id": "contest", "procedure": "design-contest"}).items
    assert bundled_vocabulary() is bundled.vocabulary  # no extension: the shared, read-once one
    assert extended.vocabulary.fingerprint != bundled.vocabulary.fingerprint


def test_a_kb_without_its_own_schema_uses_the_packages(tmp_path):
    folder = tmp_path / "kb"
    (folder / "rules").mkdir(parents=True)
    (folder / "rules" / "r.yaml").write_text(CONTEST_RULE.replace(
        "procedure: {is_a: FlexibleProcedure}", "procedure: {is_a: FlexibleProcedure}\n"
    ))
    assert not (folder / "schema").exists()
    kb = KnowledgeBase.load(folder)
    assert [r.id for r in kb.rules] == ["contest-rule"]


def test_the_vocabulary_reads_clauses_and_their_sections_from_the_ontology():
    vocab = bundled_vocabulary()
    assert list(vocab.clauses)[:2] == ["KC-1", "KC-2"] and list(vocab.clauses)[-1] == "KM"
    assert vocab.clauses_grounding("challenge-finding") == [f"CH-{n}" for n in range(1, 7)]
    assert vocab.clauses_grounding("recommendation") == [f"REC-{n}" for n in range(1, 7)] + ["KM"]
    assert vocab.clauses_grounding("risk-finding") == []
    assert vocab.clause_title("CH-3") == vocab.label(vocab.clauses["CH-3"].iri)


def test_no_clause_family_is_spelled_out_in_the_package():
    """Clause ids and families come from the ontology: no literal like "CH-" or "REC-"."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "engine" / "innoproc").rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"[\"'](KC|CH|REC)-", line)
    ]
    assert offenders == []


def test_a_vocabulary_is_a_value_not_a_singleton():
    first, second = Vocabulary.load(), Vocabulary.load()
    assert first is not second and list(first.keys) == list(second.keys)
    assert first.fingerprint == second.fingerprint == bundled_vocabulary().fingerprint


# -- export formats are a registry ----------------------------------------------------------
def test_the_bundled_formats_are_registered():
    assert [f.name for f in formats()] == ["text", "json", "markdown", "jsonl", "turtle", "trig"]


def test_a_new_format_can_be_registered_and_used_by_name():
    register("ids", "tests_export_plugin:export_ids", "item ids, one a line")
    sys.path.insert(0, str(Path(__file__).parent / "data"))
    try:
        assert export(advise(CASE), "ids") == "\n".join(i.id for i in advise(CASE).items) + "\n"
    finally:
        sys.path.remove(str(Path(__file__).parent / "data"))
        from innoproc.export import registry

        del registry._FORMATS["ids"]


def test_an_unknown_format_is_refused_by_name():
    with pytest.raises(ArgumentError, match="format: found str 'pdf'; wanted one of text, json"):
        export(advise(CASE), "pdf")


def test_json_export_is_the_contract_with_a_final_newline():
    text = export(advise(CASE), "json", ExportOptions())
    assert text.endswith("}\n") and json.loads(text) == advise(CASE).to_dict()

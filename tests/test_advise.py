"""Advice through the Python API and the CLI: the JSON contract, the text and Markdown views,
and the Turtle export whose PROV-O chain SPARQL can walk back to the facts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rdflib import PROV, RDF, Graph

from innoproc import Advice, AdviceItem, advise, load_case
from innoproc.export.provenance import advice_graph
from innoproc.ontology import IPO
from innoproc.ontology import bundled_vocabulary as vocabulary

from conftest import CASES, DATA

RICH_CASE = CASES / "cern-prototype-abnormally-low-bid.yaml"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "innoproc", *args], capture_output=True,
                          text=True)


def test_the_api_takes_a_path_a_mapping_or_a_graph_and_returns_typed_advice():
    by_path = advise(DATA / "same-case.yaml")
    by_mapping = advise(dict(load_case(DATA / "same-case.yaml").facts)
                        | {"phases": ["development", "manufacturing"],
                           "innovation_incentives": []})
    by_graph = advise(load_case(DATA / "same-case.ttl").graph)
    assert isinstance(by_path, Advice)
    assert by_path.to_dict() | {"case": None} == by_graph.to_dict() | {"case": None}
    ids = [i.id for i in by_path.items]
    assert ids == [i.id for i in by_mapping.items] == [i.id for i in by_graph.items]
    rich = advise(RICH_CASE)
    assert rich.items and all(isinstance(i, AdviceItem) for i in rich.items)


def test_every_item_has_clauses_a_rule_and_a_chain_down_to_stated_facts():
    advice = advise(RICH_CASE)
    clauses = set(vocabulary().clauses)
    for item in advice.items:
        assert item.clauses and set(item.clauses) <= clauses
        assert item.because.rule == item.rule
        chain = list(item.chain())
        assert chain[0] is item
        assert any(link.because.facts for link in chain), item.id
    for rec in advice.recommendations:
        assert rec.actions and all(a.endswith(".") for a in rec.actions)


def _walk(because: dict, concluded: set[str]) -> None:
    assert set(because) == {"rule", "facts", "premises", "absent"}
    for premise in because["premises"]:
        assert premise["id"] in concluded
        _walk(premise["because"], concluded)


def test_json_output_follows_the_contract():
    result = cli("advise", str(RICH_CASE), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"case", "findings", "recommendations"} <= set(data)
    assert data["case"]["id"] == "cern-prototype-abnormally-low-bid"
    concluded = {i["id"] for i in data["findings"] + data["recommendations"]}
    assert data["findings"] and data["recommendations"]
    for item in data["findings"] + data["recommendations"]:
        assert {"id", "title", "clauses", "rule", "because"} <= set(item)
        assert item["because"]["rule"] == item["rule"]
        _walk(item["because"], concluded)
    assert all(i["kind"] == "finding" and i["severity"] in ("low", "medium", "high")
               for i in data["findings"])
    assert any(i["because"]["premises"] for i in data["recommendations"])


def test_a_case_that_triggers_nothing_gives_empty_arrays():
    result = cli("advise", str(CASES / "constructed-sparse-beamline-mirror.json"), "-f", "json")
    data = json.loads(result.stdout)
    assert data["findings"] == [] and data["recommendations"] == []


def test_text_output_shows_each_recommendation_with_its_reasons_as_a_tree():
    result = cli("advise", str(RICH_CASE))
    assert result.returncode == 0, result.stderr
    advice = advise(RICH_CASE)
    for item in advice.items:
        assert item.id in result.stdout
    assert "because rule" in result.stdout and "└──" in result.stdout


def test_markdown_output_has_a_section_per_item():
    result = cli("advise", str(RICH_CASE), "--format", "markdown")
    advice = advise(RICH_CASE)
    assert result.stdout.startswith("# Advice for cern-prototype-abnormally-low-bid")
    headings = [line[4:] for line in result.stdout.splitlines() if line.startswith("### ")]
    assert headings == [item.title for item in advice.items]


def test_turtle_export_uses_only_ontology_terms_and_prov_chains_reach_the_facts():
    result = cli("advise", str(RICH_CASE), "--format", "turtle")
    assert result.returncode == 0, result.stderr
    g = Graph().parse(data=result.stdout, format="turtle")
    onto = vocabulary().graph
    undefined = {t for triple in g for t in triple
                 if str(t).startswith(str(IPO)) and (t, None, None) not in onto}
    assert undefined == set()
    advice = advise(RICH_CASE)
    assert {str(o) for o in g.objects(None, IPO.adviceId)} == {i.id for i in advice.items}
    rows = g.query("""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX ipo: <https://w3id.org/innoproc/ontology#>
        SELECT ?rec (COUNT(DISTINCT ?fact) AS ?facts) WHERE {
            ?rec a ipo:Recommendation ; prov:wasDerivedFrom+ ?fact .
            ?fact a ipo:CaseFact ; ipo:aboutKey ?key .
        } GROUP BY ?rec""")
    assert {str(g.value(row.rec, IPO.adviceId)) for row in rows} == {
        r.id for r in advice.recommendations}
    assert all(int(row.facts) >= 1 for row in rows)
    for firing in g.subjects(RDF.type, IPO.RuleFiring):
        association = g.value(firing, PROV.qualifiedAssociation)
        assert g.value(association, PROV.hadPlan) is not None
        assert g.value(association, PROV.agent) == IPO.innoprocEngine


def test_the_advice_graph_passes_its_own_ontology_typing():
    g = advice_graph(advise(RICH_CASE))
    for item in g.subjects(IPO.adviceId, None):
        types = set(g.objects(item, RDF.type))
        assert types & {IPO.ChallengeFinding, IPO.RiskFinding, IPO.Recommendation}
        assert g.value(item, PROV.wasGeneratedBy) is not None
        assert list(g.objects(item, IPO.restsOn))


def test_bad_case_to_advise_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nprocedure: tender\n")
    result = cli("advise", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "procedure: found 'tender'" in result.stderr


def test_unknown_format_is_refused_by_the_cli():
    result = cli("advise", str(RICH_CASE), "--format", "pdf")
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [[], ["validate"], ["advise"], ["kb"], ["kb", "check"],
                                     ["kb", "rules"]])
def test_every_command_has_help(command):
    result = cli(*command, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout


def test_version():
    from innoproc import __version__

    result = cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"innoproc {__version__}"
    assert __version__ == "0.1.0"

"""Loading cases: YAML, JSON and Turtle give one graph; every kind of bad input is refused with
one line per problem naming the key, the value found and what is allowed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from innoproc import CaseError, load_case

from conftest import DATA


def _problems(tmp_path: Path, name: str, text: str) -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CaseError) as caught:
        load_case(path)
    return [str(p) for p in caught.value.problems]


def test_the_same_case_in_yaml_json_and_turtle_gives_isomorphic_graphs():
    yaml_case, json_case, ttl_case = (load_case(DATA / f"same-case.{s}")
                                      for s in ("yaml", "json", "ttl"))
    assert isomorphic(yaml_case.graph, json_case.graph)
    assert isomorphic(yaml_case.graph, ttl_case.graph)
    assert yaml_case.facts == json_case.facts == ttl_case.facts
    assert yaml_case.graph.identifier == yaml_case.iri  # one named graph per case
    assert str(yaml_case.iri) == "https://w3id.org/innoproc/case/same-case"


def test_a_mapping_and_a_graph_load_like_files():
    data = {"id": "m", "trl": 3, "phases": ["research"], "legal_regime": "own-rules"}
    from_mapping = load_case(data)
    from_graph = load_case(Graph().parse(data=from_mapping.graph.serialize(format="turtle"),
                                         format="turtle"))
    assert isomorphic(from_mapping.graph, from_graph.graph)
    assert from_mapping.facts == {"id": "m", "legal_regime": "own-rules",
                                  "phases": ("research",), "trl": 3}


def test_a_missing_key_stays_unknown_and_an_empty_incentive_list_is_stated():
    case = load_case({"id": "x", "innovation_incentives": []})
    assert case.facts == {"id": "x", "innovation_incentives": ()}
    assert "trl" not in load_case({"id": "x"}).facts


def test_json_ld_is_read_too(tmp_path):
    ttl = load_case(DATA / "same-case.ttl")
    path = tmp_path / "same-case.jsonld"
    path.write_text(ttl.graph.serialize(format="json-ld"))
    assert isomorphic(load_case(path).graph, ttl.graph)


@pytest.mark.parametrize("line, key, found, allowed", [
    ("trl: 12", "trl", "found 12", "an integer from 1 to 9"),
    ("trl: high", "trl", "found 'high'", "an integer from 1 to 9"),
    ("trl: 4.5", "trl", "found 4.5", "an integer from 1 to 9"),
    ("legal_regime: own-rulez", "legal_regime", "found 'own-rulez'",
     "eu-directives, national-law, own-rules"),
    ("procedure: [open, pcp]", "procedure", "found several values [open, pcp]", "one value"),
    ("fair_return: maybe", "fair_return", "found 'maybe'", "true or false"),
    ("estimated_value_eur: -1", "estimated_value_eur", "found -1", "a number ≥ 0"),
    ("estimated_value_eur: lots", "estimated_value_eur", "found 'lots'", "a number ≥ 0"),
    ("operational_lifetime_years: -3", "operational_lifetime_years", "found -3", "≥ 0"),
    ("phases: research", "phases", "found 'research'", "a list of research, development"),
    ("phases: [research, design]", "phases", "found 'design'", "research, development"),
    ("phases: []", "phases", "found an empty list", "at least one of research"),
    ("innovation_incentives: [prizes]", "innovation_incentives", "found 'prizes'",
     "award-criteria"),
    ("technical_risk:", "technical_risk", "found no value", "leave the key out"),
    ("budget_chf: 3", "budget_chf", "unknown key", "legal_regime"),
    ("sourcing: {a: 1}", "sourcing", "found a mapping", "co-develop"),
])
def test_each_bad_value_is_named_with_its_key_line_and_allowed_values(
        tmp_path, line, key, found, allowed):
    problems = _problems(tmp_path, "bad.yaml", f"id: bad\ntitle: t\n{line}\n")
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{tmp_path / 'bad.yaml'}:3: {key}:")
    assert found in problems[0] and allowed in problems[0]


def test_all_problems_of_a_file_are_reported_together_in_line_order(tmp_path):
    problems = _problems(tmp_path, "many.yaml",
                         "id: many\ntrl: 0\ncolour: red\nlegal_regime: own\ntitle: a\ntitle: b\n")
    assert [p.split(": ", 2)[1] for p in problems] == ["trl", "colour", "legal_regime", "title"]
    assert [int(p.split(":")[1]) for p in problems] == [2, 3, 4, 6]
    assert "duplicate key" in problems[-1]


@pytest.mark.parametrize("name, text, message", [
    ("empty.yaml", "", "empty file"),
    ("blank.json", "  \n", "empty file"),
    ("broken.yaml", "id: [x\n", "malformed YAML"),
    ("broken.json", '{"id": "x",\n "trl": }', "malformed JSON"),
    ("broken.ttl", "@prefix ipo: <https://w3id.org/innoproc/ontology#> .\n<x> a ipo:Nope ;\n",
     "malformed turtle"),
    ("list.yaml", "- id: x\n", "found a list at the top level"),
    ("noid.yaml", "title: no id\n", "id: missing"),
    ("badid.yaml", "id: Not A Slug\n", "lowercase letters, digits and hyphens"),
    ("nocase.ttl", "@prefix ipo: <https://w3id.org/innoproc/ontology#> .\n"
                   "<https://example.org/x> ipo:trl 3 .\n", "no ipo:ProcurementCase"),
    ("case.txt", "id: x\n", "unknown file type '.txt'"),
])
def test_malformed_and_empty_files_are_refused_with_one_clear_line(tmp_path, name, text, message):
    problems = _problems(tmp_path, name, text)
    assert len(problems) == 1 and message in problems[0], problems
    assert problems[0].startswith(str(tmp_path / name))


def test_a_missing_file_and_a_folder_are_refused(tmp_path):
    for source, message in ((tmp_path / "nothere.yaml", "no such file"),
                            (tmp_path, "is a folder; expected a case file")):
        with pytest.raises(CaseError) as caught:
            load_case(source)
        assert [str(p) for p in caught.value.problems] == [f"{source}: {message}"]


def test_turtle_problems_name_the_key_and_unknown_properties(tmp_path):
    problems = _problems(tmp_path, "bad.ttl", """
@prefix ipo: <https://w3id.org/innoproc/ontology#> .
<https://w3id.org/innoproc/case/t> a ipo:ProcurementCase ; ipo:caseId "t" ;
    ipo:trl 11 ; ipo:legalRegime ipo:OpenProcedure ; ipo:colour "red" .
""")
    assert any("trl: found 11" in p and "from 1 to 9" in p for p in problems)
    assert any("legal_regime: found ipo:OpenProcedure" in p and "own-rules" in p
               for p in problems)
    assert any("unknown property ipo:colour" in p for p in problems)


def test_no_incentive_cannot_stand_beside_an_incentive(tmp_path):
    problems = _problems(tmp_path, "both.ttl", """
@prefix ipo: <https://w3id.org/innoproc/ontology#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
<https://w3id.org/innoproc/case/b> a ipo:ProcurementCase ; ipo:caseId "b" ;
    ipo:innovationIncentive rdf:nil, ipo:VariantsAllowed .
""")
    assert len(problems) == 1
    assert "innovation_incentives: found both an empty list" in problems[0]


def test_json_problems_name_the_line_of_the_key(tmp_path):
    problems = _problems(tmp_path, "bad.json", json.dumps({"id": "j", "trl": 10}, indent=1))
    assert problems == [f"{tmp_path / 'bad.json'}:3: trl: found 10 (integer); allowed: an "
                        "integer from 1 to 9"]


def test_cli_validate_exits_2_with_lines_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntrl: 12\n")
    good = DATA / "same-case.yaml"
    result = subprocess.run([sys.executable, "-m", "innoproc", "validate", str(good),
                             str(bad)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{bad}:2: trl: found 12 (integer); allowed: an integer from 1 to 9" in result.stderr
    assert f"{good}: ok" in result.stdout


def test_cli_validate_exits_0_when_every_case_conforms():
    result = subprocess.run([sys.executable, "-m", "innoproc", "validate",
                             *(str(DATA / f"same-case.{s}") for s in ("yaml", "json", "ttl"))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

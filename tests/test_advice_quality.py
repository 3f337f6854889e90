"""Advice an officer can act on: the published JSON Schema holds for every case, advice is
ranked and short, one point is made once, one course is chosen among alternatives, clause tags
mean one thing, and reasons are written in the ontology's words. Checked on the library and on
the blind held-out set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from innoproc import advise
from innoproc.cli import app
from innoproc.explain import default_kb
from innoproc.export import export
from innoproc.export.json_contract import schema_path

from conftest import CASES, case_files

HELDOUT = Path(__file__).resolve().parent / "review" / "heldout"
ALL = case_files() + sorted(p for p in HELDOUT.glob("*.yaml") if p.name != "expected.yaml")
RANK = {"high": 3, "medium": 2, "low": 1}


@pytest.fixture(scope="module")
def advices():
    return {path.stem: advise(path) for path in ALL}


def test_the_schema_is_valid_and_every_case_s_json_follows_it(advices):
    schema = json.loads(schema_path().read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for name, advice in advices.items():
        errors = [e.message for e in validator.iter_errors(advice.to_dict())]
        assert errors == [], name


def test_findings_come_by_severity_and_recommendations_by_what_they_answer(advices):
    for name, advice in advices.items():
        severities = [RANK[f.severity] for f in advice.findings]
        assert severities == sorted(severities, reverse=True), name
        weights = [r.weight for r in advice.recommendations]
        assert weights == sorted(weights, reverse=True), name


def test_at_most_one_finding_per_challenge(advices):
    for name, advice in advices.items():
        challenges = [c for f in advice.findings for c in f.clauses if c.startswith("CH")]
        assert len(challenges) == len(set(challenges)), (name, challenges)


def test_one_course_is_chosen_among_alternatives_and_the_others_listed_under_it(advices):
    vocab = default_kb().vocabulary
    for name, advice in advices.items():
        groups = [vocab.choice_groups[r.course] for r in advice.recommendations
                  if r.course in vocab.choice_groups]
        assert len(groups) == len(set(groups)), name
        for rec in advice.recommendations:
            for other in rec.alternatives:
                assert vocab.choice_groups[other.course] == vocab.choice_groups[rec.course]
                assert other.priority <= rec.priority
    mirror = advices["constructed-open-tender-mirror-cleaning"]
    (chosen,) = [r for r in mirror.recommendations if r.alternatives]
    assert chosen.id == "use-pre-commercial-procurement"
    assert [a.id for a in chosen.alternatives] == ["use-innovation-partnership",
                                                   "use-dialogue-or-negotiation"]
    assert not {a.id for a in chosen.alternatives} & {r.id for r in mirror.recommendations}


def test_clause_tags_mean_what_the_item_is(advices):
    vocab = default_kb().vocabulary
    challenge = set(vocab.clauses_grounding("challenge-finding"))
    recommendation = set(vocab.clauses_grounding("recommendation"))
    for name, advice in advices.items():
        for item in advice.items:
            if item.kind == "recommendation":
                assert not set(item.clauses) & challenge, (name, item.id)
            else:
                assert not set(item.clauses) & recommendation, (name, item.id)


def test_no_rule_gives_advice_on_unknown_facts_alone():
    from innoproc.workbench.check import check_kb

    report = check_kb()
    assert [p for p in report.problems if p.code == "kb/fires-on-unknown"] == []
    assert [a for _, a in report.accepted if a.code == "kb/fires-on-unknown"] == []


def test_a_case_that_already_does_it_is_not_told_to(advices):
    """Counter-evidence stated in the case keeps a finding or a recommendation from firing."""
    base = {"id": "counter", "solution_maturity": "r-and-d", "technical_risk": "high",
            "industry_engagement": "at-tender"}
    assert "late-industry-engagement" in {i.id for i in advise(base).items}
    for evidence in ({"industry_engagement": "early"}, {"market_consultation": True}):
        assert "late-industry-engagement" not in {i.id for i in advise(base | evidence).items}
    series = {"id": "series", "phases": ["manufacturing"], "technical_risk": "high",
              "sourcing": "outsource", "solution_maturity": "adaptation"}
    assert "qualify-suppliers-before-series" not in {i.id for i in advise(series).items}
    assert "qualify-suppliers-before-series" in {
        i.id for i in advise(series | {"series_production": True}).items}


def test_text_and_markdown_start_with_the_few_changes_that_matter_most():
    case = CASES / "cern-prototype-abnormally-low-bid.yaml"
    advice = advise(case)
    text = export(advice, "text")
    assert text.index("In short") < text.index("Findings (")
    markdown = export(advice, "markdown")
    summary = markdown.split("## In short\n\n")[1].split("\n## ")[0].strip().splitlines()
    assert summary[0].startswith(f"{len(advice.findings)} finding(s) (")
    assert [line.split(". ", 1)[1].split(" (answers")[0] for line in summary[2:]] == [
        r.title for r in advice.recommendations[:3]]


def test_reasons_are_written_in_the_ontology_s_words():
    advice = advise(CASES / "cern-lhc-yoke-steel.yaml")
    markdown = export(advice, "markdown")
    assert "award basis: lowest price; co-development: yes; innovation incentive: none" in markdown
    assert "award_basis = " not in markdown


def test_advise_takes_many_cases_and_folders(tmp_path):
    runner = CliRunner()
    table = runner.invoke(app, ["advise", str(CASES), "--format", "text"],
                          env={"COLUMNS": "200"})
    assert table.exit_code == 0
    for path in case_files():
        assert path.stem[:25] in table.stdout
    lines = runner.invoke(app, ["advise", str(CASES), "-f", "jsonl"]).stdout.splitlines()
    assert [json.loads(line)["case"]["id"] for line in lines] == [
        advise(p).case.id for p in case_files()]
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntrl: 12\n")
    mixed = runner.invoke(app, ["advise", str(CASES / "cern-lhc-yoke-steel.yaml"), str(bad),
                                "-f", "jsonl"])
    assert mixed.exit_code == 2
    assert [json.loads(line)["case"]["id"] for line in mixed.stdout.splitlines()] == [
        "cern-lhc-yoke-steel"]
    assert f"{bad}:2: trl: found 12" in mixed.stderr

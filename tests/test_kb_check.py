"""`innoproc kb check` as a verifier: purpose-built faulty KBs, one per kind of warning, each
asserting the problem, its code and its file:line; accepted warnings; the reasoner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from innoproc import KnowledgeBase, load_case
from innoproc.cli import app
from innoproc.workbench.check import check_kb

RULE = """
  - id: {id}
    title: Rule {id}
    clauses: [{clauses}]
    rationale: Because.
    priority: 50
    when:
      {when}
    then:
      {then}
"""
FINDING = "finding: {{id: {id}-found, kind: challenge, severity: high, summary: S.}}"
RECOMMENDATION = "recommendation: {{id: {id}-done, summary: S., actions: [Do it.]{course}}}"


def rule(id: str, when: str, clauses: str = "CH-1", kind: str = "finding",
         course: str | None = None) -> str:
    then = (FINDING.format(id=id) if kind == "finding" else
            RECOMMENDATION.format(id=id, course=f", course: {course}" if course else ""))
    return RULE.format(id=id, clauses=clauses, when=when, then=then)


def make_kb(tmp_path: Path, *rules: str, checks: str | None = None) -> Path:
    folder = tmp_path / "kb"
    (folder / "rules").mkdir(parents=True)
    (folder / "rules" / "theme.yaml").write_text("theme: theme\ntitle: T\nrules:" + "".join(rules))
    if checks is not None:
        (folder / "checks.yaml").write_text(checks)
    return folder


def codes(report) -> list[tuple[str, str, int | None]]:
    """(code, rule or key, line) of each reported problem but the gap warnings."""
    return [
        (p.code, p.message.split(":")[0].removeprefix("rule "), p.line)
        for p in report.problems
        if p.code not in ("kb/unimplemented-clause", "kb/unread-value")
    ]


def test_a_rule_implied_by_a_broader_one_that_adds_nothing_is_subsumed(tmp_path):
    folder = make_kb(tmp_path, rule("narrow", "trl: {le: 3}"),
                     rule("broad", "trl: {le: 5}", clauses="CH-1, KC-3"))
    report = check_kb(folder)
    assert codes(report) == [("kb/subsumed", "narrow", 4)]
    (problem,) = [p for p in report.problems if p.code == "kb/subsumed"]
    assert problem.severity == "warning"
    assert problem.source == str(folder / "rules" / "theme.yaml")
    assert "subsumed by rule broad" in problem.message


def test_the_same_condition_written_two_ways_is_redundant_and_reported_once(tmp_path):
    folder = make_kb(tmp_path, rule("by-class", "procedure: {is_a: RigidProcedure}"),
                     rule("by-list", "procedure: {in: [open, restricted, price-enquiry, "
                                     "invitation-to-tender]}"))
    assert codes(check_kb(folder)) == [("kb/redundant", "by-list", 14)]


@pytest.mark.parametrize("second", [
    rule("broad", "trl: {le: 5}", clauses="CH-2"),  # another clause: it adds something
    rule("broad", "trl: {le: 2}", clauses="CH-1, CH-2"),  # narrower, with more clauses
    rule("broad", "trl: {le: 5}", kind="recommendation", clauses="REC-2"),  # another kind
])
def test_no_overlap_is_reported_where_the_narrower_rule_adds_something(tmp_path, second):
    assert codes(check_kb(make_kb(tmp_path, rule("narrow", "trl: {le: 3}"), second))) == []


def test_a_rule_that_another_reads_is_not_redundant(tmp_path):
    reader = rule("reader", "finding: narrow-found", kind="recommendation", clauses="REC-1")
    folder = make_kb(tmp_path, rule("narrow", "trl: {le: 3}"),
                     rule("broad", "trl: {le: 5}"), reader)
    assert codes(check_kb(folder)) == []


def test_rules_proposing_exclusive_courses_on_one_case_conflict_with_a_witness(tmp_path):
    keep = rule("keep", "all: [{specification_style: build-to-print}, {trl: {ge: 6}}]",
                kind="recommendation", clauses="REC-2", course="keep-build-to-print")
    perform = rule("perform", "competence_uniqueness: common", kind="recommendation",
                   clauses="REC-2", course="specify-performance")
    folder = make_kb(tmp_path, keep, perform)
    report = check_kb(folder)
    assert codes(report) == [("kb/conflict", "perform", 14)]
    (problem,) = report.problems[:1]
    witness = problem.message.split("both fire on the case ")[1]
    assert witness == ("{competence_uniqueness: common, specification_style: build-to-print, "
                       "trl: 6}")
    case = {"id": "witness", "competence_uniqueness": "common",
            "specification_style": "build-to-print", "trl": 6}
    advice = KnowledgeBase.load(folder).advise(load_case(case))
    assert {i.id for i in advice.items} == {"keep-done", "perform-done"}


def test_exclusive_courses_on_cases_that_cannot_meet_do_not_conflict(tmp_path):
    keep = rule("keep", "specification_style: build-to-print", kind="recommendation",
                clauses="REC-2", course="keep-build-to-print")
    perform = rule("perform", "specification_style: prescriptive", kind="recommendation",
                   clauses="REC-2", course="specify-performance")
    assert codes(check_kb(make_kb(tmp_path, keep, perform))) == []


def test_a_rule_that_fires_on_unknown_facts_alone_is_reported(tmp_path):
    folder = make_kb(tmp_path, rule("asks", "ilo_involved: unknown"),
                     rule("fine", "all: [{ilo_involved: unknown}, {fair_return: true}]",
                          clauses="CH-6"))
    report = check_kb(folder)
    assert codes(report) == [("kb/fires-on-unknown", "asks", 4)]


def test_gaps_name_the_clauses_no_rule_cites_and_the_values_no_rule_reads(tmp_path):
    report = check_kb(make_kb(tmp_path, rule("one", "award_basis: lowest-price")))
    unimplemented = {p.key for p in report.problems if p.code == "kb/unimplemented-clause"}
    from innoproc.ontology import bundled_vocabulary

    assert unimplemented == set(bundled_vocabulary().clauses) - {"CH-1"}
    (unread,) = [p for p in report.problems if p.code == "kb/unread-value"]
    assert (unread.key, unread.severity) == ("award_basis", "warning")
    assert unread.message == ("no rule reads best-value, life-cycle-cost, while rules read "
                              "lowest-price")


def test_an_ontology_extension_term_without_a_definition_is_reported_with_its_file(tmp_path):
    folder = make_kb(tmp_path, rule("one", "award_basis: lowest-price"))
    (folder / "ontology").mkdir()
    (folder / "ontology" / "extra.ttl").write_text(
        "@prefix ipo: <https://w3id.org/innoproc/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "ipo:Undefined a ipo:AwardProcedure ; rdfs:label \"undefined\"@en .\n")
    (problem,) = [p for p in check_kb(folder).problems if p.code == "kb/undefined-term"]
    assert problem.source == str(folder / "ontology" / "extra.ttl")
    assert problem.message == "term ipo:Undefined has no definition"


def test_an_accepted_warning_is_not_reported_and_a_stale_acceptance_is(tmp_path):
    checks = """accepted:
  - code: kb/fires-on-unknown
    subject: asks
    reason: The question is the advice here.
  - code: kb/subsumed
    subject: nothing-like-it
    reason: Left over.
"""
    folder = make_kb(tmp_path, rule("asks", "ilo_involved: unknown"), checks=checks)
    report = check_kb(folder)
    assert [(p.code, a.subject) for p, a in report.accepted] == [("kb/fires-on-unknown", "asks")]
    (stale,) = [p for p in report.problems if p.code == "kb/stale-acceptance"]
    assert (stale.code, stale.line, stale.source) == (
        "kb/stale-acceptance", 5, str(folder / "checks.yaml"))
    assert stale.message.startswith("accepts kb/subsumed for nothing-like-it, but no such")


def test_a_malformed_acceptance_file_is_an_error_with_its_line(tmp_path):
    folder = make_kb(tmp_path, rule("one", "trl: 3"),
                     checks="accepted:\n  - code: kb/subsumed\n    subject: one\n")
    result = CliRunner().invoke(app, ["kb", "check", "--kb", str(folder)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{folder / 'checks.yaml'}:2: each accepted warning has exactly code, subject and a "
        "non-empty reason [error kb/acceptance]")


def test_warnings_do_not_fail_the_check_but_errors_do(tmp_path):
    runner = CliRunner()
    warned = runner.invoke(app, ["kb", "check", "--kb", str(
        make_kb(tmp_path / "a", rule("asks", "ilo_involved: unknown")))])
    assert warned.exit_code == 0
    assert "[warning kb/fires-on-unknown]" in warned.stderr
    broken = runner.invoke(app, ["kb", "check", "--kb", str(
        make_kb(tmp_path / "b", rule("bad", "budget: 3")))])
    assert broken.exit_code == 2 and "[error kb/unknown-key]" in broken.stderr


def test_the_bundled_kb_has_no_errors_and_every_accepted_warning_still_applies():
    report = check_kb()
    assert report.errors == []
    assert all(p.code != "kb/stale-acceptance" for p in report.problems)


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime")
def test_the_reasoner_runs_on_request_and_says_how_long_it_took():
    result = CliRunner().invoke(app, ["kb", "check", "--reasoner"])
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("HermiT: consistent, no unsatisfiable class (") and last.endswith(
        " s)")

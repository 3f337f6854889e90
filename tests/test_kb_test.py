"""``innoproc kb test``: the KB's own test scenarios (tests/*.yaml), run through the command line
in-process (typer's CliRunner): the library's scenarios pass on the bundled KB, and on small KBs
built here, a wrong expectation fails with what differs, a malformed scenario file is refused with
file:line and its code, JUnit XML counts right and coverage lists exactly what was worked out by
hand from the rules and the scenarios."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from innoproc.cli import app

from conftest import ROOT, case_files

runner = CliRunner()

SMALL_RULES = """theme: small
title: Small test rules
rules:
  - id: r-lowest
    title: Lowest price
    clauses: [CH-5]
    rationale: Because.
    priority: 50
    when: {award_basis: lowest-price}
    then:
      finding: {id: f-lowest, kind: challenge, severity: high, summary: S.}
  - id: r-reward
    title: Reward
    clauses: [REC-2]
    rationale: Because.
    priority: 50
    when: {finding: f-lowest}
    then:
      recommendation: {id: rec-reward, summary: S., actions: [Do it.]}
  - id: r-early
    title: Early
    clauses: [CH-1]
    rationale: Because.
    priority: 50
    when:
      all:
        - trl: {le: 4}
        - industry_engagement: unknown
    then:
      finding: {id: f-early, kind: challenge, severity: medium, summary: S.}
  - id: r-late
    title: Late
    clauses: [CH-3]
    rationale: Because.
    priority: 50
    when: {phases: manufacturing}
    then:
      finding: {id: f-late, kind: challenge, severity: low, summary: S.}
"""

# Three scenarios that pass on SMALL_RULES. By hand: `lowest` states lowest-price (r-lowest,
# then r-reward) and an engagement (so r-early cannot fire); `early` and `third` leave
# industry_engagement out at TRL <= 4 (r-early); no case states phases (r-late never fires).
PASSING = """scenarios:
  - name: lowest
    case: {id: lowest, award_basis: lowest-price, trl: 3, industry_engagement: early}
    expect: [{id: f-lowest, rule: r-lowest}, rec-reward]
    exactly: true
  - name: early
    case: {id: early, award_basis: best-value, trl: 2}
    expect: [f-early]
    absent: [f-lowest]
  - name: third
    case: {id: third, trl: 4}
    expect: [f-early]
    exactly: true
"""


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})


def make_kb(tmp_path: Path, **tests: str) -> Path:
    """A KB folder with SMALL_RULES and one test file per keyword (``name=text``)."""
    folder = tmp_path / "kb"
    (folder / "rules").mkdir(parents=True)
    shutil.copytree(ROOT / "kb" / "schema", folder / "schema")
    (folder / "rules" / "small.yaml").write_text(SMALL_RULES)
    if tests:
        (folder / "tests").mkdir()
    for name, text in tests.items():
        (folder / "tests" / f"{name}.yaml").write_text(text)
    return folder


# -- the bundled KB -------------------------------------------------------------------------
def test_every_scenario_of_the_bundled_kb_passes():
    import yaml

    result = invoke("kb", "test")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    files = (ROOT / "kb" / "tests").glob("*.yaml")
    written = sum(len(yaml.safe_load(p.read_text())) for p in files)
    assert written > len(case_files())  # the library's scenarios and the rules' own
    assert lines[-1] == f"{written} passed, 0 failed"
    assert all(line.startswith("PASS ") for line in lines[:-1])


def test_the_library_scenarios_say_what_the_golden_files_say(library):
    """kb/tests/library.yaml and tests/golden must be changed together: same cases, same items,
    same rules, and nothing else concluded."""
    scenarios = yaml.safe_load((ROOT / "kb" / "tests" / "library.yaml").read_text())
    by_name = {s["name"]: s for s in scenarios}
    assert len(by_name) == len(scenarios) == len(library)
    for case_id, case in library.items():
        path = Path(case.source)
        scenario = by_name[case_id]
        golden = yaml.safe_load((ROOT / "tests" / "golden" / f"{case_id}.yaml").read_text())
        items = (golden["findings"] or []) + (golden["recommendations"] or [])
        assert scenario["case"] == f"../../cases/{path.name}"
        assert scenario["exactly"] is True
        assert sorted((e["id"], e["rule"]) for e in scenario["expect"]) == sorted(
            (i["id"], i["rule"]) for i in items
        ), case_id


def test_the_scenario_example_in_the_kb_readme_passes(tmp_path):
    readme = (ROOT / "kb" / "README.md").read_text()
    section = readme[readme.index("## Test scenarios") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    folder = tmp_path / "x" / "kb"
    (folder / "tests").mkdir(parents=True)
    for part in ("rules", "schema"):
        shutil.copytree(ROOT / "kb" / part, folder / part)
    shutil.copytree(ROOT / "cases", tmp_path / "x" / "cases")
    (folder / "tests" / "example.yaml").write_text(example.group(1))
    result = invoke("kb", "test", "--kb", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "2 passed, 0 failed"


def test_every_kbtest_code_is_documented_in_the_kb_readme():
    used = {
        code
        for path in (ROOT / "engine" / "innoproc").rglob("*.py")
        for code in re.findall(r'"(kbtest/[a-z-]+)"', path.read_text())
    }
    readme = (ROOT / "kb" / "README.md").read_text()
    assert used and sorted(c for c in used if f"`{c}`" not in readme) == []


# -- passing and failing scenarios ----------------------------------------------------------
def test_passing_scenarios_print_one_line_each_and_a_summary(tmp_path):
    result = invoke("kb", "test", "--kb", str(make_kb(tmp_path, small=PASSING)))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "PASS lowest",
        "PASS early",
        "PASS third",
        "3 passed, 0 failed",
    ]


def _failing(tmp_path: Path, scenario: str) -> tuple[Path, Any]:
    folder = make_kb(tmp_path, small=PASSING, wrong=scenario)
    return folder / "tests" / "wrong.yaml", invoke("kb", "test", "--kb", str(folder))


def test_a_wrong_expectation_exits_1_and_names_what_is_missing(tmp_path):
    path, result = _failing(
        tmp_path,
        "- name: no trl\n  case: {id: x, award_basis: lowest-price}\n  expect: [f-early]\n",
    )
    assert result.exit_code == 1
    assert f"FAIL no trl ({path}:1): missing: f-early" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1] == "3 passed, 1 failed"


def test_a_scenario_requiring_the_wrong_rule_fails_naming_both_rules(tmp_path):
    path, result = _failing(
        tmp_path,
        "- name: by whom\n  case: {id: x, award_basis: lowest-price}\n"
        "  expect:\n    - {id: rec-reward, rule: r-lowest}\n",
    )
    assert result.exit_code == 1
    assert (
        f"FAIL by whom ({path}:1): wrong rule: rec-reward by r-reward, expected r-lowest"
        in result.stdout.splitlines()
    )


def test_exactly_fails_on_an_item_the_scenario_does_not_expect(tmp_path):
    path, result = _failing(
        tmp_path,
        "- name: only one\n  case: {id: x, award_basis: lowest-price}\n"
        "  expect: [f-lowest]\n  exactly: true\n",
    )
    assert result.exit_code == 1
    assert (
        f"FAIL only one ({path}:1): unexpected: rec-reward (rule r-reward)"
        in result.stdout.splitlines()
    )


def test_an_absent_id_that_is_concluded_fails(tmp_path):
    path, result = _failing(
        tmp_path,
        "- name: not this\n  case: {id: x, award_basis: lowest-price, trl: 2}\n"
        "  expect: [f-early]\n  absent: [rec-reward]\n",
    )
    assert result.exit_code == 1
    assert (
        f"FAIL not this ({path}:1): unexpected: rec-reward (rule r-reward)"
        in result.stdout.splitlines()
    )


def test_a_case_file_is_found_relative_to_the_test_file(tmp_path):
    folder = make_kb(tmp_path, small=PASSING)
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "c.yaml").write_text("id: c\naward_basis: lowest-price\n")
    (folder / "tests" / "files.yaml").write_text(
        "- name: from a file\n  case: ../../cases/c.yaml\n  expect: [f-lowest, rec-reward]\n"
        "  exactly: true\n"
    )
    result = invoke("kb", "test", "--kb", str(folder))
    assert result.exit_code == 0, result.output
    assert "PASS from a file" in result.stdout.splitlines()


# -- malformed scenario files: exit 2, file:line and code --------------------------------------
@pytest.mark.parametrize(
    "text, line, code",
    [
        ("- name: a\n  case: {id: a}\n  expct: [f-lowest]\n  absent: [f-late]\n", 3,
         "kbtest/unknown-key"),
        ("- name: a\n  case: {id: a}\n  expect:\n    - {id: f-lowest, why: x}\n", 4,
         "kbtest/unknown-key"),
        ("- name: a\n  case: {id: a}\n  expect: [f-lowes]\n", 3, "kbtest/unknown-conclusion"),
        ("- name: a\n  case: {id: a}\n  absent: [nothing-like-it]\n", 3,
         "kbtest/unknown-conclusion"),
        ("- name: a\n  case: {id: a}\n  expect:\n    - {id: f-lowest, rule: r-nope}\n", 4,
         "kbtest/unknown-rule"),
        ("- name: a\n  case: nowhere/a.yaml\n  expect: [f-lowest]\n", 2, "kbtest/missing-case"),
        ("- name: a\n  expect: [f-lowest]\n", 1, "kbtest/missing"),
        ("- case: {id: a}\n  expect: [f-lowest]\n", 1, "kbtest/missing"),
        ("- name: a\n  case: {id: a}\n", 1, "kbtest/no-expectation"),
        ("- name: a\n  case: {id: a}\n  exactly: maybe\n  expect: [f-lowest]\n", 3,
         "kbtest/type"),
        ("- name: a\n  case: 42\n  expect: [f-lowest]\n", 2, "kbtest/type"),
        ("- name: a\n  case: {id: a}\n  expect: f-lowest\n  exactly: true\n", 3, "kbtest/type"),
        ("- name: a\n  case: {id: a}\n  expect: [f-lowest, f-lowest]\n", 3,
         "kbtest/duplicate-id"),
        ("- name: a\n  case: {id: a}\n  expect: [f-lowest]\n  absent: [f-lowest]\n", 4,
         "kbtest/contradiction"),
        ("- name: a\n  case: {id: a}\n  expect: [f-lowest]\n- name: a\n  case: {id: b}\n"
         "  expect: [f-lowest]\n", 4, "kbtest/duplicate-name"),
        ("scenarios: {name: a}\n", 1, "kbtest/type"),
        ("just text\n", 1, "kbtest/top-level"),
        ("- name: a\n  case: {id: a, trl: 12}\n  expect: [f-lowest]\n", 2, "case/wrong-value"),
        ("- name: a\n  name: b\n  case: {id: a}\n  expect: [f-lowest]\n", 2,
         "input/duplicate-key"),
        ("- name: [a\n", 2, "input/syntax"),
    ],
)
def test_a_malformed_scenario_file_exits_2_with_file_line_and_code(tmp_path, text, line, code):
    folder = make_kb(tmp_path, bad=text)
    result = invoke("kb", "test", "--kb", str(folder))
    assert result.exit_code == 2
    (problem,) = result.stderr.strip().splitlines()
    assert problem.startswith(f"{folder / 'tests' / 'bad.yaml'}:{line}: "), problem
    assert problem.endswith(f"[error {code}]"), problem
    assert result.stdout == ""


def test_an_unknown_key_close_to_a_known_one_is_suggested(tmp_path):
    folder = make_kb(tmp_path, bad="- name: a\n  case: {id: a}\n  expct: [f-lowest]\n  "
                     "exactly: true\n")
    result = invoke("kb", "test", "--kb", str(folder))
    assert result.stderr.strip() == (
        f"{folder / 'tests' / 'bad.yaml'}:3: scenario a: found unknown key 'expct'; allowed: "
        "name, case, expect, absent, exactly; did you mean 'expect'? [error kbtest/unknown-key]"
    )


def test_an_empty_test_file_is_refused(tmp_path):
    folder = make_kb(tmp_path, small=PASSING, empty="# nothing yet\n")
    result = invoke("kb", "test", "--kb", str(folder))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{folder / 'tests' / 'empty.yaml'}: found an empty file; allowed: a list of scenarios "
        "[error kbtest/empty-file]"
    )


def test_every_problem_of_every_file_is_reported_at_once(tmp_path):
    folder = make_kb(
        tmp_path,
        a="- name: a\n  case: {id: a}\n  expect: [f-nope]\n",
        b="- name: b\n  case: {id: b}\n  expct: [f-lowest]\n  exactly: true\n",
    )
    result = invoke("kb", "test", "--kb", str(folder))
    assert result.exit_code == 2
    codes = [line.rsplit(" ", 1)[1] for line in result.stderr.strip().splitlines()]
    assert codes == ["kbtest/unknown-conclusion]", "kbtest/unknown-key]"]


def test_a_kb_without_scenarios_exits_2(tmp_path):
    folder = make_kb(tmp_path)
    result = invoke("kb", "test", "--kb", str(folder))
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("[error kbtest/no-scenarios]")


# -- JUnit XML and data formats ---------------------------------------------------------------
def test_junit_xml_has_one_testcase_per_scenario_and_the_failure_message(tmp_path):
    folder = make_kb(
        tmp_path,
        small=PASSING,
        wrong="- name: no trl\n  case: {id: x, award_basis: lowest-price}\n  expect: [f-early]\n",
    )
    junit = tmp_path / "out" / "junit.xml"
    junit.parent.mkdir()
    result = invoke("kb", "test", "--kb", str(folder), "--junit", str(junit))
    assert result.exit_code == 1
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "0")
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in suites] == [
        (str(folder / "tests" / "small.yaml"), "3", "0"),
        (str(folder / "tests" / "wrong.yaml"), "1", "1"),
    ]
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["lowest", "early", "third", "no trl"]
    assert [c.get("classname") for c in cases] == ["small", "small", "small", "wrong"]
    (failure,) = root.findall(".//failure")
    assert failure.get("message") == "missing: f-early"
    assert "r-lowest" in (failure.text or "")  # what was concluded, by which rule


def test_results_as_json_and_csv(tmp_path):
    folder = make_kb(
        tmp_path,
        wrong="- name: by whom\n  case: {id: x, award_basis: lowest-price}\n"
        "  expect:\n    - {id: rec-reward, rule: r-lowest}\n  absent: [f-lowest]\n",
    )
    source = str(folder / "tests" / "wrong.yaml")
    result = invoke("kb", "test", "--kb", str(folder), "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "passed": 0,
        "failed": 1,
        "scenarios": [
            {
                "name": "by whom",
                "status": "fail",
                "file": source,
                "line": 1,
                "case": "<inline>",
                "concluded": [
                    {"id": "f-lowest", "rule": "r-lowest"},
                    {"id": "rec-reward", "rule": "r-reward"},
                ],
                "missing": [],
                "unexpected": [{"id": "f-lowest", "rule": "r-lowest"}],
                "wrong_rule": [{"id": "rec-reward", "expected": "r-lowest", "found": "r-reward"}],
            }
        ],
    }
    # the failures and the summary reach the terminal on stderr, not in the data
    assert result.stderr.strip().splitlines()[-1] == "0 passed, 1 failed"
    out = tmp_path / "results.csv"
    result = invoke("kb", "test", "--kb", str(folder), "-f", "csv", "-o", str(out))
    assert result.exit_code == 1 and result.stdout == ""
    assert list(csv.reader(io.StringIO(out.read_text()))) == [
        ["name", "status", "file", "line", "case", "missing", "unexpected", "wrong_rule"],
        ["by whom", "fail", source, "1", "<inline>", "", "f-lowest (rule r-lowest)",
         "rec-reward by r-reward, expected r-lowest"],
    ]


def test_an_output_file_that_cannot_be_written_exits_2(tmp_path):
    folder = make_kb(tmp_path, small=PASSING)
    result = invoke("kb", "test", "--kb", str(folder), "-f", "json", "-o",
                    str(tmp_path / "no" / "such" / "folder.json"))
    assert result.exit_code == 2
    assert result.stderr.startswith("innoproc: cannot write ")


# -- coverage ---------------------------------------------------------------------------------
# Worked out by hand from SMALL_RULES and PASSING (see the comment above PASSING).
EXPECTED_RULES = [
    {"rule": "r-late", "concludes": "f-late", "count": 0, "scenarios": []},
    {"rule": "r-lowest", "concludes": "f-lowest", "count": 1, "scenarios": ["lowest"]},
    {"rule": "r-reward", "concludes": "rec-reward", "count": 1, "scenarios": ["lowest"]},
    {"rule": "r-early", "concludes": "f-early", "count": 2, "scenarios": ["early", "third"]},
]
EXPECTED_CITED = [  # the clauses some rule cites, in the source document's order
    ("CH-1", ["r-early"], ["early", "third"]),
    ("CH-3", ["r-late"], []),
    ("CH-5", ["r-lowest"], ["lowest"]),
    ("REC-2", ["r-reward"], ["lowest"]),
]
EXPECTED_VALUES = [  # keys in the case form's order; values read, then values stated
    {"key": "phases", "value": "manufacturing", "rules": ["r-late"], "count": 0,
     "scenarios": []},
    {"key": "trl", "value": "le 4", "rules": ["r-early"], "count": 3,
     "scenarios": ["lowest", "early", "third"]},
    {"key": "industry_engagement", "value": "early", "rules": [], "count": 1,
     "scenarios": ["lowest"]},
    {"key": "industry_engagement", "value": "unknown", "rules": ["r-early"], "count": 2,
     "scenarios": ["early", "third"]},
    {"key": "award_basis", "value": "best-value", "rules": [], "count": 1,
     "scenarios": ["early"]},
    {"key": "award_basis", "value": "lowest-price", "rules": ["r-lowest"], "count": 1,
     "scenarios": ["lowest"]},
]


def test_coverage_as_json_lists_rules_clauses_and_values(tmp_path):
    from innoproc.ontology import bundled_vocabulary

    folder = make_kb(tmp_path, small=PASSING)
    result = invoke("kb", "test", "--kb", str(folder), "--coverage", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rules"] == EXPECTED_RULES
    clauses = bundled_vocabulary().clauses
    assert [c["clause"] for c in data["clauses"]] == list(clauses)
    assert [c["title"] for c in data["clauses"]] == [c.title for c in clauses.values()]
    cited = [(c["clause"], c["rules"], c["scenarios"]) for c in data["clauses"] if c["rules"]]
    assert cited == EXPECTED_CITED
    assert all(c["count"] == 0 for c in data["clauses"] if not c["rules"])
    assert data["values"] == EXPECTED_VALUES


def test_coverage_as_csv_has_one_row_per_rule_clause_and_value(tmp_path):
    from innoproc.ontology import bundled_vocabulary

    folder = make_kb(tmp_path, small=PASSING)
    out = tmp_path / "coverage.csv"
    result = invoke("kb", "test", "--kb", str(folder), "--coverage", "-f", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    header, *rows = list(csv.reader(io.StringIO(out.read_text())))
    assert header == ["table", "item", "value", "rules", "count", "scenarios"]
    assert [r for r in rows if r[0] == "rule"] == [
        ["rule", "r-late", "", "", "0", ""],
        ["rule", "r-lowest", "", "", "1", "lowest"],
        ["rule", "r-reward", "", "", "1", "lowest"],
        ["rule", "r-early", "", "", "2", "early; third"],
    ]
    clauses = [r for r in rows if r[0] == "clause"]
    assert len(clauses) == len(bundled_vocabulary().clauses)
    assert [r for r in clauses if r[3]] == [
        ["clause", "CH-1", "", "r-early", "2", "early; third"],
        ["clause", "CH-3", "", "r-late", "0", ""],
        ["clause", "CH-5", "", "r-lowest", "1", "lowest"],
        ["clause", "REC-2", "", "r-reward", "1", "lowest"],
    ]
    assert [r for r in rows if r[0] == "value"] == [
        ["value", "phases", "manufacturing", "r-late", "0", ""],
        ["value", "trl", "le 4", "r-early", "3", "lowest; early; third"],
        ["value", "industry_engagement", "early", "", "1", "lowest"],
        ["value", "industry_engagement", "unknown", "r-early", "2", "early; third"],
        ["value", "award_basis", "best-value", "", "1", "early"],
        ["value", "award_basis", "lowest-price", "r-lowest", "1", "lowest"],
    ]
    assert len(rows) == 4 + len(clauses) + 6


def test_coverage_on_the_terminal_shows_three_tables_after_the_results(tmp_path):
    folder = make_kb(tmp_path, small=PASSING)
    result = invoke("kb", "test", "--kb", str(folder), "--coverage")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("3 passed, 0 failed") < out.index("Rules (fired by no scenario first)")
    assert out.index("Rules (fired") < out.index("Clauses") < out.index("Case values")
    rules_table = out[out.index("Rules (fired") : out.index("Clauses")]
    assert rules_table.index("r-late") < rules_table.index("r-lowest") < rules_table.index(
        "r-early"
    )

"""Rule files: parsed into the typed rule model, and refused with file:line for every problem."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from innoproc import KnowledgeBase, KnowledgeBaseError, load_case
from innoproc.rules.model import AnyOf, FactTest, Not

from conftest import ROOT

GOOD_RULE = """
  - id: {id}
    title: A rule
    clauses: [{clause}]
    rationale: Because.
    priority: 50
    when:
{when}
    then:
      {kind}:
        id: {conclusion}
        {body}
"""
FINDING_BODY = "kind: challenge\n        severity: high\n        summary: S."
REC_BODY = "summary: S.\n        actions: [Do it.]"


def rule(id="r1", clause="CH-1", when="      trl: {le: 4}", kind="finding", conclusion="c1",
         body=None):
    body = body or (FINDING_BODY if kind == "finding" else REC_BODY)
    return GOOD_RULE.format(id=id, clause=clause, when=when, kind=kind, conclusion=conclusion,
                            body=body)


def make_kb(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "kb"
    (folder / "rules").mkdir(parents=True)
    shutil.copytree(ROOT / "kb" / "schema", folder / "schema")
    for name, rules in files.items():
        (folder / "rules" / f"{name}.yaml").write_text(
            f"theme: {name}\ntitle: Test rules\nrules:{rules}")
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        KnowledgeBase.load(folder)
    return [str(p) for p in caught.value.problems]


def test_a_good_rule_is_parsed_into_the_model_with_classes_resolved(tmp_path):
    when = ("      all:\n        - procedure: {is_a: RigidProcedure}\n"
            "        - any:\n            - trl: {le: 4}\n            - not: {phases: {after: "
            "development}}")
    kb = KnowledgeBase.load(make_kb(tmp_path, one=rule(when=when)))
    (spec,) = kb.rules
    procedure, either = spec.when.items
    assert isinstance(procedure, FactTest) and procedure.values == {
        "open", "restricted", "price-enquiry", "invitation-to-tender"}
    assert isinstance(either, AnyOf) and isinstance(either.items[1], Not)
    assert either.items[1].item.values == {"manufacturing", "installation", "servicing",
                                           "decommissioning"}
    assert spec.source.endswith("one.yaml") and spec.line == 4


@pytest.mark.parametrize("rules, expected_line, message", [
    (rule(when="      budget: {le: 4}"), 10, "unknown case key 'budget'"),
    (rule(when="      procedure: tender"), 10, "unknown value 'tender'; allowed:"),
    (rule(when="      procedure: {is_a: FastProcedure}"), 10,
     "unknown ontology class 'FastProcedure'; allowed:"),
    (rule(when="      procedure: {is_a: LifeCyclePhase}"), 10,
     "class LifeCyclePhase has no values of procedure"),
    (rule(when="      award_basis: {after: lowest-price}"), 10, "needs ordered values"),
    (rule(when="      sourcing: {lt: 3}"), 10, "lt compares numbers"),
    (rule(when="      procedure: {all_of: [open]}"), 10, "all_of applies to list keys only"),
    (rule(when="      trl: {near: 4}"), 10, "unknown operator 'near'"),
    (rule(when="      fair_return: maybe"), 10, "found 'maybe'; allowed: a boolean value"),
    (rule(clause="CH-9"), 6, "unknown clause id 'CH-9'"),
    (rule(when="      finding: nothing-makes-this"), 10,
     "condition on finding 'nothing-makes-this', but no rule concludes it"),
    (rule(when="      recommendation: {about: REC-2}"), 10,
     "condition on a recommendation about REC-2, but no rule concludes one"),
    (rule(when="      trl: 3\n      procedure: open"), 10, "found several keys"),
    (rule(when="      at_least: 3\n      of: [{trl: 3}, {trl: 4}]"), 10,
     "found 3 of only 2 conditions"),
    (rule(clause="REC-1"), 11, "a challenge finding must cite a challenge clause"),
    (rule(kind="recommendation", clause="CH-1"), 11, "a recommendation must cite a "
                                                    "recommendation clause"),
])
def test_each_rule_problem_names_file_line_and_what_is_allowed(
        tmp_path, rules, expected_line, message):
    found = problems_of(make_kb(tmp_path, theme=rules))
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path / 'kb/rules/theme.yaml'}:{expected_line}:")
    assert message in found[0]


def test_structure_errors_come_from_the_schema_with_their_line(tmp_path):
    bad = rule().replace("    priority: 50\n", "    priority: high\n").replace(
        "    rationale: Because.\n", "")
    found = problems_of(make_kb(tmp_path, theme=bad))
    assert any(":4:" in p and "'rationale' is a required property" in p for p in found)
    assert any(":7:" in p and "priority" in p and "'high' is not of type 'integer'" in p
               for p in found)


def test_duplicate_rule_and_conclusion_ids_across_files_name_both_places(tmp_path):
    found = problems_of(make_kb(tmp_path, a=rule(), b=rule()))
    assert any("b.yaml:4: duplicate rule id 'r1' (first defined at" in p and "a.yaml:4" in p
               for p in found)
    assert any("duplicate conclusion id 'c1'" in p for p in found)


def test_a_cycle_through_conclusions_is_refused(tmp_path):
    rules = (rule(id="r1", conclusion="c1", when="      not: {finding: c2}")
             + rule(id="r2", conclusion="c2", when="      finding: c1"))
    found = problems_of(make_kb(tmp_path, theme=rules))
    assert any("cycle" in p and "r1" in p and "r2" in p for p in found)


@pytest.mark.parametrize("when", [
    "      all: [{trl: {le: 3}}, {trl: {ge: 5}}]",
    "      all: [{trl: {gt: 3}}, {trl: {lt: 4}}]",
    "      all: [{procedure: open}, {not: {procedure: {is_a: RigidProcedure}}}]",
    "      all: [{trl: unknown}, {trl: {le: 4}}]",
    "      all: [{finding: c0}, {not: {finding: c0}}]",
    "      any: [{all: [{award_basis: best-value}, {award_basis: lowest-price}]},"
    " {all: [{fair_return: true}, {fair_return: false}]}]",
])
def test_a_rule_that_can_never_fire_is_refused(tmp_path, when):
    rules = rule(id="r0", conclusion="c0") + rule(when=when)
    found = problems_of(make_kb(tmp_path, theme=rules))
    assert len(found) == 1, found
    assert ":18: rule r1 can never fire" in found[0]


def test_a_rule_resting_only_on_a_dead_rule_is_dead_too(tmp_path):
    rules = (rule(id="r0", conclusion="c0", when="      all: [{trl: 3}, {trl: 4}]")
             + rule(id="r1", conclusion="c1", when="      finding: c0"))
    found = problems_of(make_kb(tmp_path, theme=rules))
    assert [p.split(": ", 2)[1] for p in found] == ["rule r0 can never fire",
                                                    "rule r1 can never fire"]


def test_malformed_yaml_and_empty_rule_files(tmp_path):
    folder = make_kb(tmp_path, good=rule())
    (folder / "rules" / "broken.yaml").write_text("theme: x\nrules: [\n")
    (folder / "rules" / "empty.yaml").write_text("")
    found = problems_of(folder)
    assert any("broken.yaml:3: malformed YAML" in p for p in found)
    assert any("empty.yaml: empty file" in p for p in found)


def test_a_kb_from_another_folder_gives_advice(tmp_path):
    folder = make_kb(tmp_path, one=rule(when="      trl: {le: 4}"))
    advice = KnowledgeBase.load(folder).advise(load_case({"id": "x", "trl": 3}))
    assert [(i.id, i.rule) for i in advice.findings] == [("c1", "r1")]
    assert KnowledgeBase.load(folder).advise(load_case({"id": "x"})).items == ()


def test_cli_kb_check_reports_problems_and_exits_2(tmp_path):
    folder = make_kb(tmp_path, theme=rule(when="      budget: 3"))
    result = subprocess.run([sys.executable, "-m", "innoproc", "kb", "check", "--kb", str(folder)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{folder}/rules/theme.yaml:10: rule r1: unknown case key 'budget'" in result.stderr


def test_the_bundled_kb_passes_its_own_schema_and_checks():
    import json

    import yaml
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json.loads((ROOT / "kb/schema/rules.schema.json")
                                                .read_text()))
    for path in sorted((ROOT / "kb" / "rules").glob("*.yaml")):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path
    result = subprocess.run([sys.executable, "-m", "innoproc", "kb", "check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- codes, names a knowledge engineer can act on, no consequences of earlier errors ----------
@pytest.mark.parametrize("rules, code", [
    (rule(when="      budget: {le: 4}"), "kb/unknown-key"),
    (rule(when="      procedure: tender"), "kb/unknown-value"),
    (rule(when="      procedure: {is_a: FastProcedure}"), "kb/unknown-class"),
    (rule(when="      award_basis: {after: lowest-price}"), "kb/unordered-key"),
    (rule(when="      sourcing: {lt: 3}"), "kb/operator"),
    (rule(when="      trl: {near: 4}"), "kb/unknown-operator"),
    (rule(when="      fair_return: maybe"), "kb/type"),
    (rule(clause="CH-9"), "kb/unknown-clause"),
    (rule(when="      finding: nothing-makes-this"), "kb/no-producer"),
    (rule(when="      trl: 3\n      procedure: open"), "kb/bad-condition"),
    (rule(when="      at_least: 3\n      of: [{trl: 3}, {trl: 4}]"), "kb/never-holds"),
    (rule(clause="REC-1"), "kb/clause-kind"),
])
def test_each_problem_carries_its_stable_code_and_severity(tmp_path, rules, code):
    with pytest.raises(KnowledgeBaseError) as caught:
        KnowledgeBase.load(make_kb(tmp_path, theme=rules))
    (problem,) = caught.value.problems
    assert (problem.code, problem.severity) == (code, "error")
    assert problem.labelled().endswith(f" [error {code}]")


def test_every_code_the_package_uses_is_documented_in_the_kb_readme():
    import re

    used = {
        code
        for path in (ROOT / "engine" / "innoproc").rglob("*.py")
        for code in re.findall(r'"((?:kb|case|input)/[a-z-]+)"', path.read_text())
    } - {"kb/invalid", "case/invalid", "input/invalid"}  # the error classes' own codes
    readme = (ROOT / "kb" / "README.md").read_text()
    assert used and sorted(c for c in used if f"`{c}`" not in readme) == []


@pytest.mark.parametrize("when, hint", [
    ("      awardbasis: lowest-price", "did you mean 'award_basis'?"),
    ("      award_basis: lowest-prize", "did you mean 'lowest-price'?"),
    ("      procedure: {is_a: RigidProcedures}", "did you mean 'RigidProcedure'?"),
    ("      phases: {all_off: [research]}", "did you mean 'all_of'?"),
])
def test_an_unknown_name_close_to_a_known_one_is_suggested(tmp_path, when, hint):
    (found,) = problems_of(make_kb(tmp_path, theme=rule(when=when)))
    assert found.endswith(hint), found


def test_schema_problems_name_the_rule_by_its_id(tmp_path):
    bad = rule(id="prescriptive-spec", body=FINDING_BODY.replace("high", "extreme"))
    (found,) = problems_of(make_kb(tmp_path, theme=bad))
    assert ": rule prescriptive-spec: then.finding.severity: 'extreme' is not one of" in found
    assert "rules.0" not in found


def test_a_refused_rule_does_not_make_its_dependants_report_a_missing_producer(tmp_path):
    refused = rule(id="r1", when="      budget: {le: 4}", conclusion="c1")
    dependant = rule(id="r2", when="      finding: c1", conclusion="c2")
    found = problems_of(make_kb(tmp_path, theme=refused + dependant))
    assert len(found) == 1 and "unknown case key 'budget'" in found[0], found


def test_a_malformed_ontology_extension_is_refused_with_its_file(tmp_path):
    folder = make_kb(tmp_path, theme=rule())
    (folder / "ontology").mkdir()
    (folder / "ontology" / "x.ttl").write_text(
        "@prefix ipo: <https://w3id.org/innoproc/ontology#> .\nipo:A ipo:b \n")
    (found,) = problems_of(folder)
    assert found.startswith(f"{folder / 'ontology' / 'x.ttl'}") and "malformed Turtle" in found

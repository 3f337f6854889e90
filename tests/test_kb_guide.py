"""The knowledge engineer's guide in kb/README.md works as written: its worked example (a value
added to the ontology, a rule, two scenarios) is taken from the README and run, step by step."""

from __future__ import annotations

import re
import shutil

from typer.testing import CliRunner

from innoproc.cli import app

from conftest import ROOT

PREFIXES = """@prefix ipo: <https://w3id.org/innoproc/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def _snippets() -> dict[str, list[str]]:
    guide = (ROOT / "kb" / "README.md").read_text().split("## A worked example", 1)[1]
    guide = guide.split("\n## ", 1)[0]
    found: dict[str, list[str]] = {}
    for language, body in re.findall(r"```(\w+)\n(.*?)```", guide, re.DOTALL):
        lines = body.splitlines()
        indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        found.setdefault(language, []).append("\n".join(line[indent:] for line in lines) + "\n")
    return found


def test_the_worked_example_runs_as_the_guide_says(tmp_path):
    snippets = _snippets()
    (turtle,), (rule, scenarios) = snippets["turtle"], snippets["yaml"]
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "kb" / "rules", kb / "rules")
    (kb / "ontology").mkdir()
    (kb / "ontology" / "contest.ttl").write_text(PREFIXES + turtle)
    (kb / "rules" / "contests.yaml").write_text(
        "theme: contests\ntitle: Design contests\nrules:\n" + rule)
    (kb / "tests").mkdir()
    (kb / "tests" / "procedures.yaml").write_text(scenarios)
    runner = CliRunner()

    check = runner.invoke(app, ["kb", "check", "--kb", str(kb)])
    assert check.exit_code == 0, check.output
    assert "kb/undefined-term" not in check.stderr

    run = runner.invoke(app, ["kb", "test", "--kb", str(kb)])
    assert run.exit_code == 0, run.output
    assert "PASS design contest for an R&D item" in run.stdout
    assert "PASS design contest for a mature item" in run.stdout

"""The command line, driven in-process through typer's CliRunner (a few real subprocess runs of
the installed entry point live in test_advise.py): exit codes, outputs, errors, and a README that
documents every command and option."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from innoproc.cli import app
from innoproc.export import formats

from conftest import CASES, ROOT

RICH_CASE = CASES / "cern-prototype-abnormally-low-bid.yaml"
runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize("fmt", [f.name for f in formats()])
def test_advise_writes_every_registered_format(fmt):
    result = invoke("advise", str(RICH_CASE), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert "cern-prototype-abnormally-low-bid" in result.stdout


def test_advise_json_is_the_api_contract():
    from innoproc import advise

    result = invoke("advise", str(RICH_CASE), "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == advise(RICH_CASE).to_dict()


def test_the_format_choices_are_the_registry():
    result = invoke("advise", "--help")
    assert result.exit_code == 0
    for fmt in formats():
        assert fmt.name in result.stdout


def test_an_unknown_format_exits_2():
    result = invoke("advise", str(RICH_CASE), "--format", "pdf")
    assert result.exit_code == 2


def test_validate_exits_0_on_good_cases_and_2_naming_each_bad_one(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntrl: 12\n")
    good = invoke("validate", str(RICH_CASE))
    assert good.exit_code == 0 and good.stdout.strip() == f"{RICH_CASE}: ok"
    mixed = invoke("validate", str(RICH_CASE), str(bad))
    assert mixed.exit_code == 2
    assert f"{bad}:2: trl: found 12 (integer); allowed: an integer from 1 to 9" in mixed.stderr
    assert "1 of 2 case file(s) do not conform" in mixed.stderr


def test_advise_on_a_bad_case_exits_2_with_one_line_per_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nprocedure: tender\naward_basis: cheapest\n")
    result = invoke("advise", str(bad))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(": ")[1] for line in lines] == ["procedure", "award_basis"]


def test_kb_check_passes_the_bundled_kb_and_counts_rules_files_and_warnings():
    from innoproc.explain import default_kb

    kb = default_kb()
    result = invoke("kb", "check")
    assert result.exit_code == 0
    files = len({r.source for r in kb.rules})
    warnings = [line for line in result.stderr.splitlines() if line.endswith("]")]
    assert all("[warning kb/" in line for line in warnings)
    found = "no problems found" if not warnings else rf"0 error\(s\), {len(warnings)} warning\(s\)"
    assert re.fullmatch(
        rf"{len(kb.rules)} rules in {files} files: {found}; "
        r"\d+ warning\(s\) accepted in checks.yaml \(\d+\.\d\d s\)",
        result.stdout.strip(),
    ), result.stdout


def test_kb_check_labels_each_problem_with_severity_and_code(tmp_path):
    folder = tmp_path / "kb"
    (folder / "rules").mkdir(parents=True)
    (folder / "rules" / "x.yaml").write_text(
        "theme: x\ntitle: X\nrules:\n  - id: r1\n    title: T\n    clauses: [CH-1]\n"
        "    rationale: R.\n    priority: 5\n    when: {awardbasis: lowest-price}\n"
        "    then:\n      finding: {id: f1, kind: challenge, severity: high, summary: S.}\n"
    )
    result = invoke("kb", "check", "--kb", str(folder))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{folder / 'rules' / 'x.yaml'}:9: rule r1: unknown case key 'awardbasis'; allowed: "
        + ", ".join(_keys())
        + "; did you mean 'award_basis'? [error kb/unknown-key]"
    )


def _keys() -> list[str]:
    from innoproc.ontology import bundled_vocabulary

    return list(bundled_vocabulary().keys)


def test_kb_rules_lists_every_rule():
    from innoproc.explain import default_kb

    result = runner.invoke(app, ["kb", "rules"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for rule in default_kb().rules:
        assert rule.id in result.stdout


def test_version_is_the_projects_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout == f"innoproc {project['version']}\n"


def _commands() -> list[tuple[str, Any]]:
    """Every leaf command with its full name (``advise``, ``kb check`` ...)."""
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, command: Any) -> None:
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            found.append((prefix, command))

    walk("", typer.main.get_command(app))
    return found


def test_there_are_commands_to_document():
    assert {name for name, _ in _commands()} >= {"validate", "advise", "kb check", "kb rules"}


@pytest.mark.parametrize("name, command", _commands(), ids=[n for n, _ in _commands()])
def test_every_command_and_option_is_documented_in_the_readme(name, command):
    readme = (ROOT / "README.md").read_text()
    usage = [line for line in readme.splitlines() if re.match(rf"innoproc {name}\b", line)]
    assert usage, f"README shows no usage line for `innoproc {name}`"
    for param in command.params:
        if param.param_type_name == "option" and "--help" not in param.opts:
            long = max(param.opts, key=len)
            assert any(long in line for line in usage), f"`innoproc {name} {long}` undocumented"
    assert (invoke(*name.split(), "--help")).exit_code == 0


def test_readme_shows_the_version_option():
    assert "innoproc --version" in (ROOT / "README.md").read_text()


def test_an_internal_error_is_one_line_and_exit_70(monkeypatch, tmp_path):
    import innoproc.explain.knowledge_base as knowledge_base

    def broken(self, case):
        raise RuntimeError("boom")

    monkeypatch.setattr(knowledge_base.KnowledgeBase, "advise", broken)
    result = runner.invoke(app, ["advise", str(RICH_CASE)])
    assert result.exit_code == 70
    assert result.stderr.strip() == (
        "innoproc: internal error: RuntimeError: boom (set INNOPROC_DEBUG=1 to see the traceback)"
    )


def test_paths_in_messages_are_the_ones_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("c.yaml").write_text("id: c\ntrl: 0\n")
    result = invoke("validate", "c.yaml")
    assert result.exit_code == 2 and result.stderr.startswith("c.yaml:2: trl:")

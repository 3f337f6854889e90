"""``innoproc kb diff``: the review of a KB change, between folders and between real git
revisions, driven in-process through typer's CliRunner.

Every expectation is worked out from the rule that was changed, not copied from output: a rule
whose conclusion no other rule reads changes exactly the items it concludes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from innoproc.cli import app

from conftest import CASES, ROOT, case_files

runner = CliRunner()
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

# `in-kind-sourcing` concludes `manage-in-kind-contribution`, which no other rule reads (neither
# by id nor by clause): changing its condition changes that one item and nothing downstream.
IN_KIND_CONDITION = (
    "      any:\n        - sourcing: in-kind\n        - procedure: in-kind\n"
    "        - additional_sourcing: in-kind\n"
)
IN_HOUSE_CONDITION = "      sourcing: in-house\n"
IN_KIND = "recommendation manage-in-kind-contribution (rule in-kind-sourcing): "
IN_KIND_TITLE = "Manage the in-kind contribution as a procurement"
GIT_CASES = [
    "ess-italian-in-kind.yaml",  # sourcing and procedure in-kind: loses the item
    "cern-hllhc-inner-triplet-in-kind.yaml",  # the same
    "constructed-in-house-low-voltage-supplies.yaml",  # sourcing in-house: gains it
    "cern-lhc-yoke-steel.yaml",  # co-developed, invitation to tender: untouched
]


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["kb", "diff", *args], catch_exceptions=False)


def copy_kb(dest: Path) -> Path:
    """The checkout's KB without its scenario files (whose cases live outside the folder)."""
    shutil.copytree(ROOT / "kb", dest, ignore=shutil.ignore_patterns("tests"))
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name} no longer holds {old!r}: update this test"
    path.write_text(text.replace(old, new))


def report(stdout: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The rules and the cases of a text report: {rule id or case: the lines below it}."""
    rules: dict[str, list[str]] = {}
    cases: dict[str, list[str]] = {}
    section: dict[str, list[str]] | None = None
    entry: list[str] = []
    for line in stdout.splitlines():
        if line.startswith(("Rules:", "Cases:")):
            section = rules if line.startswith("Rules:") else cases
        elif section is None or not line.startswith("  "):
            section = None
        elif not line.startswith("   "):  # a rule or a case
            key = line.split()[1] if section is rules else line.strip()
            entry = section[key] = []
        else:
            entry.append(line.strip())
    return rules, cases


def summary(stdout: str) -> str:
    return stdout.rstrip("\n").splitlines()[-1]


# --- two folders ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bundled KB, and a copy in which `unclear-specification` finds high severity (and a
    rule file gained a comment at its top, which moves its rules without changing them)."""
    base = tmp_path_factory.mktemp("folders")
    old, new = copy_kb(base / "old"), copy_kb(base / "new")
    spec = new / "rules" / "specification.yaml"
    edit(
        spec,
        "        id: unclear-specification\n        kind: challenge\n        severity: medium\n",
        "        id: unclear-specification\n        kind: challenge\n        severity: high\n",
    )
    strategy = new / "rules" / "strategy.yaml"
    strategy.write_text(
        "# a comment moves every rule of this file one line down\n" + strategy.read_text()
    )
    return old, new


def unclear_cases(library: dict[str, Any]) -> set[str]:
    """The library cases the changed rule fires on: its condition is `specification_clarity:
    unclear`, nothing else."""
    return {
        f"cases/{Path(case.source).name}"
        for case in library.values()
        if case.facts.get("specification_clarity") == "unclear"
    }


def test_two_folders_list_the_changed_rule_and_exactly_the_cases_it_changes(
    folders, library, monkeypatch
):
    monkeypatch.chdir(ROOT)  # the default cases: the library of the current repository
    old, new = folders
    expected = unclear_cases(library)
    assert expected, "no library case states an unclear specification: update this test"

    result = invoke(str(old), str(new))

    assert result.exit_code == 0, result.output
    rules, cases = report(result.stdout)
    assert rules == {"unclear-specification": ["severity: medium → high"]}
    assert result.stdout.count("changed  unclear-specification (") == 1
    assert set(cases) == expected
    for lines in cases.values():
        assert lines == [
            "changed     finding unclear-specification (rule unclear-specification): "
            "Specification that does not state the need clearly",
            "severity: medium → high",
        ]
    assert summary(result.stdout) == (
        f"{len(expected)} cases changed of {len(case_files())}; 1 rules changed"
    )


def test_markdown_has_the_summary_and_a_table_of_the_changed_cases(
    folders, library, tmp_path, monkeypatch
):
    monkeypatch.chdir(ROOT)
    old, new = folders
    changed = sorted(unclear_cases(library))[0]
    out = tmp_path / "review.md"

    result = invoke(
        str(old),
        str(new),
        changed,
        "cases/cern-lhc-yoke-steel.yaml",
        "--format",
        "markdown",
        "-o",
        str(out),
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "1 cases changed of 2; 1 rules changed\n"
    lines = out.read_text().splitlines()
    assert lines[0] == f"## Knowledge-base diff: `{old}` → `{new}`"
    assert "**1 cases changed of 2; 1 rules changed**" in lines
    table = lines.index("| case | appeared | disappeared | changed |")
    assert lines[table + 1 : table + 4] == [
        "|---|---|---|---|",
        f"| {changed} |  |  | `unclear-specification` |",
        "",
    ]
    assert "- **changed** `unclear-specification` (" in out.read_text()
    assert "  - severity: `medium` → `high`" in lines


def test_a_condition_rewritten_with_the_same_meaning_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    old, new = copy_kb(tmp_path / "old"), copy_kb(tmp_path / "new")
    edit(
        new / "rules" / "make-or-buy.yaml",
        IN_KIND_CONDITION,
        "      any:\n        - procedure: in-kind\n        - sourcing: in-kind\n"
        "        - additional_sourcing: in-kind\n",
    )

    result = invoke(str(old), str(new), "cases/ess-italian-in-kind.yaml")

    assert result.exit_code == 0, result.output
    rules, cases = report(result.stdout)
    assert rules == {
        "in-kind-sourcing": [
            "condition (rewritten, same meaning: equal normal forms):",
            "- any(sourcing: in-kind; procedure: in-kind; additional_sourcing: in-kind)",
            "+ any(procedure: in-kind; sourcing: in-kind; additional_sourcing: in-kind)",
        ]
    }
    assert cases == {}
    assert summary(result.stdout) == "0 cases changed of 1; 1 rules changed"


def test_scenario_cases_of_the_kb_tests_are_compared_by_default(tmp_path, monkeypatch):
    import innoproc.workbench.diff as diff

    monkeypatch.setattr(diff, "library_folder", lambda: None)  # the scenarios alone
    old, new = copy_kb(tmp_path / "old"), copy_kb(tmp_path / "new")
    edit(new / "rules" / "make-or-buy.yaml", IN_KIND_CONDITION, IN_HOUSE_CONDITION)
    for kb in (old, new):
        (kb / "tests" / "cases").mkdir(parents=True)
        shutil.copy(CASES / "ess-italian-in-kind.yaml", kb / "tests" / "cases")
        (kb / "tests" / "in-kind.yaml").write_text(
            "scenarios:\n"
            "  - name: in-kind\n    case: cases/ess-italian-in-kind.yaml\n    expect: []\n"
            "  - name: in-house draft\n"
            "    case: {id: in-house-draft, sourcing: in-house}\n    expect: []\n"
            "  - name: gone\n    case: cases/no-such-case.yaml\n    expect: []\n"
        )

    result = invoke(str(old), str(new))

    assert result.exit_code == 0, result.output
    _, cases = report(result.stdout)
    assert cases == {
        f"{new}/tests/in-kind.yaml: scenario in-house draft": [
            f"appeared    {IN_KIND}{IN_KIND_TITLE}"
        ],
        f"{new}/tests/cases/ess-italian-in-kind.yaml": [f"disappeared {IN_KIND}{IN_KIND_TITLE}"],
    }
    assert (
        f"  {new}/tests/in-kind.yaml: scenario gone: {new}/tests/cases/no-such-case.yaml: "
        "no such file" in result.stdout.splitlines()
    )
    assert summary(result.stdout) == "2 cases changed of 2; 1 rules changed"


# --- two git revisions ------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.org",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the project's KB and a few cases, committed, then a commit that
    changes `in-kind-sourcing` to fire on in-house work instead of in-kind contributions."""
    repo = tmp_path / "repo"
    copy_kb(repo / "kb")
    (repo / "cases").mkdir()
    for name in GIT_CASES:
        shutil.copy(CASES / name, repo / "cases" / name)
    git(repo, "init", "-q")
    git(repo, "add", "kb", "cases")
    git(repo, "commit", "-q", "-m", "The project's KB")
    edit(repo / "kb" / "rules" / "make-or-buy.yaml", IN_KIND_CONDITION, IN_HOUSE_CONDITION)
    git(repo, "commit", "-q", "-am", "in-kind-sourcing: in-house work instead")
    return repo


@needs_git
def test_two_git_revisions_list_the_items_that_appeared_and_disappeared(repo, monkeypatch):
    monkeypatch.chdir(repo)
    head = git(repo, "rev-parse", "HEAD")

    result = invoke("HEAD~1", "HEAD", *(f"cases/{name}" for name in GIT_CASES))

    assert result.exit_code == 0, result.output
    rules, cases = report(result.stdout)
    assert rules == {
        "in-kind-sourcing": [
            "condition:",
            "- any(sourcing: in-kind; procedure: in-kind; additional_sourcing: in-kind)",
            "+ sourcing: in-house",
        ]
    }
    assert re.search(
        r"changed  in-kind-sourcing \(HEAD:kb/rules/make-or-buy\.yaml:\d+\)", result.stdout
    )
    assert cases == {
        "cases/ess-italian-in-kind.yaml": [f"disappeared {IN_KIND}{IN_KIND_TITLE}"],
        "cases/cern-hllhc-inner-triplet-in-kind.yaml": [f"disappeared {IN_KIND}{IN_KIND_TITLE}"],
        "cases/constructed-in-house-low-voltage-supplies.yaml": [
            f"appeared    {IN_KIND}{IN_KIND_TITLE}"
        ],
    }
    assert summary(result.stdout) == "3 cases changed of 4; 1 rules changed"
    # the repository is as it was: same commit checked out, nothing modified or left behind
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain", "--ignored") == ""


@needs_git
def test_a_revision_compares_with_a_folder(repo, monkeypatch):
    monkeypatch.chdir(repo)
    result = invoke("HEAD", "kb", "cases")
    assert result.exit_code == 0, result.output
    assert summary(result.stdout) == "0 cases changed of 4; 0 rules changed"


@needs_git
def test_a_bad_revision_exits_2_with_one_line(repo, monkeypatch):
    monkeypatch.chdir(repo)
    for bad in ("no-such-branch", "HEAD~9", "--output=x"):
        result = invoke("--", bad, "HEAD", "cases")  # `--`: "--output=x" is an argument
        assert result.exit_code == 2, bad
        assert result.stdout == ""
        assert result.stderr == (
            f"{bad}: not a KB folder, and no such revision in the git repository at {repo}\n"
        )


def test_a_revision_outside_a_git_repository_exits_2_with_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("HEAD~1", str(ROOT / "kb"))
    assert result.exit_code == 2
    assert result.stderr.startswith("HEAD~1: not a KB folder, and ")
    assert len(result.stderr.splitlines()) == 1


@needs_git
def test_problems_of_a_revisions_kb_are_named_by_revision(repo, monkeypatch):
    monkeypatch.chdir(repo)
    edit(
        repo / "kb" / "rules" / "make-or-buy.yaml", IN_HOUSE_CONDITION, "      sorcing: in-house\n"
    )
    git(repo, "commit", "-q", "-am", "A typo")

    result = invoke("HEAD~1", "HEAD", "cases")

    assert result.exit_code == 2
    assert re.match(
        r"HEAD:kb/rules/make-or-buy\.yaml:\d+: rule in-kind-sourcing: unknown case key 'sorcing'",
        result.stderr,
    )


def test_an_unwritable_output_exits_2(folders, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    old, new = folders
    out = tmp_path / "no-such-folder" / "review.md"
    result = invoke(str(old), str(new), "cases/cern-lhc-yoke-steel.yaml", "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{out}: cannot write the report: ")

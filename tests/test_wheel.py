"""A wheel built from the repo carries the ontology and the KB; installed in a fresh virtual
environment and run from a folder outside the checkout, the CLI finds them."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import CASES, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(out), str(ROOT)], check=True)
    (built,) = out.glob("innoproc-*.whl")
    return built


def test_the_wheel_packs_ontology_shapes_and_rules(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "innoproc/data/ontology/innoproc.ttl" in names
    assert "innoproc/data/ontology/shapes.ttl" in names
    assert "innoproc/data/kb/schema/rules.schema.json" in names
    rules = {n for n in names if n.startswith("innoproc/data/kb/rules/")}
    assert len(rules) == len(list((ROOT / "kb" / "rules").glob("*.yaml")))
    assert "innoproc/cli/__init__.py" in names and "innoproc/engine/_experta.py" in names
    templates = "innoproc/export/report/templates/"
    assert {f"{templates}{n}" for n in ("report.html", "report.md", "report.css")} <= names
    queries = {n for n in names if n.startswith("innoproc/data/kb/queries/")}
    assert len(queries) == len(list((ROOT / "kb" / "queries").glob("*.rq")))  # query --list


@pytest.mark.slow
def test_installed_wheel_runs_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    str(wheel)], check=True)
    # Dependencies come from the project's environment, read-only; innoproc itself only from
    # the wheel (a .pth line adds a path but does not run that folder's own .pth files).
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    Path(site.stdout.strip(), "project_deps.pth").write_text(sysconfig.get_paths()["purelib"])
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    case = outside / "case.yaml"
    case.write_text((CASES / "constructed-lowest-price-codev-cryocooler.yaml").read_text())

    where = subprocess.run([str(python), "-c", "import innoproc.ontology.resources as r; "
                            "print(r.ontology_dir()); print(r.kb_dir())"], cwd=outside,
                           capture_output=True, text=True, check=True)
    for line in where.stdout.split():
        assert line.startswith(str(venv)), line  # the packed copy, not the checkout

    result = subprocess.run([str(venv / "bin" / "innoproc"), "advise", "case.yaml", "--format",
                             "json"], cwd=outside, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    advice = json.loads(result.stdout)
    assert advice["case"]["id"] == "constructed-lowest-price-codev-cryocooler"
    assert "CH-5" in {c for item in advice["findings"] for c in item["clauses"]}
    check = subprocess.run([str(venv / "bin" / "innoproc"), "kb", "check"], cwd=outside,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr

    # the report's templates come from the wheel and its graph is drawn with no system package
    # and no virtual environment on PATH: graphviz-pure is found where its package put it
    report = subprocess.run([str(venv / "bin" / "innoproc"), "report", "case.yaml", "-o",
                             "case.html"], cwd=outside, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert report.returncode == 0, report.stderr
    page = (outside / "case.html").read_text()
    assert "constructed-lowest-price-codev-cryocooler" in page and "<svg" in page

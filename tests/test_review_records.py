"""The blind reviews are kept as data: every label names an item the graded advice holds, and
the figures the README reports are the ones the label files give."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

REVIEW = ROOT / "tests" / "review"
ROUNDS = {"baseline": "baseline", "after": "first rewrite", "final": "second",
          "final2": "third", "final3": "final"}
LABELS = ("CORRECT", "REDUNDANT", "WEAK", "WRONG")


def label_files() -> list[Path]:
    return sorted(REVIEW.glob("*/labels-*.yaml"))


@pytest.mark.parametrize("path", label_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_label_names_an_item_of_the_advice_it_grades(path):
    data = yaml.safe_load(path.read_text())
    for case_id, case in data["cases"].items():
        advice = (path.parent / "advice" / f"{case_id}.md").read_text()
        for item in case.get("items") or []:
            assert item["label"] in LABELS, (case_id, item)
            assert f"`{item['id']}`" in advice, (path.name, case_id, item["id"])


@pytest.mark.parametrize("path", label_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_readme_reports_the_figures_of_each_label_file(path):
    data = yaml.safe_load(path.read_text())
    items = [i for case in data["cases"].values() for i in case.get("items") or []]
    per_case = [len(case.get("items") or []) for case in data["cases"].values()]
    share = [round(100 * sum(i["label"] == label for i in items) / len(items)) for label in LABELS]
    row = (f"| {len(items)} | " + " | ".join(f"{p} %" for p in share)
           + f" | {statistics.median(per_case):g} |")
    readme = (ROOT / "README.md").read_text()
    kind = "held-out" if path.stem.endswith("heldout") else "library"
    name = ROUNDS[path.parent.name]
    lines = [line.replace("*", "") for line in readme.splitlines()
             if re.match(rf"\|\s*\**{name}\b", line) and f"| {kind}" in line.replace("*", "")]
    assert len(lines) == 1, (name, kind)
    assert lines[0].endswith(row), (lines[0], row)

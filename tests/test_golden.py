"""Golden advice: for every case of the library, the findings and recommendations expected by
reasoning from the rules and the source (tests/golden/<case>.yaml, reviewed by reading, never
generated from the engine's output). Order is not compared; ids, rules and clauses are."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import case_files

GOLDEN = Path(__file__).resolve().parent / "golden"


def _expected(case_id: str) -> dict:
    path = GOLDEN / f"{case_id}.yaml"
    assert path.is_file(), f"no golden file for {case_id}"
    data = yaml.safe_load(path.read_text())
    assert data["case"] == case_id
    return data


def _as_set(items) -> set[tuple[str, str, tuple[str, ...]]]:
    """Every item concluded, alternatives (listed under the recommendation chosen) included."""
    flat = [i for item in items for i in [item, *item.get("alternatives", [])]]
    return {(i["id"], i["rule"], tuple(i["clauses"])) for i in flat}


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.name)
def test_advice_matches_the_golden_file(path, kb):
    from innoproc import load_case

    case = load_case(path)
    expected = _expected(case.id)
    advice = kb.advise(case).to_dict()
    assert _as_set(advice["findings"]) == _as_set(expected["findings"] or [])
    concluded = advice["recommendations"] + advice["in_place"]
    assert _as_set(concluded) == _as_set(expected["recommendations"] or [])


def test_every_golden_file_belongs_to_a_case():
    from innoproc import load_case

    ids = {load_case(p).id for p in case_files()}
    assert {p.stem for p in GOLDEN.glob("*.yaml")} == ids

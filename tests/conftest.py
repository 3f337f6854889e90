"""Shared fixtures: the checkout's folders, the case library and the bundled knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"
DATA = Path(__file__).resolve().parent / "data"
CASE_SUFFIXES = {".yaml", ".yml", ".json", ".ttl"}


def case_files() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if p.suffix in CASE_SUFFIXES)


@pytest.fixture(scope="session")
def kb():
    from innoproc.explain import default_kb

    return default_kb()


@pytest.fixture(scope="session")
def library():
    """Every case of the library, loaded once: {case id: Case}."""
    from innoproc import load_case

    cases = [load_case(p) for p in case_files()]
    return {c.id: c for c in cases}

"""Shared fixtures: the checkout's folders, the case library and the bundled knowledge base."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# the KB cache of this test session (and of the processes it starts): never the user's own
os.environ.setdefault("INNOPROC_CACHE", tempfile.mkdtemp(prefix="innoproc-test-cache-"))

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


#: test modules whose every case mapping is checked by both paths: the table derived from the
#: shapes (innoproc.case.fast_check) and pySHACL, which must refuse the same inputs with the same
#: problems and accept the rest as the same Case
BOTH_CASE_CHECKS = {"test_loader", "test_hostile_inputs", "test_fuzz", "test_library"}


def load_by_both_checks(original, data, source, lines, vocab, problems=None):
    """``_from_mapping`` run with pySHACL, with the fast check's table, and the quick way (plain
    values first, the table where they do not settle it); the outcomes must be the same (the
    quick one is returned or raised)."""
    import os

    from rdflib.compare import isomorphic

    from innoproc.case.fast_check import form_check
    from innoproc.errors import CaseError

    assert form_check(vocab).supported, form_check(vocab).unsupported
    outcomes = []
    before = os.environ.get("INNOPROC_CASE_CHECK")
    try:
        for mode in ("shacl", "table", "fast"):
            os.environ["INNOPROC_CASE_CHECK"] = mode
            try:
                outcomes.append(original(data, source, lines, vocab, list(problems or [])))
            except CaseError as exc:
                outcomes.append(exc)
    finally:
        if before is None:
            os.environ.pop("INNOPROC_CASE_CHECK", None)
        else:
            os.environ["INNOPROC_CASE_CHECK"] = before
    reference = outcomes[0]
    for fast in outcomes[1:]:
        if isinstance(reference, CaseError) or isinstance(fast, CaseError):
            assert isinstance(reference, CaseError), f"only the fast check refused: {fast.problems}"
            assert isinstance(fast, CaseError), f"only pySHACL refused: {reference.problems}"
            assert [(str(p), p.code) for p in fast.problems] == [
                (str(p), p.code) for p in reference.problems]
            continue
        assert (fast.id, fast.iri, fast.source) == (reference.id, reference.iri, reference.source)
        assert list(fast.facts.items()) == list(reference.facts.items())  # the order too
        assert set(fast.graph) == set(reference.graph) and isomorphic(fast.graph, reference.graph)
        assert fast.graph.identifier == reference.graph.identifier
    if isinstance(outcomes[-1], CaseError):
        raise outcomes[-1]
    return outcomes[-1]


@pytest.fixture(autouse=True, scope="module")
def both_case_checks(request):
    if request.module.__name__.rsplit(".", 1)[-1] not in BOTH_CASE_CHECKS:
        yield
        return
    from functools import partial

    import innoproc.case.loader as loader

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "_from_mapping", partial(load_by_both_checks, loader._from_mapping))
        yield

"""The fast open-facts analysis gives exactly what the plain one gave: the same facts in the same
order, each with the same items it can add or remove and the same witness (the same answers, in
the same order), on every library case and on random cases, with and without facts the
interview was told stay unknown. The plain analysis is kept as ``sensitivity_reference``.

The fast analysis has two ways of trying an answer (propagating the change rule by rule, or
re-running the rules downstream of the key); the bundled KB allows the first, and both are
checked here against the reference.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innoproc.explain.questions import questions_from
from innoproc.rules.sensitivity import Sensitivity, abstract_status
from sensitivity_reference import Sensitivity as Reference
from test_engine import random_cases

from conftest import case_files


def _plain(effects):
    """Everything the analysis returns, order included (witness answers in their order)."""
    return [
        (key, effect.key, sorted(effect.adds), sorted(effect.removes), list(effect.witness.items()))
        for key, effect in effects.items()
    ]


@pytest.fixture(scope="module")
def reference(kb):
    return Reference(kb.rules, kb.vocabulary)


@pytest.fixture(scope="module", params=["propagation", "cones", "cones, every rule tested"])
def fast(kb, request):
    """The analysis as the KB builds it, and forced onto its other path(s)."""
    analysis = Sensitivity(kb.rules, kb.vocabulary)
    if request.param == "propagation":
        assert analysis._incremental  # the bundled KB is stratified and credits no rule apart
    else:
        analysis._incremental = False
    if request.param == "cones, every rule tested":
        analysis._uniform = False
    return analysis


def _same(fast, reference, facts, unknown=()):
    expected = reference.open_facts(facts, unknown)
    assert _plain(fast.open_facts(facts, unknown)) == _plain(expected), (facts.get("id"), unknown)
    return expected


def test_the_fast_analysis_gives_exactly_the_reference_result_on_every_library_case(
    kb, library, fast, reference
):
    assert len(library) == len(case_files())
    listed_somewhere = 0
    for case in [*library.values()]:
        expected = _same(fast, reference, case.facts)
        listed_somewhere += bool(expected)
        # as an interview asks: the first listed facts answered "I don't know"
        keys = list(expected)
        for unknown in (keys[:1], keys[:3], keys[1::2]):
            if unknown:
                _same(fast, reference, case.facts, unknown)
    assert listed_somewhere > len(library) // 2  # the comparison is not between empty results
    _same(fast, reference, {"id": "blank"})
    _same(fast, reference, {"id": "blank"}, ["award_basis", "procedure"])


def test_the_open_questions_are_those_of_the_reference(kb, library, reference):
    for case in library.values():
        expected = questions_from(reference.open_facts(case.facts), kb.rules, kb.vocabulary)
        assert kb.advise(case).open_questions == expected, case.id
        assert [q.witness for q in kb.advise(case).open_questions] == [
            q.witness for q in expected
        ]


@st.composite
def sparse_cases(draw):
    """Random cases, many of them stating only a few facts (so that much is still open)."""
    facts = draw(random_cases())
    keep = draw(st.floats(0, 1))
    names = sorted(k for k in facts if k != "id")
    dropped = draw(st.lists(st.floats(0, 1), min_size=len(names), max_size=len(names)))
    kept = {k: facts[k] for k, d in zip(names, dropped, strict=True) if d < keep}
    return {"id": "random", **kept}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparse_cases(), st.data())
def test_the_fast_analysis_gives_exactly_the_reference_result_on_random_cases(
    kb, fast, reference, facts, data
):
    expected = _same(fast, reference, facts)
    if expected:
        unknown = data.draw(st.lists(st.sampled_from(sorted(expected)), unique=True, max_size=3))
        _same(fast, reference, facts, unknown)


def test_the_compiled_abstraction_is_the_documented_one(kb, library):
    """Each rule's and each conclusion's status over every completion of the case, as the
    analysis computes it (compiled, shared between cases), is :func:`abstract_status`'s."""
    analysis = Sensitivity(kb.rules, kb.vocabulary)
    for facts in [*(case.facts for case in library.values()), {"id": "blank"}]:
        status, undecided = abstract_status(kb.rules, facts)
        for _ in range(2):  # computed, then shared
            by_rule, found = analysis._rule_status(facts)
            assert found == status, facts.get("id")
            assert {rule for rule, value in by_rule.items() if value is None} == undecided

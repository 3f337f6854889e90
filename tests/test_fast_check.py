"""The fast case check (a table derived from the SHACL shapes) against pySHACL, the reference.

Every existing bad-input test of test_loader, test_hostile_inputs, test_fuzz and test_library
already runs each mapping through both paths (conftest.load_by_both_checks). Here: random case
mappings, valid and not, compared the same way; libyaml against the pure-Python YAML reader on
random YAML; and shapes the table cannot derive, which must send cases to pySHACL.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from innoproc import CaseError, load_case
from innoproc.case import loader
from innoproc.case.fast_check import form_check
from innoproc.ontology import Vocabulary, bundled_vocabulary
from innoproc.reading import yaml_lines
from innoproc.reading.yaml_lines import YamlSyntaxError, load_yaml

from conftest import case_files, load_by_both_checks

COMPARE = settings(max_examples=120, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.filter_too_much])


def _both(data: Any, vocab: Vocabulary | None = None) -> None:
    """Load ``data`` by both paths; load_by_both_checks fails the test on any difference."""
    vocab = vocab or bundled_vocabulary()
    try:
        load_by_both_checks(loader._from_mapping, data, "<mapping>", {}, vocab)
    except CaseError:
        pass


def test_the_bundled_shapes_are_derived_whole_one_check_per_key():
    form = form_check(bundled_vocabulary())
    assert form.supported, form.unsupported
    assert [c.key.name for c in form.checks] == list(bundled_vocabulary().keys)
    by_name = {c.key.name: c for c in form.checks}
    assert by_name["id"].min_count == 1 and by_name["id"].whole_pattern is not None
    assert by_name["trl"].max_count == 1 and by_name["phases"].max_count is None
    assert by_name["innovation_incentives"].exclusive_nil is not None


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.name)
def test_every_library_case_loads_to_the_same_case_by_both_paths(path, monkeypatch):
    monkeypatch.setenv("INNOPROC_CASE_CHECK", "shacl")
    slow = load_case(path)
    monkeypatch.setenv("INNOPROC_CASE_CHECK", "fast")
    fast = load_case(path)
    # YAML and JSON take the fast path (the graph is built when asked for); RDF takes pySHACL
    assert callable(fast.graph_or_builder) == (path.suffix != ".ttl")
    assert fast == slow and dict(fast.facts) == dict(slow.facts)
    assert set(fast.graph) == set(slow.graph)


def _valid_or_not(draw: st.DrawFn) -> dict[str, Any]:
    """A case of library keys, most values taken from the library, some wrong in a small way
    (an unknown choice, a number out of range, a list for one value, a duplicate)."""
    values = hostile.library_values()
    case: dict[str, Any] = {"id": draw(st.sampled_from(["c", "case-1", "Bad Id", "x\n", ""]))}
    for name in draw(st.lists(st.sampled_from(sorted(values)), max_size=12, unique=True)):
        good = draw(st.sampled_from(values[name]))
        case[name] = draw(st.one_of(
            st.just(good),
            st.just([good, good]),
            st.just([good]) if not isinstance(good, list) else st.just(good[:1]),
            st.sampled_from([0, -1, 10, 4.5, 1e9, True, "yes", "3", "open", "none", [], {}]),
            st.lists(st.sampled_from(["research", "prizes", 3, None, True]), max_size=3),
        ))
    return case


@COMPARE
@given(case=st.composite(_valid_or_not)())
def test_random_case_mappings_are_judged_alike_by_both_paths(case):
    _both(case)


@COMPARE
@given(case=hostile.case_mappings())
def test_hostile_case_mappings_are_judged_alike_by_both_paths(case):
    try:
        _both(case)
    except Exception as exc:  # the reading policy refuses some before either check
        from innoproc.errors import InputError

        if not isinstance(exc, InputError):
            raise


def _read_yaml(text: str) -> tuple[Any, Any]:
    try:
        data, problems = load_yaml(text, "x.yaml")
    except YamlSyntaxError as exc:
        return "refused", [(str(p), p.code) for p in exc.problems]
    return _with_lines(data), [(str(p), p.code) for p in problems]


def _with_lines(data: Any) -> Any:
    """The data with the line numbers it carries, for comparing two readings."""
    if isinstance(data, dict):
        return ("map", getattr(data, "line", None), sorted(getattr(data, "key_lines", {}).items()),
                [(k, _with_lines(v)) for k, v in data.items()])
    if isinstance(data, list):
        return ("seq", getattr(data, "line", None), getattr(data, "item_lines", None),
                [_with_lines(v) for v in data])
    return (type(data).__name__, data)


def _pure_python(text: str) -> tuple[Any, Any]:
    libyaml = yaml_lines._LIBYAML
    yaml_lines._LIBYAML = None
    try:
        return _read_yaml(text)
    finally:
        yaml_lines._LIBYAML = libyaml


@settings(COMPARE, max_examples=300)
@given(text=hostile.yaml_texts())
def test_libyaml_reads_yaml_as_the_pure_python_reader_does(text):
    assert _read_yaml(text) == _pure_python(text)


def test_libyaml_is_there_and_reads_a_case():
    assert yaml_lines._LIBYAML is not None
    assert yaml_lines._plain_enough("id: x\ntitle: R&D in a*b\n", yaml_lines.current_limits())
    assert not yaml_lines._plain_enough("id: &a x\n", yaml_lines.current_limits())
    assert not yaml_lines._plain_enough("title: *a\n", yaml_lines.current_limits())


@pytest.mark.parametrize("path", [p for p in case_files() if p.suffix == ".yaml"],
                         ids=lambda p: p.name)
def test_library_yaml_reads_alike_by_libyaml_and_pure_python(path):
    text = path.read_text(encoding="utf-8")
    assert _read_yaml(text) == _pure_python(text)


@pytest.mark.parametrize("extra, value", [
    # a second property shape for a key, with a constraint the table does not derive
    ('ipo:ProcurementCaseShape sh:property [ sh:path ipo:title ; sh:name "title" ; '
     "sh:maxLength 5 ] .", {"id": "x", "title": "longer than five"}),
    # a second node shape
    ("ipo:Other a sh:NodeShape ; sh:targetClass ipo:ProcurementCase ; sh:property "
     "[ sh:path ipo:trl ; sh:maxInclusive 3 ] .", {"id": "x", "trl": 5}),
    # a severity the table does not know
    ("ipo:ProcurementCaseShape sh:severity sh:Warning .", {"id": "x", "trl": 12}),
])
def test_shapes_the_table_cannot_derive_send_cases_to_pyshacl(tmp_path, extra, value):
    ext = tmp_path / "extra.shapes.ttl"
    ext.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                   "@prefix ipo: <https://w3id.org/innoproc/ontology#> .\n" + extra + "\n")
    vocab = Vocabulary.load([ext])
    assert not form_check(vocab).supported
    outcome: Any
    try:
        outcome = load_case(value, vocab)
    except CaseError as exc:
        outcome = exc
    # what pySHACL decides, whatever that is, is what the loader says: no check is skipped
    from rdflib import RDF

    from innoproc.case.case_graph import mapping_to_graph
    from innoproc.case.validation import check_graph
    from innoproc.ontology import IPO

    graph, found = mapping_to_graph(value, vocab, "<mapping>", {})
    subject = next(graph.subjects(RDF.type, IPO.ProcurementCase))
    expected = found + check_graph(graph, subject, "<mapping>", vocab, {})
    if expected:
        assert isinstance(outcome, CaseError)
        assert [str(p) for p in outcome.problems] == [str(p) for p in expected]
    else:
        assert not isinstance(outcome, CaseError)


def test_forcing_pyshacl_gives_a_case_whose_graph_is_built_at_once(monkeypatch):
    monkeypatch.setenv("INNOPROC_CASE_CHECK", "shacl")
    case = load_case({"id": "m", "trl": 3})
    assert not callable(case.graph_or_builder)
    monkeypatch.delenv("INNOPROC_CASE_CHECK")
    lazy = load_case({"id": "m", "trl": 3})
    assert callable(lazy.graph_or_builder)
    assert set(lazy.graph) == set(case.graph) and lazy.graph is lazy.graph


def test_a_case_checked_by_the_fast_path_can_be_copied_and_sent_to_another_process():
    import copy
    import pickle

    case = load_case({"id": "m", "trl": 3, "phases": ["research"]})
    for other in (pickle.loads(pickle.dumps(case)), copy.deepcopy(case)):
        assert other == case and other.facts == case.facts
        assert set(other.graph) == set(case.graph)

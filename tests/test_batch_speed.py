"""What the batch's shortcuts must never change.

- The quick YAML reader (``reading/yaml_quick.py``) gives exactly what the full reader gives
  (values, types, line numbers) or declines: on the library, on chosen corner cases and on
  random hostile YAML.
- The remembered per-key outcomes (``case/known_values.py``) give the same Case as checking the
  mapping afresh, and the same problems (they decline and the full check words them); so does
  plain text checked by its key's pattern alone.
- A JSONL line built from the encoded text of each item is the JSON of the contract, byte for
  byte.
- ``innoproc advise FOLDER -f jsonl`` on two workers writes, byte for byte, what advising each
  case file on its own writes, with either engine.
- Building the CLIPS program without clipspy's error router still reports a failing construct
  with CLIPS's own message.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Literal
from typer.testing import CliRunner

import hostile
from innoproc.case import known_values, loader
from innoproc.case.fast_check import form_check
from innoproc.cli import app
from innoproc.errors import CaseError, InputError
from innoproc.ontology import bundled_vocabulary
from innoproc.reading.limits import Limits, current_limits
from innoproc.reading.values import check_structure
from innoproc.reading.yaml_lines import YamlSyntaxError, load_yaml
from innoproc.reading.yaml_quick import read_plain_mapping
from test_fast_check import _valid_or_not, _with_lines

from conftest import case_files

RANDOM = settings(max_examples=150, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.filter_too_much])


def _agrees(text: str, limits: Limits | None = None) -> bool:
    """Whether the quick reader took ``text``; fails the test if it took it otherwise than the
    full reader and the reading policy would."""
    limits = limits or current_limits()
    quick = read_plain_mapping(text, limits)
    if quick is None:
        return False
    data, problems = load_yaml(text, "x.yaml", limits)
    assert problems == []
    check_structure(data, "x.yaml", limits)  # raises if the policy refuses it
    assert _with_lines(quick) == _with_lines(data)
    return True


@pytest.mark.parametrize("path", [p for p in case_files() if p.suffix == ".yaml"],
                         ids=lambda p: p.name)
def test_the_quick_reader_reads_every_library_case_as_the_full_reader_does(path):
    assert _agrees(path.read_text(encoding="utf-8"))


TAKEN = [
    "id: x\n",
    "id: x\ntitle: R&D in a*b, [draft] {v2} 50% @CERN, phase 1\n",
    "id: x\ntitle: 'it''s # not a comment'  # a comment\n",
    'id: x\ntitle: "double # quoted"\n',
    "id: x\ntrl: 4\nestimated_value_eur: 1.2e+7\n",
    "id: x\na: 0x1F\nb: 0o17\nc: 017\nd: 1_000\ne: 1:30\nf: -0.0\ng: .5\nh: 1e3\ni: +12\n",
    "id: x\nn: [0x1F, 0o17, 017, 1_000, 0.0, 1e3, 1.5e+3, 190]\n",
    "id: x\na: ~\nb: null\nc: Null\nd: yes\ne: 'no'\nf: '1:30'\n",
    "id: x\nflags: [yes, No, on, OFF, true, False, null, Null, y, n]\n",
    "id: x\nempty:\nnext: 1\n",
    "id: x\nempty: # nothing here\n",
    "id: x\nphases:\n- development\n- manufacturing\ntrl: 3\n",
    "id: x\nphases:\n  # the first\n  - development   # a comment\n\n  - 'operation'\n",
    "# leading comment\n\nid: x   \n  # an indented comment\nphases: []\nb: [ ]\n",
    "id: x\ndate: 2024-01-01\ntime: 12:30:00\n",
    "id: x\ntitle: café, naïve — ünïcode ✓\n",
    "id: x\ntitle: ends with a colon:x\n",
    "id: x\ntitle: C#, F# and a#b\n",
]

DECLINED_OR_AGREED = [
    "id: x\ntitle: a: b\n", "id: x\ntitle: foo:\n", "id: x\ntitle: foo\n  bar\n",
    "id: x\ntitle: foo\n  # comment\n  bar\n", "id: x\ntitle: 'open\n  quote'\n",
    'id: x\ntitle: "esc\\"aped"\n', "id: x\ntitle: |\n  block\n", "id: x\ntitle: >\n  folded\n",
    "id: &a x\n", "id: *a\n", "id: !!str x\n", "<<: {id: x}\n", "=: x\n", "id: x\n=: y\n",
    "---\nid: x\n", "id: x\n...\n", "%YAML 1.1\n---\nid: x\n", "id: x\nid: y\n",
    "on: x\n", "yes: 1\n", "null: 1\n", "1: x\n", "id: x\n'q': 1\n", "id: x\n\"q\": 1\n",
    "id: x\nphases: [a, [b]]\n", "id: x\nphases: [a,]\n", "id: x\nphases: [a, 'b']\n",
    "id: x\nphases: {a: b}\n", "id: x\nphases: [a] x\n", "id: x\nphases: [a\n  , b]\n",
    "id: x\nphases:\n- a\n  - b\n", "id: x\nphases:\n  - a\n - b\n", "id: x\nphases:\n- - a\n",
    "id: x\nphases:\n- a: b\n", "id: x\nphases:\n-\n", "id: x\nphases:\n- # c\n",
    "id: x\nphases:\n  - a\n    b\n", "id: x\nphases:\n  sub: 1\n", "id: x\n- a\n",
    "id: x\ntitle: - a\n", "id: x\ntitle: -\n", "id: x\ntitle: ? a\n", "id: x\ntitle: :a\n",
    "id:x\n", "id : x\n", "i-d: x\n", "id: x\ttab\n", "id: x\r\ntitle: y\r\n",
    "\ufeffid: x\n", "id: x\ntitle: a\u00a0b\n", "id: x\ntitle: a\u2028b\n", "id: x\x85\n",
    "id: x\ntitle: a\x7fb\n", "id: x\ntrl: .inf\n", "id: x\ntrl: .nan\n", "id: x\ntrl: -.inf\n",
    "id: x\nv: 1e400\n", "id: x\nv: 1.0e+31\n", "id: x\nv: " + "9" * 41 + "\n",
    "id: x\nv: 0b" + "1" * 39 + "\n", "id: x\ntitle: " + "t" * 300 + "\n", "",
    "id: x\nv: " + "9" * 5000 + "\n", "id: x\nv: [" + "9" * 5000 + "]\n",
    "# only a comment\n", "   \n", "[a, b]\n", "just text\n", "id: x\n  \n  # c\n",
    "id: x\ntitle: `tick`\n", "id: x\ntitle: @at\n", "id: x\ntitle: %pc\n", "id: x\ntitle: !t\n",
    "id: x\ntitle: a #b\n  c\n", "id: x\nn: ['1:30', ~, 1:30, -1, .5, +1]\n",
    "id: x\ntitle: 'a' b\n", "id: x\ntitle: 'a'#b\n",
]


@pytest.mark.parametrize("text", TAKEN)
def test_plain_corner_cases_are_read_quickly_and_alike(text):
    assert _agrees(text)


@pytest.mark.parametrize("text", DECLINED_OR_AGREED)
def test_anything_else_is_declined_or_read_alike(text):
    try:
        _agrees(text)
    except (YamlSyntaxError, InputError) as exc:  # the full reader refuses it: so must we
        raise AssertionError(f"taken, but the full reading refuses it: {exc}") from None


def test_a_list_read_before_is_checked_against_the_limits_of_now():
    text = "id: x\nphases: [" + "p" * 40 + ", 123456, b]   # a comment\n"
    again = "id: y\n# another case, the same list on another line\n" + text.split("\n")[1] + "\n"
    assert _agrees(text) and _agrees(again)  # the second reading takes the list read before
    assert read_plain_mapping(again, current_limits())["phases"].item_lines == [3, 3, 3]
    for tight in (dict(max_text_chars=39), dict(max_number_chars=5), dict(max_list_items=2),
                  dict(max_nodes=6)):
        assert read_plain_mapping(again, Limits(**tight)) is None, tight
    assert _agrees("id: z\nphases: []\n") and _agrees("id: w\nphases: []\n")


def test_the_quick_reader_declines_what_breaks_a_limit():
    text = "id: x\ntitle: " + "t" * 50 + "\nphases: [a, b, c]\nv: 123456\nw: 1.5e+20\n"
    assert _agrees(text)
    for tight in (dict(max_text_chars=49), dict(max_list_items=2), dict(max_mapping_keys=4),
                  dict(max_nodes=12), dict(max_number_chars=5), dict(max_exponent=20),
                  dict(max_depth=2)):
        limits = Limits(**tight)
        assert read_plain_mapping(text, limits) is None, tight
        with pytest.raises((YamlSyntaxError, InputError)):
            data, _ = load_yaml(text, "x.yaml", limits)
            check_structure(data, "x.yaml", limits)


@RANDOM
@given(text=hostile.yaml_texts())
def test_random_hostile_yaml_is_declined_or_read_alike(text):
    _agrees(text)


# -- remembered per-key outcomes -----------------------------------------------------------------


def _outcome(data: Any, remembered: bool) -> Any:
    vocab = bundled_vocabulary()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INNOPROC_CASE_CHECK", "table")  # not the plain values first
        if not remembered:
            patch.setattr(known_values, "known_facts", lambda *args: None)
        try:
            case = loader._from_mapping(data, "<m>", {"id": 1}, vocab)
        except CaseError as exc:
            return [(str(p), p.code) for p in exc.problems]
    return (case.id, case.iri, list(case.facts.items()), case.lines, set(case.graph))


@settings(RANDOM, max_examples=200)
@given(data=st.composite(_valid_or_not)())
def test_remembered_outcomes_give_the_case_a_fresh_check_gives(data):
    fresh = _outcome(data, False)
    assert _outcome(data, True) == fresh
    assert _outcome(data, True) == fresh  # now from the table


def test_remembered_outcomes_tell_apart_values_that_compare_equal():
    base = {"id": "c", "organisation": "CERN", "trl": 3}
    seen = []
    for value in (1, 1.0, True, 0, 0.0, -0.0, False, "1"):
        for key in ("estimated_value_eur", "fair_return", "trl"):
            data = {**base, key: value}
            outcome = _outcome(data, True)
            assert outcome == _outcome(data, False), (key, value)
            seen.append(outcome)
    assert any(isinstance(o, tuple) for o in seen) and any(isinstance(o, list) for o in seen)


TEXTS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["c", "case-1", "Bad Id", "x\n", "x\ny", "", " ", "-a", "é", "a\r", "0" * 9]),
)


@settings(RANDOM, max_examples=300)
@given(key=st.sampled_from(["id", "title", "organisation"]), text=TEXTS)
def test_text_checked_by_its_pattern_alone_gives_the_case_a_fresh_check_gives(key, text):
    data = {"id": "c", "organisation": "CERN", key: text}
    fresh = _outcome(data, False)
    assert _outcome(data, True) == fresh
    assert _outcome(data, True) == fresh


def test_only_text_keys_with_no_other_check_are_checked_by_their_pattern_alone(monkeypatch):
    monkeypatch.setenv("INNOPROC_CASE_CHECK", "table")  # the table, not plain values first
    vocab = bundled_vocabulary()
    form = form_check(vocab)
    texts = known_values.text_checks(vocab, form)
    assert {"id", "title"} <= set(texts)
    assert all(vocab.keys[name].kind == "text" for name in texts)
    assert texts["id"][0] is not None and texts["title"] == (None, None)
    # a check the shortcut does not know of (here one more test) keeps the key off the list
    stricter = replace(form, checks=tuple(
        replace(c, tests=(*c.tests, (0, lambda v: False))) if c.key.name == "title" else c
        for c in form.checks
    ))
    assert "title" not in known_values.text_checks(vocab, stricter)
    assert "id" in known_values.text_checks(vocab, stricter)
    # such text is not remembered, and its term is made only when the graph is asked for
    case = loader._from_mapping({"id": "text-only-1", "title": "T 1"}, "<m>", {}, vocab)
    table = vocab.derived("case.known-values", known_values._tables)[current_limits()]
    assert ("title", (str, "T 1")) not in table.outcomes and case.facts["title"] == "T 1"
    assert (case.iri, vocab.keys["title"].prop, Literal("T 1")) in case.graph


def test_the_table_never_holds_more_than_its_bound(monkeypatch):
    monkeypatch.setenv("INNOPROC_CASE_CHECK", "table")  # the table, not plain values first
    vocab = bundled_vocabulary()
    base = {"id": "bound", "organisation": "CERN", "trl": 3}
    loader._from_mapping({**base, "estimated_value_eur": 1000}, "<m>", {}, vocab)
    table = vocab.derived("case.known-values", known_values._tables)[current_limits()]
    monkeypatch.setattr(known_values, "MAX_REMEMBERED", len(table.outcomes) + 2)
    sizes = []
    for i in range(1, 10):
        case = loader._from_mapping({**base, "estimated_value_eur": 1000 + i}, "<m>", {}, vocab)
        assert case.facts["estimated_value_eur"] == 1000 + i and case.facts["trl"] == 3
        sizes.append(len(table.outcomes))
    assert max(sizes) <= known_values.MAX_REMEMBERED and min(sizes) < max(sizes)
    assert ("estimated_value_eur", (int, 1009)) in table.outcomes  # the newest are kept


# -- the batch against one case at a time -------------------------------------------------------


@pytest.mark.parametrize("engine", ["experta", "clips"])
def test_the_batch_writes_what_advising_each_case_alone_writes(tmp_path, engine):
    folder = tmp_path / "library"
    folder.mkdir()
    for path in case_files():
        shutil.copy(path, folder / path.name)
    runner = CliRunner()
    one_by_one = []
    for path in sorted(folder.iterdir()):
        alone = runner.invoke(app, ["advise", str(path), "-f", "jsonl", "--engine", engine,
                                    "--no-questions"])
        assert alone.exit_code == 0, alone.output
        one_by_one.append(alone.stdout)
    batch = runner.invoke(app, ["advise", str(folder), "-f", "jsonl", "--engine", engine,
                                "--no-questions", "-j", "2"])
    assert batch.exit_code == 0, batch.output
    assert "(2 worker(s))" in batch.stderr
    assert batch.stdout == "".join(one_by_one)
    assert batch.stdout.count("\n") == len(case_files())


# -- building CLIPS without the error router -----------------------------------------------------


def test_a_construct_that_fails_to_build_is_reported_with_clips_message(capfd):
    from innoproc.engine._clips import CLIPSError, Environment, build_constructs

    constructs = ["(deftemplate t (slot a))", "(defrule r (t (b 1)) => )"]
    plain = Environment()
    plain.build(constructs[0])
    with pytest.raises(CLIPSError) as as_before:
        plain.build(constructs[1])
    shown_before = capfd.readouterr().err
    with pytest.raises(CLIPSError) as quick:
        build_constructs(Environment(), constructs)
    assert str(quick.value) == str(as_before.value) and "TMPLTDEF1" in str(quick.value)
    assert capfd.readouterr().err == shown_before  # CLIPS shows its message once, as before
    good = Environment()
    build_constructs(good, [constructs[0], "(defrule r (t (a 1)) => )"])
    assert [r.name for r in good._routers.routers()] == ["python-error-router"]
    with pytest.raises(CLIPSError, match="defrule"):
        good.build("(defrule r2 (t (b 1)) => )")  # the router is on again: errors say why


# -- advice items reused across cases ------------------------------------------------------------


def _variants(library) -> list[Any]:
    """The library's cases, and each with one choice key set to each of its other values."""
    from dataclasses import replace

    vocab = bundled_vocabulary()
    cases = list(library.values())
    for case in list(cases)[:6]:
        for key in vocab.keys.values():
            if key.is_choice and not key.multi:
                for value in list(key.values)[:2]:
                    cases.append(replace(case, facts={**case.facts, key.name: value}))
    return cases


@pytest.mark.parametrize("engine", ["experta", "clips"])
def test_items_reused_across_cases_give_the_advice_built_afresh(library, engine):
    import json
    import random

    from innoproc.explain.advice import build_advice
    from innoproc.explain.knowledge_base import KnowledgeBase

    kb = KnowledgeBase.load(engine=engine)
    cases = _variants(library)
    random.Random(11).shuffle(cases)
    known: dict[Any, Any] = {}
    for case in cases:
        firings = kb.backend.run(case.facts)
        args = (case, firings, kb.by_id, kb.fingerprint, kb.vocabulary, kb)
        fresh = build_advice(*args).to_dict()
        reused = build_advice(*args, known_items=known).to_dict()
        assert json.dumps(reused) == json.dumps(fresh)
    assert 0 < len(known) < sum(len(kb.backend.run(c.facts)) for c in cases)


def test_reused_items_keep_the_facts_as_written(library):
    from dataclasses import replace

    from innoproc.explain.knowledge_base import KnowledgeBase

    kb = KnowledgeBase.load()
    case, name = next(
        (c, k) for c in library.values() for item in kb.advise(c).items
        for k, v in item.because.facts if type(v) is int)
    written = []
    for value in (case.facts[name], float(case.facts[name])):
        advice = kb.advise(replace(case, facts={**case.facts, name: value}))
        read = [v for item in advice.items for k, v in item.because.facts if k == name]
        assert read and all(type(v) is type(value) for v in read)
        written.append(read)
    assert written[0] == written[1]  # equal values, yet each advice shows its own


# -- JSONL lines from items encoded once ---------------------------------------------------------


@pytest.mark.parametrize("questions", [False, True])
def test_a_jsonl_line_is_the_json_of_the_contract_byte_for_byte(library, questions, monkeypatch):
    import json
    from dataclasses import replace

    from innoproc.explain.knowledge_base import KnowledgeBase
    from innoproc.export import json_contract

    monkeypatch.setattr(json_contract, "MAX_ITEM_TEXTS", 40)  # the table starts again, too
    kb = KnowledgeBase.load(engine="clips")
    cases = _variants(library)
    # text that looks like the contract's keys stays text
    first = cases[0]
    for title in ('"findings":[]', 'a "in_place":[] "open_questions":[]', "é ✓ \\ \u2028"):
        cases.append(replace(first, facts={**first.facts, "title": title, "organisation": title}))
    lines = 0
    for _ in range(2):  # items encoded afresh, then taken from the table
        for case in cases:
            advice = kb.advise(case)
            expected = json.dumps(advice.to_dict(questions), ensure_ascii=False,
                                  separators=(",", ":")) + "\n"
            assert json_contract.jsonl_line(advice, questions) == expected
            lines += bool(advice.items)
    assert lines and len(json_contract._ITEM_TEXTS) <= 40


# -- fewer looks at each file ---------------------------------------------------------------------


def _odd_folder(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in ("b.yaml", "a.yaml", "B.yaml", "a.yml", "c.json", "d.ttl", "e.txt", "f.YAML",
                 "10.yaml", "9.yaml", "é.yaml", "a b.yaml", ".yaml", "..yaml", "g.yaml.bak"):
        (folder / name).write_text("id: x\n", encoding="utf-8")
    (folder / "sub.yaml").mkdir()
    (folder / "link.yaml").symlink_to(folder / "a.yaml")
    (folder / "dir-link.yaml").symlink_to(folder / "sub.yaml", target_is_directory=True)
    (folder / "gone.yaml").symlink_to(folder / "nothing.yaml")
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    return folder


def test_a_folder_gives_the_case_files_pathlib_finds_in_the_same_order(tmp_path):
    from innoproc.cli.advise import CASE_SUFFIXES, case_paths

    folder = _odd_folder(tmp_path)
    before = sorted(p for p in folder.iterdir() if p.suffix in CASE_SUFFIXES and p.is_file())
    assert case_paths([folder]) == before
    assert {p.name for p in before} >= {"link.yaml", "a.yaml", "..yaml"}
    assert not {p.name for p in before} & {"sub.yaml", "dir-link.yaml", "gone.yaml", "e.txt"}
    assert case_paths([folder / "gone.yaml", folder]) == [folder / "gone.yaml", *before]


def _as_before(path):
    """What the loader said of a path it cannot read, when it asked is_dir() and exists()."""
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except OSError as exc:
        return [(path.name[:200], f"cannot be read ({exc.strerror})", "input/unreadable")]
    if is_dir:
        return [(path.name, "is a folder; expected a case file", "input/not-regular-file")]
    if not exists:
        return [(path.name, "no such file", "input/not-a-file")]
    return None


def test_one_look_at_a_case_file_refuses_what_two_refused(tmp_path):
    folder = _odd_folder(tmp_path)
    (folder / "a.yaml").write_text((folder / "a.yaml").read_text() + "title: T\n")
    paths = [folder / n for n in ("sub.yaml", "dir-link.yaml", "gone.yaml", "loop.yaml",
                                  "nothing.yaml", "a.yaml/x.yaml", "x" * 300 + ".yaml")]
    for path in paths:
        try:
            loader._from_file(path, path.name, bundled_vocabulary(), current_limits())
            refused = None
        except CaseError as exc:
            refused = [(p.source, p.message, p.code) for p in exc.problems]
        expected = _as_before(path)
        assert expected is not None and refused == expected, path.name
    with pytest.raises(CaseError, match="no such file"):
        loader.load_case(str(folder / "nul\0.yaml"))

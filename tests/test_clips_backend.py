"""The CLIPS backend: the same advice, firing for firing, as the experta backend and the reference
semantics; KB text safely quoted into CLIPS; memory and time per case flat over tens of thousands
of cases (clipspy's fact leak worked around); one environment per thread."""

from __future__ import annotations

import inspect
import json
import random
import threading
import time
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from hostile import run_python
from innoproc import ArgumentError, KnowledgeBase
from innoproc.cli import app
from innoproc.engine import _clips, make_backend
from innoproc.engine.clips_backend import ClipsBackend, compile_program
from innoproc.engine.compiler import AdvisorEngine
from innoproc.ontology import bundled_vocabulary
from innoproc.rules import Conclusion, ConclusionTest, FactTest, Not, RuleSpec
from innoproc.rules.model import All, AnyOf, AtLeast, FactOp, leaves
from innoproc.rules.semantics import forward_chain
from test_engine import random_cases

from conftest import CASES


@pytest.fixture(scope="module")
def clips_kb(kb):
    return KnowledgeBase(list(kb.rules), kb.folder, kb.vocabulary, engine="clips")


def _same_everywhere(kb, clips_kb, facts) -> list:
    """Run one case on experta, CLIPS and the reference semantics; the firings, checked equal."""
    experta = kb.backend.run(facts)
    clips = clips_kb.backend.run(facts)
    assert clips == experta, facts
    reference = {cid: rule.id for cid, rule in forward_chain(kb.rules, facts).items()}
    assert {f.conclusion_id: f.rule_id for f in clips} == reference, facts
    return clips


# -- the same advice -----------------------------------------------------------------------
def test_every_library_case_gets_the_same_advice_and_firings_from_both_engines(
    kb, clips_kb, library
):
    firings = []
    for case in library.values():
        firings += _same_everywhere(kb, clips_kb, case.facts)
        assert clips_kb.advise(case).to_dict() == kb.advise(case).to_dict(), case.id
    assert len(firings) > len(library)
    assert any(f.premises for f in firings) and any(f.absent for f in firings)  # chains too


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cases())
def test_random_cases_fire_the_same_rules_with_the_same_reasons(kb, clips_kb, facts):
    _same_everywhere(kb, clips_kb, facts)


def _thresholds(kb) -> dict[str, set[float]]:
    """Per numeric key, the numbers the rules compare it with."""
    found: dict[str, set[float]] = {}
    for rule in kb.rules:
        for test in leaves(rule.when):
            if isinstance(test, FactTest) and test.number is not None:
                found.setdefault(test.key, set()).add(test.number)
    return found


def plain_random_cases(kb, count: int, seed: int) -> list[dict]:
    """Cases drawn with ``random`` (much faster than hypothesis): every key stated with
    probability one half, numbers often on or next to a threshold a rule compares them with,
    sometimes integers past 64 bits or floats."""
    rng = random.Random(seed)
    keys = [k for k in bundled_vocabulary().keys.values() if k.name != "id"]
    thresholds = _thresholds(kb)
    cases = []
    for n in range(count):
        facts: dict = {"id": f"random-{n}"}
        for key in keys:
            if rng.random() < 0.5:
                continue
            if key.kind == "text":
                facts[key.name] = rng.choice(['a "quoted" \\ value', "unknown", "(x)", "é"])
            elif key.is_choice and key.multi:
                values = rng.sample(list(key.values), rng.randint(0 if key.allows_empty else 1, 3))
                facts[key.name] = tuple(sorted(values, key=list(key.values).index))
            elif key.is_choice:
                facts[key.name] = rng.choice(list(key.values))
            elif key.kind == "boolean":
                facts[key.name] = rng.random() < 0.5
            else:
                near = sorted(thresholds.get(key.name, {0.0}))
                low = int(key.minimum or 0)
                high = int(key.maximum) if key.maximum is not None else 10**9
                pick = rng.random()
                if pick < 0.6:
                    value: float = rng.choice(near) + rng.choice([-1, 0, 1])
                    value = int(value) if key.kind == "integer" else value
                    value = min(max(value, low), high)
                elif pick < 0.8:
                    value = rng.randint(low, high)
                elif key.kind == "integer":
                    value = low
                else:
                    value = rng.choice([2**64 + 1, 10**25, rng.uniform(0, 1e9), 0.5])
                facts[key.name] = value
        cases.append(facts)
    return cases


def test_three_thousand_seeded_random_cases_agree(kb, clips_kb):
    for facts in plain_random_cases(kb, 3000, seed=11):
        _same_everywhere(kb, clips_kb, facts)


# -- KB text into CLIPS ----------------------------------------------------------------------
HOSTILE = ('say "hi"', "back\\slash", "(paren) ; comment", "unknown", "?var", "é ünïcode", "")


def _rule(n: int, when, concluded: str, clauses=("CH-1",), priority: int = 50) -> RuleSpec:
    return RuleSpec(
        id=f"r{n}",
        title="t",
        clauses=clauses,
        rationale="",
        priority=priority,
        when=when,
        then=Conclusion(kind="finding", id=concluded, summary="s"),
        ordinal=n,
    )


def _fact(op: FactOp, key: str, values=(), number=None, multi=False) -> FactTest:
    return FactTest(key, op, frozenset(values), number, multi)


def _about(clause: str) -> ConclusionTest:
    return ConclusionTest("finding", about=clause)


def _constructed_rules() -> tuple[RuleSpec, ...]:
    """Rules built straight in the rule model: constants that CLIPS source could trip on (no
    vocabulary admits such values), negations, and premises that several conclusions satisfy,
    so that which one a firing names, and which branch fires, are put to the test."""
    rules = [
        _rule(0, _fact("in", "note", [HOSTILE[0], HOSTILE[1]]), "quoted", ("CH-1", "CH-2")),
        _rule(1, Not(_fact("in", "note", [HOSTILE[3]])), "not-the-word-unknown", ("CH-2",)),
        _rule(2, _fact("in", "tags", [HOSTILE[2], HOSTILE[4]], multi=True), "tagged"),
        _rule(3, _fact("all_of", "tags", [HOSTILE[5], HOSTILE[6]], multi=True), "all-tags"),
        _rule(
            4,
            AnyOf((_fact("unknown", "note"), _fact("ge", "size", number=2.5))),
            "big-or-silent",
            ("CH-2",),
            priority=70,
        ),
        _rule(5, Not(_fact("all_of", "tags", [HOSTILE[0]], multi=True)), "no-quote-tag"),
        _rule(6, _fact("in", "size", [3, 4.5, True]), "exact-size", ("CH-3",), priority=20),
        # the chains: premises with several candidates, several branches, negations
        _rule(7, AtLeast(2, (_about("CH-1"), _about("CH-2"), _about("CH-3"))), "two-clauses"),
        _rule(
            8,
            AnyOf((All((_about("CH-2"), _fact("known", "size"))), _about("CH-3"))),
            "chained",
        ),
        _rule(9, All((_about("CH-1"), Not(ConclusionTest("finding", "chained")))), "unchained"),
    ]
    strata = {"two-clauses": 1, "chained": 1, "unchained": 2}
    return tuple(replace(r, stratum=strata.get(r.then.id, 0)) for r in rules)


def test_constructed_rules_fire_alike_on_clips_experta_and_the_reference():
    rules = _constructed_rules()
    clips, experta = ClipsBackend(rules), make_backend("experta", rules)
    assert 'say \\"hi\\"' in compile_program(rules).source  # escaped into CLIPS text
    rng = random.Random(3)
    chosen = 0
    for n in range(800):
        facts: dict = {"id": str(n)}
        if rng.random() < 0.7:
            facts["note"] = rng.choice(HOSTILE + ("other",))
        if rng.random() < 0.7:
            facts["tags"] = tuple(rng.sample(HOSTILE, rng.randint(0, 3)))
        if rng.random() < 0.7:
            facts["size"] = rng.choice([0, 2, 2.5, 3, 3.0, 4.5, 10**30, True])
        got = clips.run(facts)
        assert got == experta.run(facts), facts
        assert {f.conclusion_id for f in got} == set(forward_chain(rules, facts)), facts
        chosen += any(f.rule_id == "r7" for f in got) and len(got) > 4
    assert chosen > 20  # premises were often chosen among several reached conclusions


def test_what_clips_cannot_run_is_refused_as_a_kb_problem(kb, monkeypatch):
    from innoproc.engine import clips_backend
    from innoproc.errors import KnowledgeBaseError

    infinite = (_rule(0, _fact("lt", "size", number=float("inf")), "x"),)
    with pytest.raises(KnowledgeBaseError) as refused:
        compile_program(infinite)
    assert [p.code for p in refused.value.problems] == ["kb/type"]
    assert "inf is not a finite number" in str(refused.value)

    monkeypatch.setattr(clips_backend, "_SALIENCE_COUNT", 10)
    with pytest.raises(KnowledgeBaseError) as refused:
        compile_program(kb.rules)
    assert [p.code for p in refused.value.problems] == ["kb/engine-limit"]


# -- flat memory and time ----------------------------------------------------------------------
def _mem_used(backend: ClipsBackend) -> int:
    return int(backend.runner().env.eval("(mem-used)"))


def _flat_over(backend: ClipsBackend, cases: list[dict], total: int, batch: int) -> None:
    """Run ``total`` cases; the first and last ``batch`` must cost about the same time and CLIPS
    must hold no more memory at the end than after the first batch.

    The time is this thread's CPU time (time spent waiting for a core while other work runs is
    not counted), the least over ten slices of each batch: a leak makes every case slower (the
    clipspy leak: twentyfold after 40,000), which that still shows, while a busy machine does not.
    """
    run = backend.run

    def timed_batch(start: int) -> float:
        slices = []
        for s in range(start, start + batch, batch // 10):
            t0 = time.thread_time()
            for n in range(s, s + batch // 10):
                run(cases[n % len(cases)])
            slices.append(time.thread_time() - t0)
        return min(slices)

    first = timed_batch(0)
    memory = _mem_used(backend)
    for n in range(batch, total - batch):
        run(cases[n % len(cases)])
    last = timed_batch(total - batch)
    assert _mem_used(backend) - memory < 256 * 1024, "CLIPS memory grows with every case"
    assert last < 2 * first, f"per-case time grew from {first:.4f} s to {last:.4f} s per slice"


def test_memory_and_time_per_case_stay_flat_over_fifty_thousand_cases(kb, library):
    cases = [c.facts for c in library.values()] + plain_random_cases(kb, 500, seed=5)
    _flat_over(ClipsBackend(kb.rules), cases, total=50_000, batch=5_000)


def test_without_the_workaround_clipspy_facts_would_leak():
    """The leak detector works: clipspy's own ``Template.assert_fact`` leaks without the shim's
    ``Fact.__del__`` and does not with it."""

    def growth() -> int:
        env = _clips.Environment()
        env.build("(deftemplate t (slot a) (multislot b))")
        template = env.find_template("t")
        for n in range(200):
            env.reset()
            template.assert_fact(a=n, b=("x", "y"))
        start = int(env.eval("(mem-used)"))
        for n in range(3000):
            env.reset()
            template.assert_fact(a=n, b=("x", "y"))
        return int(env.eval("(mem-used)")) - start

    assert _clips.RELEASE_PATCHED
    patched = growth()
    fact = _clips.clips.facts.Fact
    fact.__del__, saved = _clips.ORIGINAL_FACT_DEL, fact.__del__
    try:
        unpatched = growth()
    finally:
        fact.__del__ = saved
    assert patched < 16 * 1024
    assert unpatched > 3000 * 50


# -- threads ---------------------------------------------------------------------------------
def test_eight_threads_on_one_fresh_backend_agree_with_a_sequential_run(kb, library):
    backend = make_backend("clips", kb.rules)  # nothing compiled yet: the threads race to it
    cases = [c.facts for c in library.values()]
    expected = [kb.backend.run(f) for f in cases]
    barrier = threading.Barrier(8)
    results: list = [None] * 8
    errors: list[str] = []

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = [backend.run(f) for f in cases[i:] + cases[:i]]
        except BaseException as exc:  # reported below
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    for i, got in enumerate(results):
        assert got == expected[i:] + expected[:i], f"thread {i}"


COLD_THREADS = r"""
import json, sys, threading
from pathlib import Path

import innoproc  # clips is not imported yet: the threads race to import, compile and build

cases = [innoproc.load_case(p) for p in sorted(Path(sys.argv[1]).glob("*.yaml"))]
clips = innoproc.KnowledgeBase.load(engine="clips")
barrier = threading.Barrier(8)
results, errors = [None] * 8, []

def work(i):
    try:
        barrier.wait(timeout=60)
        results[i] = [clips.advise(c).to_dict() for c in cases[i:] + cases[:i]]
    except BaseException as exc:
        errors.append(f"thread {i}: {type(exc).__name__}: {exc}")

threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=120)
experta = [innoproc.advise(c).to_dict() for c in cases]
same = all(r == experta[i:] + experta[:i] for i, r in enumerate(results))
print(json.dumps({"errors": errors, "hung": sum(t.is_alive() for t in threads), "same": same}))
"""


def test_eight_threads_of_a_fresh_process_advise_on_clips_as_experta_does():
    result = run_python(COLD_THREADS, str(CASES), timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "errors": [],
        "hung": 0,
        "same": True,
    }


# -- the experta backend's reset ---------------------------------------------------------------
def test_experta_reset_lists_startup_facts_once_and_does_what_experta_own_reset_does(
    kb, library, monkeypatch
):
    from innoproc.engine._experta import KnowledgeEngine

    engine = kb.backend.engine_class()
    assert engine.get_deffacts() == KnowledgeEngine.get_deffacts(engine)
    fresh = type("Fresh", (AdvisorEngine,), {})()
    calls = []
    real = inspect.getmembers
    monkeypatch.setattr(inspect, "getmembers", lambda *a, **k: calls.append(1) or real(*a, **k))
    ours = []
    for case in library.values():
        ours.append((engine.run_case(case.facts), [dict(f) for f in engine.facts.values()]))
    assert calls == []  # listed before, when the class first reset
    fresh.run_case({"id": "x"})
    fresh.run_case({"id": "y"})
    assert len(calls) == 1
    monkeypatch.undo()

    cls = kb.backend.engine_class
    monkeypatch.setattr(cls, "reset", KnowledgeEngine.reset)
    monkeypatch.setattr(cls, "get_deffacts", KnowledgeEngine.get_deffacts)
    plain = cls()
    theirs = []
    for case in library.values():
        theirs.append((plain.run_case(case.facts), [dict(f) for f in plain.facts.values()]))
    assert ours == theirs


# -- the command line ------------------------------------------------------------------------
def test_advise_with_engine_clips_prints_what_experta_prints():
    runner = CliRunner()
    case = str(CASES / "cern-prototype-abnormally-low-bid.yaml")
    clips = runner.invoke(app, ["advise", case, "--format", "json", "--engine", "clips"])
    experta = runner.invoke(app, ["advise", case, "--format", "json"])
    assert clips.exit_code == 0 and experta.exit_code == 0, clips.output
    assert clips.stdout == experta.stdout


def test_an_unknown_engine_on_the_command_line_is_one_line_with_a_suggestion():
    result = CliRunner().invoke(app, ["advise", str(CASES), "--engine", "clip"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "innoproc: engine: found str 'clip'; wanted one of experta, clips; did you mean 'clips'?"
    ]


def test_kb_test_runs_the_scenarios_on_clips():
    result = CliRunner().invoke(app, ["kb", "test", "--engine", "clips", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failed"] == 0 and report["passed"] == len(report["scenarios"]) > 10


def test_a_wrong_engine_argument_is_refused_in_the_api():
    with pytest.raises(ArgumentError, match="did you mean 'clips'"):
        KnowledgeBase.load(engine="clipz")

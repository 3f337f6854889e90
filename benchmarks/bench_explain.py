"""Measure the explanations: open questions per case, and the what-if searches for the smallest
changes (to avoid each item a case gets; to obtain each recommendation clause it lacks).

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_explain.py``). It prints numbers
and asserts nothing. The searches stop at their time limit (1.5 s by default) and say how far they
got; this prints how many finished (every set up to the largest size tried) within it.

Open questions are measured three ways: cold, in a fresh process with the KB cache warm (the
import of the analysis, building it for the KB, the first case; Python's garbage collector may
run a full collection of the whole process during any of them, which is timed and shown apart,
as it would run wherever the process happened to be); warm, per library case
(each case's median of five runs, wall and CPU time); and on an empty case. The plain analysis
the tests hold the fast one to (``tests/sensitivity_reference.py``) is timed beside it, on the
same cases in the same run. Wall times move with the machine's load (printed); CPU times less.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "cases" / "cern-lhc-yoke-steel.yaml"


def _cold() -> None:
    """In a fresh process: the first open questions of one case, split into its parts."""
    from innoproc.explain import default_kb

    kb = default_kb()
    advice = kb.advise(CASE)
    full_gc: list[float] = []  # seconds spent in each full collection
    started: list[float] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started.append(time.perf_counter())
            else:
                full_gc.append(time.perf_counter() - started.pop())

    gc.callbacks.append(watch)
    marks = [(time.perf_counter(), time.process_time(), 0.0, 0)]

    def mark() -> None:
        marks.append((time.perf_counter(), time.process_time(), sum(full_gc), len(full_gc)))

    import innoproc.explain.questions
    import innoproc.rules.sensitivity  # noqa: F401

    mark()
    assert kb.sensitivity is not None
    mark()
    count = len(advice.open_questions)
    mark()
    gc.callbacks.remove(watch)
    parts = {}
    names = ("import", "set-up", "first case")
    for name, a, b in zip(names, marks[:-1], marks[1:], strict=True):
        parts[name] = {
            "wall_ms": (b[0] - a[0]) * 1000,
            "cpu_ms": (b[1] - a[1]) * 1000,
            "gc_ms": (b[2] - a[2]) * 1000,
            "full_gc": b[3] - a[3],
        }
    print(json.dumps({"parts": parts, "questions": count}))


def _stats(values: list[float]) -> str:
    ordered = sorted(values)
    return (
        f"median {statistics.median(ordered):.2f}, p95 {ordered[int(0.95 * len(ordered))]:.2f}, "
        f"max {ordered[-1]:.2f}"
    )


def _per_case(
    run: Callable[[Any], object],
    cases: list[Any],
    repeats: int,
    prepare: Callable[[Any], Any] = lambda case: case,
) -> tuple[list[float], list[float]]:
    """Each case's median wall and CPU time over ``repeats`` runs of ``run`` (on what
    ``prepare`` makes of the case, untimed), in ms."""
    wall, cpu = [], []
    for case in cases:
        w, c = [], []
        for _ in range(repeats):
            ready = prepare(case)
            t0, c0 = time.perf_counter(), time.process_time()
            run(ready)
            w.append(time.perf_counter() - t0)
            c.append(time.process_time() - c0)
        wall.append(statistics.median(w) * 1000)
        cpu.append(statistics.median(c) * 1000)
    return wall, cpu


def questions(cold_runs: int, repeats: int) -> None:
    from innoproc.explain import default_kb

    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    kb = default_kb()
    kb.advise(CASE)  # the KB cache is warm for the fresh processes
    results = []
    for _ in range(cold_runs):
        out = subprocess.run(
            [sys.executable, __file__, "--cold"], capture_output=True, text=True, check=True
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"open questions, cold (fresh process, KB cache warm), median of {cold_runs}:")
    for part in ("import", "set-up", "first case"):
        runs = [r["parts"][part] for r in results]
        collected = [r["gc_ms"] for r in runs if r["full_gc"]]
        print(
            f"  {part}: {statistics.median(r['wall_ms'] for r in runs):.1f} ms wall, "
            f"{statistics.median(r['cpu_ms'] for r in runs):.1f} ms CPU; without Python's full "
            f"garbage collections {statistics.median(r['wall_ms'] - r['gc_ms'] for r in runs):.1f}"
            f" ms wall"
            + (
                f" (one ran here in {len(collected)} of {cold_runs} runs, "
                f"{statistics.median(collected):.0f} ms)"
                if collected
                else ""
            )
        )

    paths = sorted(p for p in (ROOT / "cases").iterdir() if p.suffix == ".yaml")
    cases = [kb.load_case(p) for p in paths]
    assert kb.advise({"id": "warm-up"}).open_questions is not None  # warm the analysis
    counts = [len(kb.advise(case).open_questions) for case in cases]
    def open_questions(advice: Any) -> object:
        return advice.open_questions  # worked out on first use: a fresh advice each run

    wall, cpu = _per_case(open_questions, cases, repeats, kb.advise)
    blank = kb.load_case({"id": "blank"})
    blank_wall, blank_cpu = _per_case(open_questions, [blank], repeats, kb.advise)
    print(
        f"open questions, warm, on {len(cases)} library cases (median {statistics.median(counts)}"
        f" questions a case), each case's median of {repeats} runs, in ms:"
    )
    print(f"  wall: {_stats(wall)}")
    print(f"  CPU:  {_stats(cpu)}")
    print(
        f"  empty case ({len(kb.advise(blank).open_questions)} questions): "
        f"{blank_wall[0]:.1f} ms wall, {blank_cpu[0]:.1f} ms CPU"
    )
    # the analysis shares each rule's outcome between cases that agree on what the rule reads;
    # a case that shares none with those before it (the memory cleared before each run):
    settled = kb.sensitivity._settled

    def first_seen(case: Any) -> Any:
        advice = kb.advise(case)
        settled.clear()
        return advice

    new_wall, new_cpu = _per_case(open_questions, cases, repeats, first_seen)
    print(f"  a case sharing no rule outcome with the cases before it: CPU {_stats(new_cpu)}")
    print(f"  (the advice itself on the same cases, {kb.engine_name}: ", end="")
    adv_wall, _ = _per_case(lambda case: kb.backend.run(case.facts), cases, repeats)
    print(f"median {statistics.median(adv_wall):.2f} ms)")

    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from sensitivity_reference import Sensitivity as Reference
    except ImportError:
        return
    reference = Reference(kb.rules, kb.vocabulary)
    rwall, rcpu = _per_case(lambda case: reference.open_facts(case.facts), cases, repeats)
    rblank, _ = _per_case(lambda case: reference.open_facts(case.facts), [blank], repeats)
    fast = kb.sensitivity
    fwall, fcpu = _per_case(lambda case: fast.open_facts(case.facts), cases, repeats)
    print(
        "  the analysis alone (open_facts), against the plain one it replaced, same run: "
        f"median {statistics.median(fcpu):.2f} ms CPU against {statistics.median(rcpu):.2f} "
        f"(x{statistics.median(rcpu) / statistics.median(fcpu):.1f}), "
        f"max {max(fcpu):.2f} against {max(rcpu):.2f}, empty case {rblank[0]:.1f} ms wall before"
    )


def searches() -> None:
    from innoproc.explain import default_kb

    kb = default_kb()
    paths = sorted(p for p in (ROOT / "cases").iterdir() if p.suffix == ".yaml")
    advices = [kb.advise(p) for p in paths]
    recommendation_clauses = [c for c in kb.vocabulary.clauses if c.startswith("REC-")]
    search_s: list[float] = []
    per_case: list[float] = []
    finished = total = found = 0
    for advice in advices:
        requests = [(i.id, "avoid") for i in advice.items]
        cited = {c for i in advice.items for c in i.clauses}
        requests += [(c, "obtain") for c in recommendation_clauses if c not in cited]
        case_time = 0.0
        for target, goal in requests:
            t0 = time.perf_counter()
            search = advice.search_changes(target, goal)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - t0
            search_s.append(elapsed)
            case_time = max(case_time, elapsed)
            total += 1
            result = search.result
            found += bool(result.solutions) or result.already
            finished += result.complete_up_to >= result.max_size or len(result.solutions) >= 5
        per_case.append(case_time)
    print(
        f"what-if searches: {total} on {len(advices)} cases; "
        f"median {statistics.median(search_s) * 1000:.0f} ms, "
        f"p95 {sorted(search_s)[int(0.95 * len(search_s))] * 1000:.0f} ms, "
        f"max {max(search_s) * 1000:.0f} ms"
    )
    print(
        f"  answered (at least one change set found, or nothing to change): {found} of {total}; "
        f"searched to the end or to five answers: {finished} of {total}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes to time")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each case")
    parser.add_argument("--no-searches", action="store_true", help="skip the what-if searches")
    args = parser.parse_args()
    if args.cold:
        _cold()
        return
    questions(args.cold_runs, args.repeats)
    if not args.no_searches:
        searches()


if __name__ == "__main__":
    main()

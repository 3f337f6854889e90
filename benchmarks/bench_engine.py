"""Measure the engine: build time, per-case latency, two-core throughput and CLI wall time.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_engine.py``). It prints numbers
and asserts nothing: speed is tracked here, not in the tests. Cases are the library in
``cases/``, loaded and validated once; the timed part is what a warm advisor does per case:
run the engine and build the advice with its justification.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = {".yaml", ".yml", ".json", ".ttl"}


def library_facts() -> list:
    from innoproc import load_case

    return [load_case(p) for p in sorted((ROOT / "cases").iterdir()) if p.suffix in SUFFIXES]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_build() -> dict[str, float]:
    from innoproc.explain import KnowledgeBase
    from innoproc.ontology import bundled_vocabulary as vocabulary

    t0 = time.perf_counter()
    vocabulary()
    t1 = time.perf_counter()
    kb = KnowledgeBase.load()
    t2 = time.perf_counter()
    engine_class = kb.backend.engine_class  # type: ignore[attr-defined]
    t3 = time.perf_counter()
    engine_class()
    t4 = time.perf_counter()
    return {"ontology read (ms)": (t1 - t0) * 1e3, "KB parse + check (ms)": (t2 - t1) * 1e3,
            "compile to experta (ms)": (t3 - t2) * 1e3, "RETE build (ms)": (t4 - t3) * 1e3,
            "rules": len(kb.rules), "experta rules (DNF branches)":
            len(engine_class.get_rules(engine_class()))}


def bench_latency(cases, rounds: int) -> dict[str, float]:
    from innoproc.explain import build_advice, default_kb

    kb = default_kb()
    engine = kb.backend.engine()
    for case in cases:  # warm up
        build_advice(case, engine.run_case(dict(case.facts)), kb.by_id, kb.fingerprint,
                     kb.vocabulary)
    times = []
    for _ in range(rounds):
        for case in cases:
            t0 = time.perf_counter()
            firings = engine.run_case(dict(case.facts))
            build_advice(case, firings, kb.by_id, kb.fingerprint, kb.vocabulary)
            times.append((time.perf_counter() - t0) * 1e3)
    return {"cases timed": len(times), "median (ms)": statistics.median(times),
            "p95 (ms)": percentile(times, 0.95), "max (ms)": max(times)}


def _worker(chunk: list[int]) -> int:
    from innoproc.explain import build_advice, default_kb

    kb = default_kb()
    engine = kb.backend.engine()
    cases = _WORKER_CASES
    for index in chunk:
        case = cases[index % len(cases)]
        build_advice(case, engine.run_case(dict(case.facts)), kb.by_id, kb.fingerprint,
                     kb.vocabulary)
    return len(chunk)


_WORKER_CASES: list = []


def _init_worker() -> None:
    global _WORKER_CASES
    from innoproc.explain import default_kb

    _WORKER_CASES = library_facts()
    default_kb().backend.prepare()  # build the engine before the clock starts


def bench_throughput(total: int, workers: int) -> dict[str, float]:
    chunks = [list(range(i, total, workers * 50))for i in range(workers * 50)]
    with ProcessPoolExecutor(workers, initializer=_init_worker) as pool:
        list(pool.map(_worker, [[0]] * workers))  # make sure every worker is initialised
        t0 = time.perf_counter()
        done = sum(pool.map(_worker, chunks))
        elapsed = time.perf_counter() - t0
    return {"cases": done, "workers": workers, "seconds": elapsed, "cases/s": done / elapsed}


def bench_cli(case: Path, runs: int) -> dict[str, float]:
    exe = Path(sys.executable).with_name("innoproc")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "advise", str(case), "--format", "json"], check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return {"runs": runs, "median (s)": statistics.median(times), "min (s)": min(times)}


def bench_start(runs: int) -> dict[str, float]:
    """Wall time of ``innoproc --version`` and ``--help``: start-up alone."""
    exe = Path(sys.executable).with_name("innoproc")
    numbers: dict[str, float] = {}
    for flag in ("--version", "--help"):
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([str(exe), flag], check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
        numbers[f"innoproc {flag}, median (s)"] = statistics.median(times)
    return numbers


def show(title: str, numbers: dict[str, float]) -> None:
    print(f"\n{title}")
    for name, value in numbers.items():
        print(f"  {name:32s} {value:10.3f}" if isinstance(value, float) else
              f"  {name:32s} {value:10d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases for the throughput run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=30, help="passes over the library for "
                                                                "latency")
    args = parser.parse_args()
    print(f"innoproc engine benchmark — Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    show("Engine build (cold, one process)", bench_build())
    cases = library_facts()
    show(f"Per case, warm, justification recorded ({len(cases)} library cases x "
         f"{args.rounds})", bench_latency(cases, args.rounds))
    show(f"Throughput: library replicated to {args.cases} cases",
         bench_throughput(args.cases, args.workers))
    show("CLI: innoproc advise on one case (wall time, includes start-up)",
         bench_cli(ROOT / "cases" / "eso-elt-dome-main-structure.yaml", 5))
    show("CLI start-up (wall time)", bench_start(5))


if __name__ == "__main__":
    main()

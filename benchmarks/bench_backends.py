"""Compare the engines on the same cases in one run: experta, CLIPS, the reference interpreter and
bare CLIPS.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_backends.py``). It prints numbers
and asserts nothing. Every case of the library is loaded once; then, round after round, each
engine runs every case, so that whatever else the machine does falls on all engines alike. Timed
per warm case, on one core:

- ``advise``: the backend's firings plus the advice built from them (what ``KnowledgeBase.advise``
  does once the case is loaded), for experta and for CLIPS;
- ``backend.run``: the firings with their justification (rule, facts read, premises, absent);
- the reference interpreter, :func:`innoproc.rules.semantics.forward_chain` (conclusions only);
- bare CLIPS: reset, assert the case, run, read back which rules fired (no justification).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = {".yaml", ".yml", ".json", ".ttl"}


def measure(engines: dict[str, Callable[[Any], object]], cases: list[Any], rounds: int) -> dict:
    """Median and mean seconds per case of each engine, its rounds interleaved with the others'."""
    times: dict[str, list[float]] = {name: [] for name in engines}
    clock = time.perf_counter
    for run in engines.values():  # warm up: every engine built and every path taken once
        for case in cases:
            run(case)
    order = list(engines.items())
    for _ in range(rounds):
        order.reverse()  # no engine always runs right after the same other one
        for name, run in order:
            spent = times[name]
            for case in cases:
                t0 = clock()
                run(case)
                spent.append(clock() - t0)
    return {name: (statistics.median(t), statistics.fmean(t)) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="passes over the library")
    args = parser.parse_args()

    from innoproc import KnowledgeBase, load_case
    from innoproc.explain import build_advice
    from innoproc.rules.semantics import forward_chain

    cases = [load_case(p) for p in sorted((ROOT / "cases").iterdir()) if p.suffix in SUFFIXES]
    experta = KnowledgeBase.load()
    clips = KnowledgeBase.load(engine="clips")
    runner = clips.backend.runner()  # type: ignore[attr-defined]
    rules = experta.rules

    def advise(kb: KnowledgeBase) -> Callable[[Any], object]:
        run, by_id, fingerprint, vocab = kb.backend.run, kb.by_id, kb.fingerprint, kb.vocabulary
        return lambda case: build_advice(case, run(case.facts), by_id, fingerprint, vocab)

    engines: dict[str, Callable[[Any], object]] = {
        "experta advise": advise(experta),
        "CLIPS advise": advise(clips),
        "experta backend.run": lambda case: experta.backend.run(case.facts),
        "CLIPS backend.run": lambda case: runner.run(case.facts),
        "reference forward_chain": lambda case: forward_chain(rules, case.facts),
        "bare CLIPS (no justification)": lambda case: runner.fired(case.facts),
    }
    numbers = measure(engines, cases, args.rounds)
    print(
        f"innoproc engines side by side — Python {sys.version.split()[0]}, one core, "
        f"{len(cases)} library cases x {args.rounds} rounds, warm"
    )
    base = numbers["CLIPS backend.run"][0]
    print(f"\n  {'engine':32s} {'median ms':>10s} {'mean ms':>9s} {'cases/s':>9s} {'x CLIPS':>8s}")
    for name, (median, mean) in numbers.items():
        print(
            f"  {name:32s} {median * 1e3:10.3f} {mean * 1e3:9.3f} {1 / median:9.0f} "
            f"{median / base:8.2f}"
        )
    ratio = numbers["experta advise"][0] / numbers["CLIPS advise"][0]
    print(f"\n  CLIPS advise is {ratio:.1f}x faster than experta advise (medians)")


if __name__ == "__main__":
    main()

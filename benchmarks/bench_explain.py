"""Measure the explanations: open questions per case, and the what-if searches for the smallest
changes (to avoid each item a case gets; to obtain each recommendation clause it lacks).

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_explain.py``). It prints numbers
and asserts nothing. The searches stop at their time limit (1.5 s by default) and say how far they
got; this prints how many finished (every set up to the largest size tried) within it.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    from innoproc.explain import default_kb

    kb = default_kb()
    paths = sorted(p for p in (ROOT / "cases").iterdir() if p.suffix == ".yaml")
    advices = [kb.advise(p) for p in paths]
    assert kb.advise({"id": "warm-up"}).open_questions is not None  # warm the analysis
    question_ms, counts = [], []
    for advice in advices:
        fresh = kb.advise(advice.case)
        t0 = time.perf_counter()
        counts.append(len(fresh.open_questions))
        question_ms.append((time.perf_counter() - t0) * 1000)
    blank = kb.advise({"id": "blank"})
    t0 = time.perf_counter()
    blank_count = len(blank.open_questions)
    blank_ms = (time.perf_counter() - t0) * 1000
    print(
        f"open questions on {len(advices)} library cases: "
        f"median {statistics.median(question_ms):.1f} ms, max {max(question_ms):.1f} ms; "
        f"median {statistics.median(counts)} questions per case"
    )
    print(f"open questions on an empty case: {blank_count} questions in {blank_ms:.1f} ms")

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


if __name__ == "__main__":
    main()

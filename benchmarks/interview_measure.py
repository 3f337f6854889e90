"""Measure the interview on every library case: questions asked against keys the case states.

For each case in ``cases/``, an interview starts from only the case's ``id`` and answers every
question from the case file (a key the file leaves out is answered "I don't know"), until the
interview is settled. It prints, per case, the questions asked, how many were answered "I don't
know", the keys the case states (``id`` left out), whether the final advice has exactly the
items that ``advise`` gives on the full case, and the CPU time of the interview (case checks
and analysis, not the advice on the full case); then totals, medians and maxima. Exit status 1 if
any case's advice differs. Run it with ``make interview-measure``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from innoproc.explain import Interview, default_kb

ROOT = Path(__file__).resolve().parent.parent
CASE_SUFFIXES = (".yaml", ".yml", ".json", ".ttl")


def run_case(path: Path) -> dict[str, object]:
    kb = default_kb()
    full = kb.load_case(path)
    expected = sorted(i.id for i in kb.advise(full).all_items())
    stated = {k: v for k, v in full.facts.items() if k != "id"}
    started = time.process_time()
    interview = Interview({"id": full.id}, kb=kb)
    asked: list[str] = []
    while (question := interview.next_question()) is not None:
        asked.append(question.key)
        interview.answer(question.key, stated.get(question.key))
    seconds = time.process_time() - started
    got = sorted(i.id for i in interview.advice.all_items())
    return {
        "case": full.id,
        "asked": len(asked),
        "unknown": sum(1 for k in asked if k not in stated),
        "stated": len(stated),
        "same": got == expected,
        "missing": sorted(set(expected) - set(got)),
        "extra": sorted(set(got) - set(expected)),
        "seconds": seconds,
        "keys": asked,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=ROOT / "cases")
    parser.add_argument("--keys", action="store_true", help="list the keys asked for each case")
    args = parser.parse_args()
    paths = sorted(p for p in args.cases.iterdir() if p.suffix in CASE_SUFFIXES)
    rows = [run_case(p) for p in paths]
    print(f"{'case':48} {'asked':>5} {'unknown':>7} {'stated':>6}  same  cpu s")
    for row in rows:
        print(
            f"{row['case']!s:48} {row['asked']:>5} {row['unknown']:>7} {row['stated']:>6}  "
            f"{'yes' if row['same'] else 'NO':4} {row['seconds']:>8.2f}"
        )
        if not row["same"]:
            print(f"    missing {row['missing']}  extra {row['extra']}")
        if args.keys:
            print("    " + ", ".join(row["keys"]))  # type: ignore[arg-type]
    asked = [int(r["asked"]) for r in rows]  # type: ignore[call-overload]
    stated = [int(r["stated"]) for r in rows]  # type: ignore[call-overload]
    unknown = [int(r["unknown"]) for r in rows]  # type: ignore[call-overload]
    seconds = [float(r["seconds"]) for r in rows]  # type: ignore[arg-type]
    same = sum(1 for r in rows if r["same"])
    print()
    print(f"cases: {len(rows)}; final advice equal to the full case's advice: {same}/{len(rows)}")
    print(
        f"questions asked: total {sum(asked)}, median {statistics.median(asked):g}, "
        f"max {max(asked)} (answered 'I don't know': total {sum(unknown)})"
    )
    answered = [a - u for a, u in zip(asked, unknown, strict=True)]
    print(
        f"answered from the case file: total {sum(answered)}, median "
        f"{statistics.median(answered):g}, max {max(answered)}"
    )
    print(
        f"keys stated by the cases (id left out): total {sum(stated)}, "
        f"median {statistics.median(stated):g}, max {max(stated)}"
    )
    print(
        f"asked / stated: {sum(asked) / sum(stated):.0%}; answered / stated: "
        f"{sum(answered) / sum(stated):.0%}; CPU seconds per interview: median "
        f"{statistics.median(seconds):.2f}, max {max(seconds):.2f}, total {sum(seconds):.1f}"
    )
    return 0 if same == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())

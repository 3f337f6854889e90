"""Measure ``innoproc report``: the layout of the justification graph, rendering, sizes, wall time.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_report.py``). It prints numbers
and asserts nothing. Per library case it times the advice with its open questions (what the
report needs beyond the advice), the Graphviz layout (a separate process: the program found
first, Debian's ``dot`` or ``graphviz-pure``), and the HTML and Markdown rendering; then the
command's wall time on one case.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = {".yaml", ".yml", ".json", ".ttl"}


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"median {statistics.median(ordered):8.3f}  p95 {p95:8.3f}  max {ordered[-1]:8.3f}"
    )


def main() -> None:
    from innoproc.explain import default_kb
    from innoproc.export.report import find_programs, gather, justification_dot, layout
    from innoproc.export.report.render import render_html, render_markdown

    kb = default_kb()
    paths = [p for p in sorted((ROOT / "cases").iterdir()) if p.suffix in SUFFIXES]
    cases = [kb.load_case(p) for p in paths]
    programs = find_programs()
    print(f"innoproc report benchmark — Python {sys.version.split()[0]}, {len(cases)} cases, "
          f"layout programs: {', '.join(Path(p).name for p in programs) or 'none'}")
    advise, questions, lay, html, md, html_bytes, nodes = [], [], [], [], [], [], []
    for case in cases:
        t0 = time.perf_counter()
        advice = kb.advise(case)
        t1 = time.perf_counter()
        advice.open_questions  # noqa: B018 (computed once, cached on the advice)
        t2 = time.perf_counter()
        advise.append((t1 - t0) * 1000)
        questions.append((t2 - t1) * 1000)
        dot = justification_dot(advice)
        if dot is not None:
            t0 = time.perf_counter()
            layout(dot, programs)
            lay.append((time.perf_counter() - t0) * 1000)
            nodes.append(dot.count(" [label="))
        content = gather(advice, programs)
        t0 = time.perf_counter()
        page = render_html(content)
        html.append((time.perf_counter() - t0) * 1000)
        html_bytes.append(len(page.encode("utf-8")) / 1000)
        t0 = time.perf_counter()
        render_markdown(gather(advice, graph=False))
        md.append((time.perf_counter() - t0) * 1000)
    print(f"\nper case, ms (graph for the {len(lay)} cases with items)")
    print(f"  advice (engine + justification)  {_summary(advise)}")
    print(f"  open questions                   {_summary(questions)}")
    print(f"  graph layout (separate process)  {_summary(lay)}")
    print(f"  HTML rendering                   {_summary(html)}")
    print(f"  Markdown rendering               {_summary(md)}")
    print(f"\nHTML report size, kB               {_summary(html_bytes)}")
    print(f"graph nodes                        {_summary([float(n) for n in nodes])}")

    case = ROOT / "cases" / "cern-prototype-abnormally-low-bid.yaml"
    command = Path(sys.executable).parent / "innoproc"
    print(f"\nCLI on {case.name}, s, median of 5: wall time / CPU time (user + system)")
    with tempfile.TemporaryDirectory() as folder:
        for name, args in (
            ("innoproc advise", ["advise", str(case)]),
            ("innoproc report -o FILE.html", ["report", str(case), "-o", f"{folder}/r.html"]),
            ("innoproc report -o FILE.md", ["report", str(case), "-o", f"{folder}/r.md"]),
        ):
            walls, cpus = [], []
            for _ in range(5):
                before, t0 = os.times(), time.perf_counter()
                subprocess.run([str(command), *args], check=True, capture_output=True)
                after = os.times()
                walls.append(time.perf_counter() - t0)
                cpus.append(
                    after.children_user + after.children_system
                    - before.children_user - before.children_system
                )
            print(f"  {name:32s} {statistics.median(walls):6.2f} / "
                  f"{statistics.median(cpus):6.2f}")


if __name__ == "__main__":
    main()

"""Measure case loading, CLI start-up and batch throughput end to end.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_loading.py``). It prints numbers
and asserts nothing. Three parts:

- case loading: ``load_case`` on the library's YAML cases and on the same cases written as JSON,
  checked on plain values (the default), by the fast check's table alone
  (``INNOPROC_CASE_CHECK=table``) and by pySHACL (``INNOPROC_CASE_CHECK=shacl``);
- CLI start: ``innoproc --version``, ``--help`` and ``advise CASE`` (text with its open
  questions, the default; and with ``--no-questions``) with the caches warm, and without them
  (cold: no KB cache, no vocabulary cache), wall and CPU time of a fresh process;
- batch: ``innoproc advise FOLDER -f jsonl`` on a few thousand YAML cases (the library's cases
  under new ids and titles), CLIPS and experta, with and without the open questions, on 1 and
  2 workers: reading, checking, advising and writing, end to end in a new process; then the
  same batch in this process once the KB is loaded, with the CPU time of the parent and of the
  workers per case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"
INNOPROC = [sys.executable, "-m", "innoproc"]


def _median_ms(action, paths: list[Path], rounds: int) -> tuple[float, float, float]:
    """Median and p95 wall time per call, and the mean CPU time per call (less sensitive to other
    load on the machine)."""
    for path in paths:  # warm up
        action(path)
    times = []
    cpu = time.process_time()
    for _ in range(rounds):
        for path in paths:
            t0 = time.perf_counter()
            action(path)
            times.append((time.perf_counter() - t0) * 1e3)
    cpu_ms = (time.process_time() - cpu) * 1e3 / len(times)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], cpu_ms


def bench_loading(rounds: int, folder: Path) -> dict[str, str]:
    from innoproc import load_case
    from innoproc.reading.yaml_lines import load_yaml

    yaml_cases = sorted(CASES.glob("*.yaml"))
    json_cases = []
    for path in yaml_cases:
        data, _ = load_yaml(path.read_text(encoding="utf-8"), str(path))
        target = folder / (path.stem + ".json")
        target.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        json_cases.append(target)
    figures = {}
    labels = {"fast": "plain values, then the table", "table": "the table (fast check)",
              "shacl": "pySHACL"}
    for mode, label in labels.items():
        os.environ["INNOPROC_CASE_CHECK"] = mode
        for name, paths in (("YAML", yaml_cases), ("JSON", json_cases)):
            median, p95, cpu = _median_ms(load_case, paths, rounds if mode != "shacl" else 2)
            figures[f"load_case {name}, {label}: median / p95 (CPU)"] = (
                f"{median:.2f} / {p95:.2f} ms ({cpu:.2f} ms)")
    os.environ.pop("INNOPROC_CASE_CHECK", None)
    return figures


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wall(args: list[str], env: dict[str, str], repeat: int, prepare=None) -> str:
    """Median wall time of a fresh process, and its median CPU time."""
    times, cpu = [], []
    for _ in range(repeat):
        if prepare is not None:
            prepare()
        t0, c0 = time.perf_counter(), _children_cpu()
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        times.append(time.perf_counter() - t0)
        cpu.append(_children_cpu() - c0)
    return f"{statistics.median(times):.2f} s (CPU {statistics.median(cpu):.2f} s)"


def bench_cli(repeat: int, folder: Path) -> dict[str, str]:
    cache = folder / "cache"
    env = {**os.environ, "INNOPROC_CACHE": str(cache)}
    case = str(CASES / "cern-lhc-yoke-steel.yaml")

    def no_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    figures = {
        "innoproc advise CASE, no KB or vocabulary cache (cold)":
            _wall([*INNOPROC, "advise", case], env, repeat, no_cache),
    }
    subprocess.run([*INNOPROC, "advise", case], env=env, capture_output=True, check=False)
    return {
        "innoproc --version": _wall([*INNOPROC, "--version"], env, repeat),
        "innoproc --help": _wall([*INNOPROC, "--help"], env, repeat),
        **figures,
        "innoproc advise CASE (with open questions), caches warm":
            _wall([*INNOPROC, "advise", case], env, repeat),
        "innoproc advise CASE --no-questions, caches warm":
            _wall([*INNOPROC, "advise", case, "--no-questions"], env, repeat),
    }


def make_batch(folder: Path, count: int) -> Path:
    """``count`` YAML cases: the library's YAML cases in turn, each under an id and a title of
    its own (as in a real batch, where no two cases share them)."""
    batch = folder / "batch"
    batch.mkdir()
    sources = [p.read_text(encoding="utf-8") for p in sorted(CASES.glob("*.yaml"))]
    for i in range(count):
        text = sources[i % len(sources)]
        lines = []
        for line in text.splitlines():
            if line.startswith("id:"):
                line = f"id: batch-{i:06d}"
            elif line.startswith("title:"):
                line = f"title: {line[6:].split(' #')[0].strip()} (batch copy {i})"
            lines.append(line)
        (batch / f"case-{i:06d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return batch


#: the batch runs measured: engine, open questions or not, workers
BATCH_RUNS = [(engine, questions, workers) for engine in ("clips", "experta")
              for questions in (False, True) for workers in (1, 2)]


def bench_batch(count: int, folder: Path, runs=BATCH_RUNS) -> dict[str, str]:
    """End to end, as a user runs it: ``innoproc advise FOLDER -f jsonl`` in a new process,
    start-up included; wall time and CPU time (the command and its workers)."""
    batch = folder / "batch"
    if not batch.exists():
        make_batch(folder, count)
    env = {**os.environ, "INNOPROC_CACHE": str(folder / "cache")}
    # the KB cache filled first, so that no run pays for checking the KB
    subprocess.run([*INNOPROC, "advise", str(CASES / "cern-lhc-yoke-steel.yaml")], env=env,
                   capture_output=True, check=False)
    figures = {}
    for engine, questions, workers in runs:
        out = folder / f"out-{engine}-{questions}-{workers}.jsonl"
        args = [*INNOPROC, "advise", str(batch), "-f", "jsonl", "--engine", engine,
                "-j", str(workers)] + ([] if questions else ["--no-questions"])
        t0, c0 = time.perf_counter(), _children_cpu()
        with out.open("w") as sink:
            result = subprocess.run(args, env=env, stdout=sink, stderr=subprocess.PIPE,
                                    text=True, check=False)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
        written = sum(1 for _ in out.open())
        label = f"{engine}, {'with' if questions else 'no'} questions, {workers} worker(s)"
        figures[label] = (
            f"{count / wall:,.0f} cases/s ({wall:.2f} s; CPU {cpu:.2f} s = "
            f"{1e3 * cpu / count:.2f} ms a case; {written:,} written, exit {result.returncode})")
    return figures


def _forget_values_read(kb) -> None:
    """Empty what the earlier runs left in this process's tables of lines, values and key
    outcomes already read, so that each run starts as a new process would (forked workers
    inherit them)."""
    from innoproc.case import known_values
    from innoproc.reading import yaml_quick

    for table in (yaml_quick._LINES, yaml_quick._RESOLVED, yaml_quick._KEYS):
        table.clear()
    kb.vocabulary.derived("case.known-values", known_values._tables).clear()


def bench_batch_phase(count: int, folder: Path, runs=BATCH_RUNS) -> dict[str, str]:
    """The batch alone, in this process, once the KB is loaded: the rate of reading, checking,
    advising and rendering, and the CPU it takes here (the parent) and in the workers."""
    from functools import partial

    from innoproc.cli.advise import _render, case_paths
    from innoproc.explain.batch import advise_files
    from innoproc.explain.knowledge_base import KnowledgeBase
    from innoproc.export import ExportOptions

    batch = folder / "batch"
    if not batch.exists():
        make_batch(folder, count)
    paths = case_paths([batch])
    figures = {}
    for engine, questions, workers in runs:
        kb = KnowledgeBase.load(engine=engine)
        _forget_values_read(kb)
        render = partial(_render, "jsonl", ExportOptions(questions=questions))
        t0, p0, c0 = time.perf_counter(), time.process_time(), _children_cpu()
        written = sum(1 for o in advise_files(paths, kb, render, workers=workers) if o.rendered)
        wall = time.perf_counter() - t0
        parent, children = time.process_time() - p0, _children_cpu() - c0
        label = f"{engine}, {'with' if questions else 'no'} questions, {workers} worker(s)"
        figures[label] = (
            f"{len(paths) / wall:,.0f} cases/s ({wall:.2f} s); CPU a case: parent "
            f"{1e3 * parent / len(paths):.3f} ms, workers {1e3 * children / len(paths):.3f} ms "
            f"({written:,} written)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the library")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each CLI command")
    parser.add_argument("--batch", type=int, default=3010, help="cases in the batch")
    parser.add_argument("--parts", default="loading,cli,batch",
                        help="what to measure, of loading, cli and batch (comma-separated)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    # an installed innoproc runs from its compiled bytecode; a shell that forbids writing it
    # would make every start compile the package again (0.1-0.3 s), which no user pays
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} (other load slows wall times; CPU times less so)")
    with tempfile.TemporaryDirectory(prefix="innoproc-bench-") as temporary:
        folder = Path(temporary)
        os.environ["INNOPROC_CACHE"] = str(folder / "cache")
        measures = [
            ("loading", "Case loading (library cases)", lambda: bench_loading(args.rounds, folder)),
            ("cli", "CLI start, wall time (median)", lambda: bench_cli(args.repeat, folder)),
            ("batch", f"Batch of {args.batch:,} YAML cases, `advise FOLDER -f jsonl`, end to end "
             "(a new process, start-up included)", lambda: bench_batch(args.batch, folder)),
            ("batch", "The same batch once the KB is loaded (advise_files in this process)",
             lambda: bench_batch_phase(args.batch, folder)),
        ]
        for part, title, measure in measures:
            if part not in parts:
                continue
            print(f"\n{title}")
            for name, value in measure().items():
                print(f"  {name:<58} {value}")
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

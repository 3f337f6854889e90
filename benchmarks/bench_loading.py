"""Measure case loading, CLI start-up and batch throughput end to end.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_loading.py``). It prints numbers
and asserts nothing. Three parts:

- case loading: ``load_case`` on the library's YAML cases and on the same cases written as JSON,
  by the fast check (the table derived from the shapes) and by pySHACL
  (``INNOPROC_CASE_CHECK=shacl``);
- CLI start: ``innoproc --version``, ``--help`` and ``advise CASE`` (text with its open
  questions, the default; and with ``--no-questions``) with the caches warm, and without them
  (cold: no KB cache, no vocabulary cache), wall and CPU time of a fresh process;
- batch: ``innoproc advise FOLDER -f jsonl`` on a few thousand YAML cases (the library's cases
  under new ids) with 1 and 2 workers: reading, checking, advising and writing, end to end.
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
    for mode in ("fast", "shacl"):
        os.environ["INNOPROC_CASE_CHECK"] = mode
        for name, paths in (("YAML", yaml_cases), ("JSON", json_cases)):
            median, p95, cpu = _median_ms(load_case, paths, rounds if mode == "fast" else 2)
            label = "fast check" if mode == "fast" else "pySHACL"
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
    """``count`` YAML cases: the library's YAML cases in turn, each under an id of its own."""
    batch = folder / "batch"
    batch.mkdir()
    sources = [p.read_text(encoding="utf-8") for p in sorted(CASES.glob("*.yaml"))]
    for i in range(count):
        text = sources[i % len(sources)]
        lines = text.splitlines()
        lines = [f"id: batch-{i:06d}" if line.startswith("id:") else line for line in lines]
        (batch / f"case-{i:06d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return batch


def bench_batch(count: int, folder: Path) -> dict[str, str]:
    batch = make_batch(folder, count)
    env = {**os.environ, "INNOPROC_CACHE": str(folder / "cache")}
    subprocess.run([*INNOPROC, "--version"], env=env, capture_output=True, check=False)
    figures = {}
    for workers in (1, 2):
        out = folder / f"out-{workers}.jsonl"
        t0, c0 = time.perf_counter(), _children_cpu()
        with out.open("w") as sink:
            result = subprocess.run([*INNOPROC, "advise", str(batch), "-f", "jsonl", "-j",
                                     str(workers)], env=env, stdout=sink,
                                    stderr=subprocess.PIPE, text=True, check=False)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
        written = sum(1 for _ in out.open())
        figures[f"batch of {count:,} YAML cases, {workers} worker(s), end to end"] = (
            f"{count / wall:,.0f} cases/s ({wall:.1f} s, CPU {cpu:.1f} s = "
            f"{count / cpu:,.0f} cases per CPU-second; {written:,} advices written, "
            f"exit {result.returncode})")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the library")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each CLI command")
    parser.add_argument("--batch", type=int, default=3000, help="cases in the batch")
    parser.add_argument("--parts", default="loading,cli,batch",
                        help="what to measure, of loading, cli and batch (comma-separated)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} (other load slows wall times; CPU times less so)")
    with tempfile.TemporaryDirectory(prefix="innoproc-bench-") as temporary:
        folder = Path(temporary)
        for part, title, measure in (
            ("loading", "Case loading (library cases)", lambda: bench_loading(args.rounds, folder)),
            ("cli", "CLI start, wall time (median)", lambda: bench_cli(args.repeat, folder)),
            ("batch", "Batch throughput", lambda: bench_batch(args.batch, folder)),
        ):
            if part not in parts:
                continue
            figures = measure()
            print(f"\n{title}")
            for name, value in figures.items():
                print(f"  {name:<58} {value}")


if __name__ == "__main__":
    main()

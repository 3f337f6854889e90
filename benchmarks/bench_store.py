"""Measure the case library store: load rate, size on disk and saved-query latency.

Run with ``make bench-store`` (or ``.venv/bin/python benchmarks/bench_store.py --sizes 1000``).
It prints numbers and asserts nothing. For each size it draws a synthetic library from the case
form's value sets (every value a key of the vocabulary allows; each key stated with some
probability, as real cases leave many unknown), writes the cases as YAML files, then times what
``innoproc store add`` does: validate each case, advise on it with the real engine on every core,
and write case and advice in transactions of 64 cases into a fresh embedded store. Then each
saved query of ``kb/queries/`` runs ``--rounds`` times (typical parameters where a query needs
them to mean anything) and its p50 and p95 are printed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ORGANISATIONS = ["CERN", "ESO", "ESS", "F4E", "ITER", "SKAO", "EMBL", "ESRF", "XFEL", "FAIR"]


def synthetic_case(n: int, rng: random.Random, vocab) -> dict:
    """One case: each key of the form stated with probability 0.6, a value from its value set."""
    case: dict = {"id": f"synthetic-{n:06}"}
    for name, key in vocab.keys.items():
        if name == "id" or rng.random() > 0.6:
            continue
        if name == "title":
            case[name] = f"Synthetic case {n}"
        elif name == "organisation":
            case[name] = rng.choice(ORGANISATIONS)
        elif key.is_choice:
            values = sorted(key.values)
            if key.multi:
                case[name] = rng.sample(values, rng.randint(1, min(3, len(values))))
            else:
                case[name] = rng.choice(values)
        elif key.kind == "boolean":
            case[name] = rng.random() < 0.5
        elif key.kind in ("integer", "number"):
            low = int(key.minimum) if key.minimum is not None else 1
            high = int(key.maximum) if key.maximum is not None else 10**9
            if name == "estimated_value_eur":
                case[name] = rng.randint(50_000, 400_000_000)
            elif name == "operational_lifetime_years":
                case[name] = rng.randint(1, 40)
            else:
                case[name] = rng.randint(low, high)
    return case


def write_library(folder: Path, size: int, seed: int) -> list[str]:
    from innoproc.ontology import bundled_vocabulary

    vocab = bundled_vocabulary()
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(size):
        path = folder / f"synthetic-{n:06}.yaml"
        path.write_text(yaml.safe_dump(synthetic_case(n, rng, vocab), sort_keys=False))
        paths.append(str(path))
    return paths


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load(store_dir: Path, paths: list[str], workers: int) -> dict[str, float]:
    from innoproc.explain import default_kb
    from innoproc.store.batch import advise_many
    from innoproc.store.library import open_store, put_cases, put_knowledge

    kb = default_kb()
    _ = kb.backend  # build the engine before the clock starts, as a warm process has it
    store = open_store(store_dir)
    put_knowledge(store, kb)
    stored = failed = 0
    advise_time = write_time = 0.0
    t0 = time.perf_counter()
    mark = t0
    for outcomes in advise_many(kb, paths, workers, 64):
        now = time.perf_counter()
        advise_time += now - mark
        ready = [o.stored for o in outcomes if o.stored is not None]
        put_cases(store, ready)
        mark = time.perf_counter()
        write_time += mark - now
        stored += len(ready)
        failed += len(outcomes) - len(ready)
    total = time.perf_counter() - t0
    store.close()
    return {
        "cases stored": stored,
        "cases refused by validation": failed,
        "load time (s)": total,
        "load rate incl. validation + advice (cases/s)": stored / total,
        "of which waiting for advice (s)": advise_time,
        "of which writing to the store (s)": write_time,
        "write rate alone (cases/s)": stored / write_time if write_time else float("nan"),
    }


def typical_params(store) -> dict[str, list[str]]:
    """Parameters that make the parameterised queries mean something on this library."""
    from innoproc.store.protocol import Rows

    found = store.query(
        "PREFIX ipo: <https://w3id.org/innoproc/ontology#> "
        "PREFIX prov: <http://www.w3.org/ns/prov#> "
        "SELECT ?id ?item WHERE { ?i ipo:forCase ?c ; ipo:adviceId ?item ; "
        "prov:wasDerivedFrom ?p . ?p ipo:adviceId ?x . ?c ipo:caseId ?id } LIMIT 1"
    )
    assert isinstance(found, Rows)
    params = {"chain-behind-item": []}
    if found.rows:
        case_id, item = found.rows[0]
        params["chain-behind-item"] = [f"case={case_id.value}", f"item={item.value}"]
    return params


def time_queries(store_dir: Path, rounds: int) -> list[tuple[str, str, float, float, int]]:
    from innoproc.store.library import open_store
    from innoproc.store.protocol import Rows, Triples
    from innoproc.store.queries import parse_params, saved_queries

    store = open_store(store_dir)
    params = typical_params(store)
    rows = []
    for saved in saved_queries(ROOT / "kb" / "queries"):
        variants = [("", [])]
        if saved.name in params:
            variants = [(" ".join(params[saved.name]), params[saved.name])]
        elif saved.parameters:
            example = {"organisation": "organisation=CERN", "challenge": "challenge=CH-3",
                       "class": "class=ipo:InnovationProcurementProcedure",
                       "severity": "severity=ipo:HighSeverity", "key": "key=trl",
                       "clause": "clause=REC-1",
                       "recommendation": "recommendation=use-performance-specification"}
            first = example.get(saved.parameters[0].name)
            if first:
                variants.append((first, [first]))
        for label, given in variants:
            bindings = parse_params(given, saved.parameters)
            times = []
            answer = 0
            for _ in range(rounds):
                t0 = time.perf_counter()
                result = store.query(saved.text, bindings)
                times.append((time.perf_counter() - t0) * 1e3)
                answer = (len(result.rows) if isinstance(result, Rows) else
                          len(result.triples) if isinstance(result, Triples) else 1)
            rows.append((saved.name, label, statistics.median(times), percentile(times, 0.95),
                         answer))
    store.close()
    return rows


def print_queries(store_dir: Path, rounds: int) -> None:
    print(f"\n{'saved query':44} {'parameters':60} {'p50 ms':>8} {'p95 ms':>8} {'rows':>7}")
    for name, label, p50, p95, answer in time_queries(store_dir, rounds):
        print(f"{name:44} {label[:60]:60} {p50:8.1f} {p95:8.1f} {answer:7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="library sizes, comma-separated")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=20, help="runs of each query")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", type=Path, help="keep the stores in this folder")
    parser.add_argument("--queries-on", type=Path, help="only time the queries on this store")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.workers} workers")
    if args.queries_on:
        print_queries(args.queries_on, args.rounds)
        return
    for size in (int(s) for s in args.sizes.split(",")):
        work = Path(tempfile.mkdtemp(prefix=f"bench-store-{size}-"))
        try:
            t0 = time.perf_counter()
            paths = write_library(work / "cases", size, args.seed)
            print(f"\n== {size} synthetic cases (written in {time.perf_counter() - t0:.1f} s)")
            store_dir = (args.keep / f"store-{size}") if args.keep else work / "store"
            if store_dir.exists():
                shutil.rmtree(store_dir)
            for name, value in load(store_dir, paths, args.workers).items():
                print(f"{name:48} {value:12,.1f}")
            from innoproc.store.library import open_store

            store = open_store(store_dir)
            stats = store.stats()
            store.optimize()  # type: ignore[attr-defined]
            store.close()
            print(f"{'quads':48} {stats.quads:12,}")
            print(f"{'size on disk (MB)':48} {folder_size(store_dir) / 1e6:12,.1f}")
            print_queries(store_dir, args.rounds)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

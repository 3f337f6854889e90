"""Measure `innoproc serve`: SPARQL latency through the endpoint, alone and under 8 concurrent
clients, and `POST /advise` latency.

Run with ``.venv/bin/python benchmarks/bench_serve.py [--store FOLDER|URL] [--rounds N]``. Without
``--store`` it stores the ``cases/`` library in a temporary folder first. It starts the server on
a free loopback port, prints numbers and asserts nothing: speed is tracked here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IPO = (
    "PREFIX ipo: <https://w3id.org/innoproc/ontology#>\nPREFIX prov: <http://www.w3.org/ns/prov#>\n"
)
QUERIES = {
    "ASK {}": "ASK {}",
    "case ids": IPO + "SELECT ?id WHERE { ?c a ipo:ProcurementCase ; ipo:caseId ?id }",
    "one case's title": IPO + "SELECT ?t WHERE { <https://w3id.org/innoproc/case/"
    "cern-lhc-yoke-steel> ipo:title ?t }",
    "facts behind recommendations (prov:wasDerivedFrom+)": IPO
    + "SELECT ?rec ?key WHERE { ?rec a ipo:Recommendation ; prov:wasDerivedFrom+ ?fact . "
    "?fact a ipo:CaseFact ; ipo:aboutKey ?key }",
    "every quad (CONSTRUCT, Turtle)": "CONSTRUCT WHERE { ?s ?p ?o }",
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fill(folder: Path) -> None:
    innoproc = Path(sys.executable).parent / "innoproc"
    subprocess.run(
        [str(innoproc), "store", "add", "--store", str(folder), str(ROOT / "cases")], check=True
    )


def ask(base: str, query: str) -> float:
    start = time.perf_counter()
    url = base + "/sparql?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=120) as answer:
        answer.read()
    return (time.perf_counter() - start) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", help="a store folder or URL (default: the library, stored)")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    store = args.store
    if store is None:
        store = str(Path(scratch.name) / "store")
        fill(Path(store))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "innoproc",
            "serve",
            "--store",
            store,
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
    )
    try:
        t0 = time.perf_counter()
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=5).close()
                break
            except OSError:
                time.sleep(0.05)
        print(f"server ready in {time.perf_counter() - t0:.2f} s ({args.workers} workers)")
        for name, query in QUERIES.items():
            ask(base, query)
            times = [ask(base, query) for _ in range(args.rounds)]
            print(
                f"{name}: p50 {statistics.median(times):.1f} ms, "
                f"p95 {percentile(times, 0.95):.1f} ms"
            )
        query = QUERIES["one case's title"]
        total = args.rounds * 8
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            times = list(pool.map(lambda _: ask(base, query), range(total)))
        elapsed = time.perf_counter() - t0
        print(
            f"8 concurrent clients, {total} queries: {total / elapsed:.0f} queries/s, "
            f"p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms"
        )
        case = (ROOT / "cases" / "cern-lhc-yoke-steel.yaml").read_bytes()

        def advise() -> float:
            start = time.perf_counter()
            request = urllib.request.Request(
                base + "/advise", data=case, headers={"Content-Type": "application/yaml"}
            )
            with urllib.request.urlopen(request, timeout=120) as answer:
                json.loads(answer.read())
            return (time.perf_counter() - start) * 1e3

        advise()
        times = [advise() for _ in range(args.rounds)]
        print(
            f"POST /advise (one case): p50 {statistics.median(times):.1f} ms, "
            f"p95 {percentile(times, 0.95):.1f} ms"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        scratch.cleanup()


if __name__ == "__main__":
    main()

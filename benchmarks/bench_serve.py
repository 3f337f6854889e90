"""Measure `innoproc serve`: SPARQL latency through the endpoint, alone and under 8 concurrent
clients, and `POST /advise` latency; and every saved query on an Oxigraph server.

Run with ``.venv/bin/python benchmarks/bench_serve.py [--store FOLDER|URL] [--rounds N]``. Without
``--store`` it stores the ``cases/`` library in a temporary folder first. It starts the server on
a free loopback port, prints numbers and asserts nothing: speed is tracked here, not in tests.

``--oxigraph-on FOLDER`` instead starts an Oxigraph server (the ``oxigraph`` binary of the PyPI
package) on a copy of an embedded store folder (``make bench-store`` keeps its stores with
``--keep``; both use the same on-disk format) and times every saved query through
``--store URL``: the figures to set beside the embedded store's.
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


#: parameters that give the parameterised saved queries a typical answer
EXAMPLES = {
    "organisation": "CERN",
    "challenge": "CH-3",
    "class": "ipo:InnovationProcurementProcedure",
    "severity": "ipo:HighSeverity",
    "key": "trl",
    "clause": "REC-1",
    "recommendation": "use-performance-specification",
}


def saved_queries_on_oxigraph(folder: Path, rounds: int) -> None:
    import shutil

    from innoproc.store.library import open_store
    from innoproc.store.protocol import Rows, Triples
    from innoproc.store.queries import parse_params, saved_queries

    binary = Path(sys.executable).parent / "oxigraph"
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "store"
        shutil.copytree(folder, copy)
        port = free_port()
        server = subprocess.Popen(
            [str(binary), "serve", "--location", str(copy), "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            while True:
                try:
                    urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=5).close()
                    break
                except OSError:
                    time.sleep(0.05)
            store = open_store(url)
            print(
                f"{'saved query on Oxigraph server':44} {'parameters':40} {'p50 ms':>8} "
                f"{'p95 ms':>8} {'rows':>7}"
            )
            for saved in saved_queries(ROOT / "kb" / "queries"):
                variants: list[list[str]] = [[]]
                if saved.parameters and saved.parameters[0].name in EXAMPLES:
                    name = saved.parameters[0].name
                    variants.append([f"{name}={EXAMPLES[name]}"])
                for given in variants:
                    bindings = parse_params(given, saved.parameters)
                    times, answer = [], 0
                    for _ in range(rounds):
                        t0 = time.perf_counter()
                        result = store.query(saved.text, bindings)
                        times.append((time.perf_counter() - t0) * 1e3)
                        answer = (
                            len(result.rows)
                            if isinstance(result, Rows)
                            else len(result.triples)
                            if isinstance(result, Triples)
                            else 1
                        )
                    print(
                        f"{saved.name:44} {' '.join(given)[:40]:40} "
                        f"{statistics.median(times):8.1f} {percentile(times, 0.95):8.1f} "
                        f"{answer:7}"
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", help="a store folder or URL (default: the library, stored)")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--oxigraph-on", type=Path, help="an embedded store folder to copy")
    args = parser.parse_args()
    if args.oxigraph_on:
        saved_queries_on_oxigraph(args.oxigraph_on, args.rounds)
        return
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

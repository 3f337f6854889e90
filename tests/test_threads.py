"""Threads: innoproc used from several threads at once, as a server or a batch with a thread pool
would use it.

Everything innoproc builds once per process (the vocabulary, the SHACL shapes, the bundled KB,
the compiled engine, the limits) is built on first use; the dangerous moment is when several
threads make that first use together. So each test runs in a fresh interpreter, where nothing is
initialised yet, releases eight threads at once from a barrier, and compares what they got with
what a plain sequential run gets. The child is memory-capped and has a timeout, so a deadlock
fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json

from hostile import kb_folder, nested, rule, rule_file, run_python, write
from innoproc import CaseError, KnowledgeBase, advise, load_case

from conftest import CASES

ADVISE_AT_ONCE = r'''
import json, sys, threading
from pathlib import Path

import innoproc  # nothing is initialised yet: the threads race to build it all

cases = sorted(Path(sys.argv[1]).glob("*.yaml"))
N = 8
barrier = threading.Barrier(N)
results, errors = [None] * N, []

def work(i):
    try:
        barrier.wait(timeout=60)
        mine = [cases[0]] + cases[i::N]  # all start on the same case, at the same moment
        results[i] = {p.name: innoproc.advise(p).to_dict() for p in mine}
    except BaseException as exc:
        errors.append(f"thread {i}: {type(exc).__name__}: {exc}")

threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=90)
later = {}
def again():
    later["thread"] = innoproc.advise(cases[2]).to_dict()
late = threading.Thread(target=again, daemon=True)
late.start()
late.join(timeout=60)
later["main"] = innoproc.advise(cases[1]).to_dict()
print(json.dumps({"errors": errors, "hung": sum(t.is_alive() for t in threads),
                  "results": results, "later": later}))
'''

SEQUENTIAL = r'''
import json, sys
from pathlib import Path

import innoproc

print(json.dumps({p.name: innoproc.advise(p).to_dict()
                  for p in sorted(Path(sys.argv[1]).glob("*.yaml"))}))
'''

LOAD_AT_ONCE = r'''
import json, sys, threading
from pathlib import Path

import innoproc

cases_dir, kb_dir, bad_dir = map(Path, sys.argv[1:4])
case_files = sorted(p for p in cases_dir.iterdir() if p.suffix in (".yaml", ".json", ".ttl"))
bad_files = sorted(bad_dir.iterdir())
CASE = {"id": "threads", "trl": 3, "procedure": "open"}
out = {"cases": {}, "kbs": [], "bad": {}, "errors": []}
lock = threading.Lock()

def cases(i):
    for p in case_files[i::4]:
        facts = innoproc.load_case(p).facts
        with lock:
            out["cases"][p.name] = dict(facts)

def kb(i):
    folder = kb_dir if i % 2 else None  # the bundled KB and one of the test's own
    loaded = innoproc.KnowledgeBase.load(folder)
    items = sorted(item.id for item in loaded.advise(CASE).items)
    with lock:
        out["kbs"].append([str(folder), len(loaded.rules), items])

def bad(i):
    for p in bad_files:
        try:
            innoproc.load_case(p)
            outcome = "accepted"
        except innoproc.CaseError as exc:
            outcome = sorted({q.code for q in exc.problems})
        with lock:
            out["bad"].setdefault(p.name, []).append(outcome)

roles = [cases] * 4 + [kb] * 2 + [bad] * 2
barrier = threading.Barrier(len(roles))

def work(i):
    try:
        barrier.wait(timeout=60)
        roles[i](i)
    except BaseException as exc:
        out["errors"].append(f"thread {i} ({roles[i].__name__}): {type(exc).__name__}: {exc}")

threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(roles))]
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=90)
out["hung"] = sum(t.is_alive() for t in threads)
print(json.dumps(out))
'''


def _run(script: str, *args: str) -> dict:
    result = run_python(script, *args, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_eight_threads_advising_at_once_agree_with_a_sequential_run():
    """Eight threads make the very first calls of a fresh process together: each must get the
    advice a sequential run gets, and the process must keep working afterwards, from the main
    thread and from a new one."""
    concurrent = _run(ADVISE_AT_ONCE, str(CASES))
    sequential = _run(SEQUENTIAL, str(CASES))
    assert concurrent["errors"] == [] and concurrent["hung"] == 0, concurrent["errors"]
    names = sorted(p.name for p in CASES.glob("*.yaml"))
    first = names[0]
    assert all(r[first] == sequential[first] for r in concurrent["results"]), first
    merged = {name: advice for r in concurrent["results"] for name, advice in r.items()}
    assert sorted(merged) == names
    different = [name for name in names if merged[name] != sequential[name]]
    assert different == [], f"advice differs from the sequential run for {different}"
    assert concurrent["later"]["main"] == sequential[names[1]]
    assert concurrent["later"]["thread"] == sequential[names[2]]


def test_cases_and_knowledge_bases_load_at_once_as_they_load_alone(tmp_path):
    """Case files of every syntax, two knowledge bases and refused hostile files, all loaded
    together by eight threads of a fresh process: every result is what this process gets
    loading them one at a time, and a refusal in one thread disturbs no other."""
    own_kb = kb_folder(tmp_path, {"own": rule_file(rule())})
    bad = tmp_path / "bad"
    write(bad, "latin1.yaml", "id: x\ntitle: Caf\xe9\n".encode("latin-1"))
    write(bad, "alias.yaml", "id: x\ntitle: &t a\norganisation: *t\n")
    write(bad, "nan.json", '{"id": "x", "estimated_value_eur": NaN}')
    write(bad, "deep.json", '{"id": "x", "title": ' + nested(10_000) + "}")
    write(bad, "trl.yaml", "id: x\ntrl: 12\n")
    found = _run(LOAD_AT_ONCE, str(CASES), str(own_kb), str(bad))
    assert found["errors"] == [] and found["hung"] == 0, found["errors"]

    library = sorted(p for p in CASES.iterdir() if p.suffix in (".yaml", ".json", ".ttl"))
    expected = {p.name: json.loads(json.dumps(dict(load_case(p).facts))) for p in library}
    assert found["cases"] == expected

    case = {"id": "threads", "trl": 3, "procedure": "open"}
    bundled = KnowledgeBase.load()
    assert sorted(map(tuple, found["kbs"])) == sorted([
        ("None", len(bundled.rules), sorted(i.id for i in advise(case).items)),
        (str(own_kb), 1, sorted(i.id for i in KnowledgeBase.load(own_kb).advise(case).items)),
    ])

    for path in sorted(bad.iterdir()):
        try:
            load_case(path)
            alone = "accepted"
        except CaseError as exc:
            alone = sorted({p.code for p in exc.problems})
        assert alone != "accepted", path
        assert found["bad"][path.name] == [alone, alone], path.name

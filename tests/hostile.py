"""Shared helpers for the hostile-input tests (test_hostile_inputs, test_threads, test_fuzz).

What a hostile input may try, and what these helpers watch for:

* reach the network, or read a file other than the one it was given: :class:`Sandbox` blocks
  sockets and records every file opened, through a process-wide audit hook;
* exhaust memory or time: :func:`isolated` runs one load in a fresh interpreter under an
  address-space limit and a timeout, so a regression fails a test instead of taking the machine
  down; :func:`within` bounds the wall-clock time of an in-process load;
* crash the loader: :func:`case_refusal` and :func:`kb_refusal` accept only the contract's
  errors (``CaseError``, ``KnowledgeBaseError``) and :func:`check_problems` checks that every
  problem is one well-formed line with a stable code.

Run as a script (``python hostile.py SPEC``) this module is the child side of :func:`isolated`.

The hypothesis strategies at the end generate hostile case files and rule files of every kind
the reading policy covers; test_fuzz feeds them to the loaders.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import site
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CASES = ROOT / "cases"
PACKAGE = ROOT / "engine" / "innoproc"
IPO = "https://w3id.org/innoproc/ontology#"
CASE = "https://w3id.org/innoproc/case/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OWL = "http://www.w3.org/2002/07/owl#"
CONTEXT_IRI = "https://w3id.org/innoproc/context.jsonld"
#: an address nothing listens on: a request to it is caught by the sandbox, never sent
NOWHERE = "http://127.0.0.1:9/x"
SECRET = "TOPSECRET"

#: the reading policy's limits, as the contract states them
DEFAULT_LIMITS = {
    "max_file_bytes": 2_000_000,
    "max_depth": 64,
    "max_mapping_keys": 1_000,
    "max_list_items": 10_000,
    "max_text_chars": 100_000,
    "max_number_chars": 40,
    "max_nodes": 200_000,
    "max_normal_form": 4_096,
    "max_exponent": 30,
    "max_triples": 10_000,
}
#: address space of an isolated child: enough for innoproc, far from enough for a blow-up
MEMORY = 2 * 1024**3

CODE = re.compile(r"^(input|case|kb)/[a-z][a-z0-9-]*$")


# -- outcomes -------------------------------------------------------------------------------
def codes(error: BaseException) -> list[str]:
    return [p.code for p in getattr(error, "problems", [])]


def check_problems(problems: list[Any], *, namespaces: tuple[str, ...] = ("input", "case", "kb")
                   ) -> None:
    """Every problem is a Problem with a stable code, an int-or-None line and one line of text
    (the CLI prints one line per problem)."""
    from innoproc import Problem

    assert problems, "an error must carry at least one problem"
    for problem in problems:
        assert isinstance(problem, Problem), problem
        assert isinstance(problem.code, str) and CODE.match(problem.code), problem.code
        assert problem.code.split("/")[0] in namespaces, problem.code
        assert problem.line is None or (type(problem.line) is int and problem.line >= 0), problem
        assert problem.severity in ("error", "warning"), problem
        text = str(problem)
        assert "\n" not in text and "\r" not in text, f"problem spans lines: {text[:300]!r}"


def _unexpected(what: str, exc: BaseException) -> AssertionError:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return AssertionError(
        f"{what} raised {type(exc).__module__}.{type(exc).__name__}{where}: {str(exc)[:300]}; "
        "the contract allows only CaseError / KnowledgeBaseError"
    )


def case_refusal(source: Any) -> Any:
    """The CaseError that loading ``source`` must raise (any other outcome fails the test)."""
    from innoproc import CaseError, load_case

    try:
        case = load_case(source)
    except CaseError as exc:
        check_problems(exc.problems, namespaces=("input", "case"))
        return exc
    except Exception as exc:  # the point: nothing but CaseError
        raise _unexpected("load_case", exc) from None
    raise AssertionError(f"load_case accepted hostile input as case {case.id!r}: {case.facts}")


def kb_refusal(folder: Any) -> Any:
    """The KnowledgeBaseError that loading ``folder`` must raise."""
    from innoproc import KnowledgeBase, KnowledgeBaseError

    try:
        kb = KnowledgeBase.load(folder)
    except KnowledgeBaseError as exc:
        check_problems(exc.problems, namespaces=("input", "kb"))
        return exc
    except Exception as exc:
        raise _unexpected("KnowledgeBase.load", exc) from None
    raise AssertionError(f"KnowledgeBase.load accepted a hostile folder: {len(kb.rules)} rules")


# -- sandbox: no network, no reads outside the input -----------------------------------------
_NETWORK_EVENTS = {
    "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
    "socket.sendto", "socket.sendmsg", "socket.bind", "urllib.Request",
}
_active: Sandbox | None = None
_hook_installed = False
_hook_lock = threading.Lock()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    box = _active
    if box is None:
        return
    if event == "open":
        path = args[0]
        if isinstance(path, int) or path is None:
            return
        try:
            name = os.fsdecode(path)
            box.opened.append((name, os.path.realpath(name)))
        except (TypeError, ValueError):
            box.opened.append((repr(path), repr(path)))
    elif event in _NETWORK_EVENTS:
        box.network.append(f"{event}{args!r:.200}")
        raise ConnectionRefusedError(f"network disabled by the test sandbox ({event})")


def install_audit_hook() -> None:
    """Install the recording hook once per process (audit hooks cannot be removed)."""
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True


@functools.cache
def _allowed_roots() -> tuple[str, ...]:
    """The package's own code, data and cache, and Python's own library and site-packages."""
    roots = {PACKAGE, ROOT / "ontology", ROOT / "kb", Path(sys.prefix), Path(sys.base_prefix),
             Path(sys.exec_prefix)}
    roots |= {Path(p) for p in site.getsitepackages()}
    from innoproc.rules.cache import cache_dir  # innoproc's own cache of checked KBs

    roots |= {p for p in [cache_dir()] if p is not None}
    roots |= {Path(p) for k, p in sysconfig.get_paths().items() if k in
              ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(sorted({os.path.realpath(r) for r in roots}))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class Sandbox:
    """While active: every socket connection or name lookup fails and is recorded, and every file
    opened is recorded. ``inputs`` are the files or folders the code under test was handed; a
    folder allows everything inside it (after resolving symlinks)."""

    def __init__(self, *inputs: str | os.PathLike[str]):
        self.inputs = [os.path.abspath(os.fspath(p)) for p in inputs]
        self.opened: list[tuple[str, str]] = []
        self.network: list[str] = []
        self._saved: list[tuple[Any, str, Any]] = []

    def _refuse(self, what: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            self.network.append(f"{what}{args!r:.200}")
            raise ConnectionRefusedError(f"network disabled by the test sandbox ({what})")
        return refuse

    def __enter__(self) -> Sandbox:
        global _active
        install_audit_hook()
        for owner, name in ((socket.socket, "connect"), (socket.socket, "connect_ex"),
                            (socket, "create_connection"), (socket, "getaddrinfo")):
            self._saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, self._refuse(f"{getattr(owner, '__name__', owner)}.{name}"))
        _active = self
        return self

    def __exit__(self, *exc: Any) -> None:
        global _active
        _active = None
        for owner, name, value in reversed(self._saved):
            setattr(owner, name, value)
        self._saved.clear()

    def _allowed(self, given: str, real: str) -> bool:
        for item in self.inputs:
            if given == item or real == os.path.realpath(item):
                return True
            if os.path.isdir(item) and _inside(real, os.path.realpath(item)):
                return True
        if real.endswith(".py") and _inside(real, str(TESTS)):  # warnings quote test sources
            return True
        return any(_inside(real, root) for root in _allowed_roots())

    def outside_reads(self) -> list[str]:
        """Files opened that are neither an input nor the package's or Python's own files."""
        seen = []
        for given, real in self.opened:
            absolute = os.path.abspath(given)
            if not self._allowed(absolute, real) and real not in seen:
                seen.append(real)
        return seen

    def assert_clean(self) -> None:
        assert not self.network, f"network access attempted: {self.network}"
        outside = self.outside_reads()
        assert not outside, f"files opened outside the input: {outside}"


# -- time ----------------------------------------------------------------------------------
class Overtime(Exception):
    """Raised by :func:`within` when the code under test overruns its time."""


@contextmanager
def within(seconds: float, what: str = "the load") -> Iterator[None]:
    """Fail when the block takes longer than ``seconds`` of wall-clock time; interrupt it (by
    SIGALRM, main thread only) when it overruns by much, so a hang fails instead of blocking."""
    use_alarm = threading.current_thread() is threading.main_thread()
    if use_alarm:
        def ring(signum: int, frame: Any) -> None:
            raise Overtime(f"{what} still running after {2 * seconds + 1:.0f} s")
        previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, 2 * seconds + 1)
    start = time.monotonic()
    try:
        yield
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - start
    if elapsed > seconds:
        raise Overtime(f"{what} took {elapsed:.1f} s; allowed {seconds} s")


# -- isolation: one load in a fresh interpreter, memory-capped, with a timeout ----------------
_MARK = "HOSTILE-RESULT "


def limit_memory(limit: int = MEMORY) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@contextmanager
def soft_memory_limit(limit: int) -> Iterator[None]:
    """Cap this process's address space (the soft limit only, so it can be lifted again) while
    in-process tests run hostile input: a blow-up becomes a MemoryError, not a dead machine."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    if soft != resource.RLIM_INFINITY and soft <= wanted:
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _clean_env(env: dict[str, str] | None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("INNOPROC_LIMITS", "INNOPROC_DEBUG")}
    environment.update(env or {})
    return environment


def isolated(action: str, target: str | os.PathLike[str], *, timeout: float = 30,
             env: dict[str, str] | None = None, memory: int = MEMORY) -> dict[str, Any]:
    """Load ``target`` in a fresh interpreter limited to ``memory`` bytes of address space and
    ``timeout`` seconds, inside a :class:`Sandbox`. ``action`` is "case" (``target`` is a case
    file), "kb" (a KB folder) or "python" (``target`` is a Python script that sets ``source`` to
    a mapping or graph for load_case).

    Returns ``{"outcome": "ok" | "refused" | "crashed" | "timeout" | "died", ...}`` with the
    problems (code, line, text), the exception of a crash, the seconds the load itself took
    (``elapsed``, after a warm-up that imports the readers), network attempts and outside reads.
    """
    spec = json.dumps({"action": action, "target": os.fspath(target), "memory": memory})
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__)), spec], capture_output=True,
                              text=True, timeout=timeout, env=_clean_env(env), cwd=str(ROOT))
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return {"outcome": "timeout", "timeout": timeout, "stdout": out[-1000:]}
    for line in proc.stdout.splitlines():
        if line.startswith(_MARK):
            return json.loads(line[len(_MARK):]) | {"returncode": proc.returncode}
    return {"outcome": "died", "returncode": proc.returncode, "stderr": proc.stderr[-3000:]}


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    limit_memory(spec["memory"])
    import innoproc

    target = spec["target"]
    if spec["action"] == "kb":  # import the readers before timing
        innoproc.KnowledgeBase.load()
    else:
        innoproc.load_case({"id": "warm-up"})
    if spec["action"] == "python":  # the test's own script, building a mapping or graph
        import runpy

        target = runpy.run_path(target)["source"]
    box = Sandbox() if spec["action"] == "python" else Sandbox(target)
    result: dict[str, Any]
    start = time.monotonic()
    with box:
        try:
            if spec["action"] == "kb":
                innoproc.KnowledgeBase.load(target)
            else:
                innoproc.load_case(target)
            result = {"outcome": "ok"}
        except (innoproc.CaseError, innoproc.KnowledgeBaseError) as exc:
            result = {"outcome": "refused", "error": type(exc).__name__,
                      "problems": [{"code": p.code, "line": p.line, "text": str(p)[:2000]}
                                   for p in exc.problems[:200]]}
        except BaseException as exc:  # report whatever it was to the parent
            result = {"outcome": "crashed", "error": type(exc).__name__,
                      "message": str(exc)[:500]}
    result["elapsed"] = time.monotonic() - start
    result["network"] = box.network
    result["outside_reads"] = box.outside_reads()
    return result


def result_codes(result: dict[str, Any]) -> list[str]:
    return [p["code"] for p in result.get("problems", [])]


def assert_refused(result: dict[str, Any], code: str | None, *, seconds: float = 10) -> None:
    """An :func:`isolated` result: refused (with ``code`` if given), in time, with no network
    or outside reads."""
    summary = json.dumps(result)[:1500]
    assert result["outcome"] == "refused", summary
    assert code is None or code in result_codes(result), summary
    assert result["elapsed"] < seconds, summary
    assert not result["network"] and not result["outside_reads"], summary


# -- command line ----------------------------------------------------------------------------
def cli_process(*args: str, timeout: float = 60, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
    """``python -m innoproc ARGS`` in a memory-capped child (raises TimeoutExpired on a hang)."""
    return subprocess.run([sys.executable, "-m", "innoproc", *args], capture_output=True,
                          text=True, timeout=timeout, env=_clean_env(env), cwd=str(ROOT),
                          preexec_fn=limit_memory)


def run_python(code: str, *args: str, timeout: float = 120, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    """``python -c CODE ARGS`` in a fresh, memory-capped interpreter started in the checkout."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, env=_clean_env(env), cwd=str(ROOT),
                          preexec_fn=limit_memory)


def assert_no_crash_output(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text[-2000:]
        assert "internal error" not in text, text[-2000:]


# -- files -------------------------------------------------------------------------------------
def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def nested(depth: int, opener: str = "[", closer: str = "]", inner: str = "") -> str:
    return opener * depth + inner + closer * depth


def kb_folder(base: Path, rules: dict[str, str | bytes], *, schema: str | bytes | None = None,
              ontology: dict[str, str | bytes] | None = None) -> Path:
    """A KB folder: ``rules/<name>.yaml`` for each entry (content as given), the package's
    schema (or ``schema`` instead) and optional ``ontology/*.ttl`` files."""
    folder = base / "kb"
    (folder / "rules").mkdir(parents=True)
    (folder / "schema").mkdir()
    if schema is None:
        shutil.copy(ROOT / "kb" / "schema" / "rules.schema.json", folder / "schema")
    else:
        write(folder / "schema", "rules.schema.json", schema)
    for name, content in rules.items():
        write(folder / "rules", name if "." in name else f"{name}.yaml", content)
    for name, content in (ontology or {}).items():
        write(folder / "ontology", name, content)
    return folder


def rule_file(*rules: str, theme: str = "hostile") -> str:
    return f"theme: {theme}\ntitle: Test rules\nrules:" + "".join(rules)


def rule(id: str = "r1", clause: str = "CH-1", when: str = "      trl: {le: 4}",
         conclusion: str = "c1") -> str:
    """One finding rule in the layout of test_kb_parser (its ``- id`` is the rule's line)."""
    return (f"\n  - id: {id}\n    title: A rule\n    clauses: [{clause}]\n    rationale: Because."
            f"\n    priority: 50\n    when:\n{when}\n    then:\n      finding:\n"
            f"        id: {conclusion}\n        kind: challenge\n        severity: high\n"
            "        summary: S.\n")


def two_way_choices(n: int, indent: str = "      ") -> str:
    """``all:`` of ``n`` two-way ``any:``, every test distinct and satisfiable: 2**n alternatives
    in disjunctive normal form."""
    lines = [f"{indent}all:"]
    for i in range(1, n + 1):
        lines.append(f"{indent}  - any: [{{estimated_value_eur: {{ge: {i}}}}}, "
                     f"{{operational_lifetime_years: {{ge: {i}}}}}]")
    return "\n".join(lines)


# -- the case form, read from the ontology and the library ----------------------------------
@functools.cache
def case_form() -> dict[str, tuple[str, list[str]]]:
    """Case key -> (property IRI, IRIs of the values a choice key takes)."""
    from rdflib import Graph, URIRef

    graph = Graph().parse(ROOT / "ontology" / "innoproc.ttl", format="turtle")
    rdf_type = URIRef(RDF + "type")
    rdfs_range = URIRef("http://www.w3.org/2000/01/rdf-schema#range")
    form = {}
    for prop, name in graph.subject_objects(URIRef(IPO + "caseKey")):
        value_class = graph.value(prop, rdfs_range)
        values = sorted(str(i) for i in graph.subjects(rdf_type, value_class)) if (
            value_class is not None and not str(value_class).startswith(XSD)) else []
        form[str(name)] = (str(prop), values)
    return dict(sorted(form.items()))


@functools.cache
def library_values() -> dict[str, list[Any]]:
    """Every value the library's YAML cases give each key (valid values to mix with hostile)."""
    import yaml

    found: dict[str, list[Any]] = {}
    for path in sorted(CASES.glob("*.yaml")):
        for key, value in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            if value not in found.setdefault(key, []):
                found[key].append(value)
    return found


def library_keys() -> list[str]:
    return sorted(library_values())


# -- hypothesis strategies -----------------------------------------------------------------
@dataclass(frozen=True)
class HostileFile:
    """A generated input file: its name suffix and its bytes."""

    suffix: str
    data: bytes

    def __repr__(self) -> str:  # hypothesis prints this for a failing example
        more = "..." if len(self.data) > 3000 else ""
        return f"HostileFile({self.suffix!r}, {self.data[:3000]!r}{more})"


SPECIAL_TEXT = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b[2J", "\x1b]0;pwned\x07", "\x7f",
    "\x85", "\u2028", "\u202e", "\ufeff", "\ufffe", "\U0010ffff", "\r", "\n", "\r\n", "\t",
    "'", '"', "\\", "{", "}", "[", "]", "&", "<", ">", "#", ": ", "- ", "*", "!", "@", "%", "`",
    "&amp;", "<script>", "# Heading", "*x*", "file:///etc/passwd", NOWHERE, "\u00e9", "\u4e2d",
    "\U0001f600", "e\u0301",
]
NUMBER_TOKENS = [
    "0", "-0", "1", "9", "10", "-1", "3.0", "1e3", "1E+3", "1.5e308", "1e309", "-1e309",
    "1e999999999", "1.0e+999999999", "0.1", ".5", "5.", "1_000", "0x1F", "0o17", "0b101",
    "9" * 39, "9" * 40, "9" * 41, "1." + "0" * 39, "9" * 4301, "9" * 5000, "NaN", "nan", ".nan",
    "Infinity", "-Infinity", ".inf", "-.inf", "+.inf", "1e-999999999", "00012",
]

long_text = st.builds(lambda s, n: s * n, st.sampled_from(["a", "é", "\u4e2d", "ab "]),
                      st.sampled_from([1_000, 99_999, 100_001, 150_000]))
text = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(st.text(max_size=4), st.sampled_from(SPECIAL_TEXT)), max_size=6).map(
        "".join),
)


def rarely(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws; False is the simpler choice hypothesis shrinks to."""
    return draw(st.integers(1, one_in)) == one_in

library_value = st.deferred(lambda: st.sampled_from(
    [v for values in library_values().values() for v in values]))
scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**60), 10**60), st.integers(-10, 10),
    st.floats(allow_nan=True, allow_infinity=True), text, library_value,
)
value = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10,
)
slug = st.one_of(
    st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,20}\Z"),
    st.sampled_from(["x", "abc\n", "Not A Slug", "", "-x", "a" * 5000, "é", "a\x00b",
                     "a/../b", "%2e%2e", "case#frag"]),
)
key = st.deferred(lambda: st.one_of(st.sampled_from(library_keys()), st.text(max_size=10)))


@st.composite
def case_mappings(draw: st.DrawFn) -> dict[Any, Any]:
    """A case-form mapping: a (mostly valid) id, library keys with valid or hostile values, and
    sometimes unknown or non-text keys."""
    case: dict[Any, Any] = {}
    if not rarely(draw, 10):
        case["id"] = draw(slug)
    for name in draw(st.lists(key, max_size=8, unique=True)):
        valid = library_values().get(name)
        case[name] = draw(st.sampled_from(valid) if valid and draw(st.booleans()) else value)
    if rarely(draw, 12):
        case["title"] = draw(long_text)
    if rarely(draw, 16):
        case[draw(st.one_of(st.integers(), st.none(), st.booleans()))] = draw(scalar)
    return case


YAML_FEATURES = [
    "anchored: &a {trl: 3}", "title: *a", "<<: {trl: 3}", "<<: *a", "organisation: &o CERN",
    "title: *o", "title: !!binary aGVsbG8=", "title: !!python/object/apply:os.system ['true']",
    "title: !!python/name:os.system", "title: !custom x", "trl: !!int '3'", "trl: !!str 3",
    "title: !include /etc/passwd", "id: dup", "trl: 0x1F", "trl: 1_0", "fair_return: yes",
    "fair_return: on", "title: 2024-01-01", "title: 2001-12-14t21:59:43.10-05:00", "? [a, b]\n: c",
    "[a, b]: c", "1: one", "null: x", "title: |\n  multi\n  # Heading\n",
    "title: \"\\e]0;pwned\\a\"",
    "title: \"\\0\"", "title: \"\\x7f\"", "title: \"\\uD800\"", "title: \"\\N\\L\\P\"",
    "phases: &p [research]", "innovation_incentives: *p", "title: " + nested(80),
    "title: " + nested(80, "{a: ", "}", "x"), "laughs: &l1 [x, x, x]\nl2: &l2 [*l1, *l1, *l1]",
    "---", "...", "%YAML 1.1", "%TAG !e! tag:example.com,2000:", "title: 'it''s'",
    "estimated_value_eur: " + "9" * 5000, "estimated_value_eur: .nan", "trl: .inf",
]


@functools.cache
def _plain_dumper() -> type:
    import yaml

    class PlainDumper(yaml.SafeDumper):
        """Writes a value shared by two places twice, not as an anchor and an alias: anchors
        come only from the hostile lines inserted on purpose."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    return PlainDumper


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """A case mapping dumped as YAML (top level in block style, one key a line) with hostile YAML
    lines (anchors, aliases, merge keys, tags, directives, odd scalars) inserted between keys."""
    import yaml

    mapping = {k: v for k, v in draw(case_mappings()).items()}
    try:
        dumped = yaml.dump(mapping, Dumper=_plain_dumper(), default_flow_style=None,
                           width=2**31, allow_unicode=draw(st.booleans()), sort_keys=False)
    except yaml.YAMLError:
        dumped = "id: x\n"
    lines = [line for line in dumped.splitlines()]
    for _ in range(draw(st.integers(0, 3))):
        top = [i for i, line in enumerate(lines) if not line.startswith((" ", "-"))] + [len(lines)]
        lines.insert(draw(st.sampled_from(top)), draw(st.sampled_from(YAML_FEATURES)))
    return "\n".join(lines) + "\n"


JSON_PAIRS = [
    ("id", '"dup"'), ("\\u0069d", '"escaped-dup"'), ("trl", "NaN"), ("trl", "Infinity"),
    ("estimated_value_eur", "-Infinity"), ("estimated_value_eur", "9" * 5000),
    ("estimated_value_eur", "1e999999999"), ("estimated_value_eur", "1" + "0" * 41),
    ("estimated_value_eur", '"12"'), ("title", '"\\u0000"'), ("title", '"\\u001b[2J"'),
    ("title", '"\\ud800"'), ("title", nested(80)), ("title", nested(80, '{"a":', "}", "1")),
    ("@context", json.dumps(NOWHERE)), ("title", '{"$ref": "file:///etc/passwd"}'),
    ("trl", "[3]"), ("trl", "[]"), ("id", "[\"x\"]"),
]


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    """A case mapping as a JSON object written pair by pair, so that it can repeat keys and carry
    NaN, Infinity, huge numbers and escapes json.dumps would not write."""
    pairs = []
    for name, item in draw(case_mappings()).items():
        try:
            pairs.append((json.dumps(str(name))[1:-1], json.dumps(item)))
        except (TypeError, ValueError):
            continue
    for _ in range(draw(st.integers(0, 3))):
        pairs.insert(draw(st.integers(0, len(pairs))), draw(st.sampled_from(JSON_PAIRS)))
    body = ", ".join(f'"{k}": {v}' for k, v in pairs)
    return draw(st.sampled_from(["{%s}", "{\n%s\n}", "[{%s}]", "{%s}}", "%s"])) % body


def _turtle_literal(draw: st.DrawFn) -> str:
    raw = draw(text)
    escaped = raw.replace("\\", "\\\\").replace('"', '\\"')
    if draw(st.booleans()):
        escaped = escaped.replace("\n", "\\n").replace("\r", "\\r")
    return draw(st.sampled_from(['"%s"', '"""%s"""', '"%s"@en', '"%s"^^xsd:string'])) % escaped


@st.composite
def rdf_objects(draw: st.DrawFn, prop: str) -> str:
    """An object for ``prop`` in Turtle syntax: a proper value, or something hostile."""
    values = case_form()[prop][1] if prop in case_form() else []
    number = draw(st.sampled_from(NUMBER_TOKENS))
    choices = [
        lambda: f"<{draw(st.sampled_from(values))}>" if values else '"x"',
        lambda: _turtle_literal(draw),
        lambda: number if re.fullmatch(r"[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?", number)
        else f'"{number}"',
        lambda: f'"{number}"^^xsd:{draw(st.sampled_from(["decimal", "integer", "double"]))}',
        lambda: draw(st.sampled_from(["true", "false", "rdf:nil", "[]", "_:b1", "( )",
                                      "( ipo:A ipo:B )", "[ ipo:trl 3 ]", f"<{NOWHERE}>",
                                      "<file:///etc/passwd>", "<relative>", "ipo:Nope",
                                      nested(60, "[ ipo:x ", " ]", "1"),
                                      nested(60, "( ", " )", "1")])),
    ]
    return draw(st.sampled_from(choices))()


@st.composite
def rdf_statements(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    """A case subject and its predicate-object pairs (Turtle syntax, ``ipo:``/``xsd:`` CURIEs)."""
    case_id = draw(slug)
    subject = draw(st.sampled_from([f"<{CASE}{case_id}>", "[]", "_:case", "<other>",
                                    "<file:///etc/passwd>", f"<{CASE}{case_id}>"]))
    pairs = [] if rarely(draw, 10) else [("a", "ipo:ProcurementCase")]
    if not rarely(draw, 10):
        pairs.append(("ipo:caseId", json.dumps(case_id)))
    props = list(case_form())
    for name in draw(st.lists(st.sampled_from(props), max_size=6)):
        prop_iri = case_form()[name][0]
        pairs.append((f"<{prop_iri}>", draw(rdf_objects(name))))
    if rarely(draw, 9):
        pairs.append(("owl:imports", draw(st.sampled_from([f"<{NOWHERE}>",
                                                          "<file:///etc/passwd>"]))))
    if rarely(draw, 9):
        pairs.append(("ipo:colour", '"red"'))
    return subject, pairs


_NAMESPACES = {"ipo": IPO, "xsd": XSD, "rdf": RDF, "owl": OWL}


def _full(term: str) -> str:
    """A Turtle term as N-Triples writes it: CURIEs and ``a`` as full IRIs."""
    if term == "a":
        return f"<{RDF}type>"
    term = re.sub(r"\^\^xsd:(\w+)", lambda m: f"^^<{XSD}{m.group(1)}>", term)
    match = re.fullmatch(r"(ipo|rdf|owl|xsd):(\w*)", term)
    return f"<{_NAMESPACES[match.group(1)]}{match.group(2)}>" if match else term


PREFIXES = (f"@prefix ipo: <{IPO}> .\n@prefix xsd: <{XSD}> .\n@prefix rdf: <{RDF}> .\n"
            f"@prefix owl: <{OWL}> .\n")


@st.composite
def turtle_family(draw: st.DrawFn) -> HostileFile:
    """Turtle, N3, TriG (sometimes in a named graph), N-Triples and N-Quads."""
    subject, pairs = draw(rdf_statements())
    body = f"{subject} " + " ;\n    ".join(f"{p} {o}" for p, o in pairs) + " .\n" if pairs else ""
    base = draw(st.sampled_from(["", "@base <file:///etc/> .\n", f"@base <{NOWHERE}> .\n"]))
    kind = draw(st.sampled_from(["ttl", "ttl", "n3", "trig", "nt", "nq"]))
    if kind in ("ttl", "n3"):
        return HostileFile(f".{kind}", (base + PREFIXES + body).encode("utf-8", "surrogatepass"))
    if kind == "trig":
        graph = draw(st.sampled_from(["", "<http://example.org/g> ",
                                      "GRAPH <http://example.org/g> ", "_:g "]))
        return HostileFile(".trig", (PREFIXES + f"{graph}{{\n{body}}}\n").encode(
            "utf-8", "surrogatepass"))
    graph = draw(st.sampled_from(["", " <http://example.org/g>", " _:g"])) if kind == "nq" else ""
    lines = [f"{_full(subject)} {_full(p)} {_full(o)}{graph} ." for p, o in pairs]
    return HostileFile(f".{kind}", "\n".join(lines).encode("utf-8", "surrogatepass"))


CONTEXTS = [
    {"ipo": IPO, "xsd": XSD}, CONTEXT_IRI, NOWHERE, "/etc/passwd", "file:///etc/passwd",
    "ctx.jsonld", "//127.0.0.1:9/x", {"@import": NOWHERE, "ipo": IPO}, [CONTEXT_IRI, {"ipo": IPO}],
    [NOWHERE], {"ipo": IPO, "@base": "file:///etc/"}, {"ipo": IPO, "@vocab": IPO},
    {"ipo": {"@id": IPO, "@context": NOWHERE}}, None, [], 5, {"@version": 1.1, "ipo": IPO},
]


@st.composite
def json_ld(draw: st.DrawFn) -> HostileFile:
    """JSON-LD with an inline, remote, local or the project's own context, sometimes in a named
    graph, with nested contexts and odd value objects."""
    case_id = draw(slug)
    node: dict[str, Any] = {"@id": draw(st.sampled_from([f"{CASE}{case_id}", "_:b0", "relative"])),
                            "@type": f"{IPO}ProcurementCase", f"{IPO}caseId": case_id}
    for name in draw(st.lists(st.sampled_from(list(case_form())), max_size=5)):
        prop, values = case_form()[name]
        node[prop] = draw(st.one_of(
            st.sampled_from([{"@id": v} for v in values] or [{"@id": NOWHERE}]),
            value,
            st.sampled_from([{"@value": "9" * 5000, "@type": f"{XSD}decimal"},
                             {"@value": "1e999999999", "@type": f"{XSD}decimal"},
                             {"@value": "NaN", "@type": f"{XSD}double"},
                             {"@list": [{"@id": NOWHERE}]}, {"@id": "file:///etc/passwd"},
                             {"@context": NOWHERE, "@id": "x"}]),
        ))
    document: Any = node
    shape = draw(st.sampled_from(["node", "graph", "named", "included", "list"]))
    if shape == "graph":
        document = {"@graph": [node]}
    elif shape == "named":
        document = {"@id": "http://example.org/g", "@graph": [node]}
    elif shape == "included":
        document = {"@included": [node], "@id": "http://example.org/top"}
    elif shape == "list":
        document = [node]
    if isinstance(document, dict) and not rarely(draw, 6):
        document = {"@context": draw(st.sampled_from(CONTEXTS)), **document}
    try:
        data = json.dumps(document, ensure_ascii=draw(st.booleans()))
    except (TypeError, ValueError):
        data = "{}"
    return HostileFile(draw(st.sampled_from([".jsonld", ".json-ld"])),
                       data.encode("utf-8", "surrogatepass"))


DOCTYPES = [
    "",
    '<!DOCTYPE rdf:RDF [<!ENTITY e "hello">]>',
    '<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    f'<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{NOWHERE}">]>',
    f'<!DOCTYPE rdf:RDF SYSTEM "{NOWHERE}">',
    '<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    '<!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY e "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
]


@st.composite
def rdf_xml(draw: st.DrawFn) -> HostileFile:
    """RDF/XML (or TriX) with or without a DOCTYPE and entities, odd bases and parse types."""
    from xml.sax.saxutils import escape

    case_id = draw(slug)
    doctype = draw(st.sampled_from(DOCTYPES))
    entity = "&e;" if "ENTITY e" in doctype and draw(st.booleans()) else ""
    subject = draw(st.sampled_from([f'rdf:about="{escape(CASE + case_id, {chr(34): "&quot;"})}"',
                                    'rdf:nodeID="b1"', "", 'rdf:about="file:///etc/passwd"']))
    props = [f"<ipo:caseId>{escape(case_id)}</ipo:caseId>",
             f"<ipo:title>{escape(draw(text))}{entity}</ipo:title>"]
    for name in draw(st.lists(st.sampled_from(list(case_form())), max_size=4)):
        prop, values = case_form()[name]
        local = prop.rsplit("#", 1)[-1]
        props.append(draw(st.sampled_from([
            f'<ipo:{local} rdf:resource="{values[0] if values else NOWHERE}"/>',
            f'<ipo:{local} rdf:datatype="{XSD}decimal">{draw(st.sampled_from(NUMBER_TOKENS))}'
            f"</ipo:{local}>",
            f'<ipo:{local} rdf:parseType="Literal"><b xmlns="http://www.w3.org/1999/xhtml">x</b>'
            f"</ipo:{local}>",
            f'<ipo:{local} rdf:parseType="Resource"><ipo:trl>3</ipo:trl></ipo:{local}>',
            f'<ipo:{local} rdf:resource="file:///etc/passwd"/>',
        ])))
    base = draw(st.sampled_from(["", ' xml:base="file:///etc/"', f' xml:base="{NOWHERE}"']))
    document = (f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}\n'
                f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ipo="{IPO}"{base}>\n'
                f"  <ipo:ProcurementCase {subject}>\n    " + "\n    ".join(props) +
                "\n  </ipo:ProcurementCase>\n</rdf:RDF>\n")
    return HostileFile(draw(st.sampled_from([".rdf", ".rdf", ".owl", ".xml", ".trix"])),
                       document.encode("utf-8", "surrogatepass"))


ENCODINGS = ["utf-8", "utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32",
             "latin-1", "cp1252"]


@st.composite
def encoded(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> bytes:
    """Text in a random encoding (BOMs included), sometimes with a few bytes spliced in."""
    data = _encode(draw(texts), draw(st.sampled_from(ENCODINGS)))
    if rarely(draw, 8):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


def _encode(text_: str, encoding: str) -> bytes:
    try:
        return text_.encode(encoding, errors="surrogatepass")
    except (UnicodeEncodeError, LookupError):
        return text_.encode(encoding, errors="replace") if encoding != "utf-8" else \
            text_.encode("utf-8", errors="surrogatepass")


CASE_KINDS = ("yaml", "json", "rdf", "jsonld", "xml")


@st.composite
def hostile_case_files(draw: st.DrawFn, kinds: tuple[str, ...] = CASE_KINDS) -> HostileFile:
    """A case file of one of ``kinds`` (yaml, json, rdf - the Turtle family -, jsonld, xml),
    hostile in content, encoding or both, now and then under the wrong suffix."""
    kind = draw(st.sampled_from(kinds))
    if kind == "yaml":
        found = HostileFile(draw(st.sampled_from([".yaml", ".yml"])), draw(encoded(yaml_texts())))
    elif kind == "json":
        found = HostileFile(".json", draw(encoded(json_texts())))
    elif kind == "rdf":
        found = draw(turtle_family())
    elif kind == "jsonld":
        found = draw(json_ld())
    else:
        found = draw(rdf_xml())
    if kind in ("rdf", "jsonld", "xml") and rarely(draw, 6):
        found = HostileFile(found.suffix, _encode(found.data.decode("utf-8", "surrogatepass"),
                                                  draw(st.sampled_from(ENCODINGS))))
    if rarely(draw, 20):  # content in the wrong syntax for its name
        found = HostileFile(draw(st.sampled_from([".yaml", ".json", ".ttl", ".jsonld", ".rdf",
                                                  ".nq", ".trig"])), found.data)
    return found


# -- rule files ------------------------------------------------------------------------------
OPERATORS = ["in", "all_of", "is_a", "after", "before", "at_least", "at_most", "lt", "le", "gt",
             "ge", "near", "about"]
CLASSES = ["RigidProcedure", "InnovationProcurementProcedure", "LifeCyclePhase", "Nope",
           "ipo:RigidProcedure", "owl:Thing", "http://127.0.0.1:9/C"]

fact_test = st.deferred(lambda: st.one_of(
    st.builds(lambda k, v: {k: v}, key, st.one_of(library_value, scalar,
                                                  st.sampled_from(["unknown", "known"]))),
    st.builds(lambda k, op, arg: {k: {op: arg}}, key, st.sampled_from(OPERATORS),
              st.one_of(library_value, scalar, st.sampled_from(CLASSES),
                        st.lists(library_value, max_size=4))),
    st.builds(lambda kind, arg: {kind: arg}, st.sampled_from(["finding", "recommendation"]),
              st.one_of(st.sampled_from(["c1", "c0", "nothing"]),
                        st.sampled_from([{"about": "CH-1"}, {"about": "REC-1"}, {"about": 5}]))),
    value,  # a condition of the wrong shape
))


def _explosive(n: int) -> dict[str, Any]:
    return {"all": [{"any": [{"estimated_value_eur": {"ge": i}},
                             {"operational_lifetime_years": {"ge": i}}]} for i in range(n)]}


def _deep_not(n: int) -> Any:
    condition: Any = {"trl": 3}
    for _ in range(n):
        condition = {"not": condition}
    return condition


conditions = st.recursive(
    fact_test,
    lambda inner: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(inner, max_size=5)),
        st.builds(lambda items: {"any": items}, st.lists(inner, max_size=5)),
        st.builds(lambda item: {"not": item}, inner),
        st.builds(lambda n, items: {"at_least": n, "of": items}, st.integers(-1, 6),
                  st.lists(inner, max_size=6)),
    ),
    max_leaves=25,
) | st.builds(_explosive, st.integers(8, 30)) | st.builds(_deep_not, st.sampled_from([40, 70, 500]))


@st.composite
def rules(draw: st.DrawFn, index: int) -> Any:
    rule_: dict[str, Any] = {
        "id": draw(st.one_of(st.just(f"r{index}"), slug)),
        "title": draw(st.one_of(st.just("A rule"), text)),
        "clauses": draw(st.one_of(st.just(["CH-1"]), st.lists(st.sampled_from(
            ["CH-1", "CH-9", "REC-1", "KM", "KC-6", "x"]), max_size=3), value)),
        "rationale": "Because.",
        "priority": draw(st.one_of(st.just(50), st.integers(-5, 200), scalar)),
        "when": draw(conditions),
        "then": draw(st.one_of(
            st.builds(lambda c, sev: {"finding": {"id": c, "kind": "challenge", "severity": sev,
                                                  "summary": "S."}},
                      st.sampled_from([f"c{index}", "c0", "c1"]),
                      st.sampled_from(["high", "low", "extreme"])),
            st.builds(lambda c: {"recommendation": {"id": c, "summary": "S.",
                                                    "actions": ["Do it."]}},
                      st.sampled_from([f"c{index}", "c0"])),
            value,
        )),
    }
    if rarely(draw, 7):
        del rule_[draw(st.sampled_from(sorted(rule_)))]
    return draw(st.one_of(st.just(rule_), st.just(rule_), st.just(rule_), value))


@st.composite
def rule_texts(draw: st.DrawFn) -> str:
    """A rule file: random rules and conditions dumped as YAML, with hostile YAML lines."""
    import yaml

    document: Any = {"theme": draw(st.one_of(st.just("fuzz"), text)), "title": "Fuzz",
                     "rules": [draw(rules(i)) for i in range(draw(st.integers(1, 3)))]}
    if rarely(draw, 13):
        document = draw(value)
    try:
        dumped = yaml.dump(document, Dumper=_plain_dumper(), default_flow_style=None,
                           width=2**31, allow_unicode=draw(st.booleans()), sort_keys=False)
    except (yaml.YAMLError, RecursionError):
        dumped = "theme: x\n"
    lines = dumped.splitlines()
    for _ in range(draw(st.integers(0, 2))):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(
            YAML_FEATURES + ["rules: &r []", "theme: !!binary eA==", "rules: *r"])))
    return "\n".join(lines) + "\n"


HOSTILE_SCHEMAS = [
    None, None, None, None,
    json.dumps({"$ref": NOWHERE}),
    json.dumps({"$ref": "file:///etc/passwd"}),
    json.dumps({"$ref": "other.schema.json"}),
    json.dumps({"$schema": NOWHERE, "type": "object"}),
    json.dumps({"type": "object", "properties": {"theme": {"pattern": "("}}}),
    json.dumps({"type": "object", "properties": {"theme": {"pattern": "^(a+)+$"}}}),
    json.dumps({"$dynamicRef": "#nowhere"}),
    json.dumps({"type": "object", "properties": {"theme": {"format": "idn-email"}}}),
    "{", "[]", "null", json.dumps({"type": "object", "properties": {"theme": {"$ref": NOWHERE}}}),
]


@st.composite
def hostile_kb_files(draw: st.DrawFn) -> dict[str, Any]:
    """The files of a KB folder: one to three rule files (each in a random encoding) and
    sometimes a hostile schema."""
    files = {f"r{i}.yaml": draw(encoded(rule_texts())) for i in range(draw(st.integers(1, 3)))}
    return {"rules": files, "schema": draw(st.sampled_from(HOSTILE_SCHEMAS))}


# -- child side of isolated() ----------------------------------------------------------------
if __name__ == "__main__":
    print(_MARK + json.dumps(_child(json.loads(sys.argv[1]))), flush=True)

"""Hostile inputs: what innoproc agrees to read, and how it refuses the rest.

The reading policy's contract: every bad case (file, mapping or graph) is refused with a
``CaseError`` and every bad knowledge-base folder with a ``KnowledgeBaseError``, never with any
other exception; each problem is one line with a stable code; no input reaches the network or
makes innoproc read a file other than the one it was given; no input costs unbounded time or
memory; the command line reports every problem of every file and never shows a traceback; and
text a case supplies cannot drive the terminal or inject Markdown.

Inputs that could hang or exhaust memory if the policy regressed are loaded in a child process
under a 2 GiB address-space limit and a timeout (:func:`hostile.isolated`); the rest are loaded
in-process inside a :class:`hostile.Sandbox` and under a wall-clock bound (:func:`hostile.within`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import RDF, BNode, Graph, Literal, URIRef
from typer.testing import CliRunner

from hostile import (
    CASE,
    CONTEXT_IRI,
    DEFAULT_LIMITS,
    IPO,
    NOWHERE,
    SECRET,
    XSD,
    Sandbox,
    assert_no_crash_output,
    assert_refused,
    case_refusal,
    cli_process,
    codes,
    isolated,
    kb_folder,
    kb_refusal,
    nested,
    result_codes,
    rule,
    rule_file,
    soft_memory_limit,
    two_way_choices,
    within,
    write,
)
from innoproc import CaseError, KnowledgeBase, KnowledgeBaseError, load_case
from innoproc.cli import app

from conftest import CASES

runner = CliRunner()
GOOD_YAML = CASES / "cern-lhc-yoke-steel.yaml"
GOOD_JSON = CASES / "constructed-sparse-beamline-mirror.json"
RDF_NS = str(RDF)
PREFIXES = f"@prefix ipo: <{IPO}> .\n@prefix xsd: <{XSD}> .\n@prefix rdf: <{RDF_NS}> .\n"
RDF_XML_HEAD = (f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ipo="{IPO}">\n'
                f'<ipo:ProcurementCase rdf:about="{CASE}x"><ipo:caseId>x</ipo:caseId>\n')
RDF_XML_TAIL = "</ipo:ProcurementCase>\n</rdf:RDF>\n"


def turtle(*statements: str, case_id: str = "x") -> str:
    """A Turtle case ``x`` with extra predicate-object pairs."""
    extra = "".join(f" ;\n    {s}" for s in statements)
    return f'{PREFIXES}<{CASE}{case_id}> a ipo:ProcurementCase ; ipo:caseId "{case_id}"{extra} .\n'


def rdf_xml(body: str, doctype: str = "") -> str:
    return f'<?xml version="1.0"?>\n{doctype}\n{RDF_XML_HEAD}{body}\n{RDF_XML_TAIL}'


def json_ld(context: Any, **extra: Any) -> str:
    node = {"@id": f"{CASE}x", "@type": f"{IPO}ProcurementCase", f"{IPO}caseId": "x", **extra}
    return json.dumps({"@context": context, **node} if context is not None else node)


def by_name(*rows: tuple[Any, ...]) -> list[Any]:
    """Parameters whose test id is the file name in their first field."""
    return [pytest.param(*row, id=row[0]) for row in rows]


def refused_file(tmp_path: Path, name: str, content: str | bytes, *, seconds: float = 10
                 ) -> CaseError:
    """Write ``content`` as ``name``, load it in the sandbox and return the CaseError it must
    raise; every problem must name that file, and nothing outside it may be read."""
    path = write(tmp_path, name, content)
    with Sandbox(path) as box, within(seconds):
        error = case_refusal(path)
    box.assert_clean()
    assert {p.source for p in error.problems} == {str(path)}, [str(p) for p in error.problems]
    return error


@pytest.fixture(scope="module", autouse=True)
def memory_cap():
    """Hostile input is loaded in this process too: cap it, so that a regression fails with a
    MemoryError instead of exhausting the machine."""
    with soft_memory_limit(4 * 1024**3):
        yield


# -- 1. the limits ---------------------------------------------------------------------------
def test_limits_are_a_frozen_dataclass_with_the_documented_defaults():
    """One place states how much innoproc reads; the values are part of the contract."""
    from innoproc.reading.limits import Limits

    assert dataclasses.is_dataclass(Limits)
    defaults = Limits()
    assert {f: getattr(defaults, f) for f in DEFAULT_LIMITS} == DEFAULT_LIMITS
    with pytest.raises(dataclasses.FrozenInstanceError):
        defaults.max_depth = 1_000_000  # type: ignore[misc]


def _limits_in_a_fresh_process(env: dict[str, str]) -> dict[str, int]:
    code = ("import dataclasses, json\nfrom innoproc.reading.limits import current_limits\n"
            "print(json.dumps(dataclasses.asdict(current_limits())))")
    environment = {k: v for k, v in os.environ.items() if k != "INNOPROC_LIMITS"} | env
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_current_limits_are_the_defaults_when_the_environment_says_nothing():
    limits = _limits_in_a_fresh_process({})
    assert {k: limits[k] for k in DEFAULT_LIMITS} == DEFAULT_LIMITS


def test_innoproc_limits_raises_the_limits_of_a_new_process():
    """A deployment that reads bigger inputs raises the limits without code."""
    limits = _limits_in_a_fresh_process(
        {"INNOPROC_LIMITS": "max_file_bytes=5000000,max_depth=100"})
    assert limits == DEFAULT_LIMITS | {"max_file_bytes": 5_000_000, "max_depth": 100}


def test_a_raised_depth_limit_is_the_one_the_reader_applies(tmp_path):
    """The same 80-deep case is too deep by default and merely wrong with max_depth=100: the
    environment variable reaches the reader, not just current_limits()."""
    path = write(tmp_path, "deep80.json", '{"id": "x", "title": ' + nested(80) + "}")
    default = isolated("case", path)
    raised = isolated("case", path, env={"INNOPROC_LIMITS": "max_depth=100"})
    assert default["outcome"] == "refused" and "input/too-deep" in result_codes(default), default
    assert raised["outcome"] == "refused", raised
    assert "input/too-deep" not in result_codes(raised), raised


# -- 2. each kind of hostile case file, refused with its code ---------------------------------
def _many_keys(n: int) -> str:
    return '{"id": "x", ' + ", ".join(f'"k{i}": 1' for i in range(n)) + "}"


CASE_FILES = [
    # encoding
    ("latin1.yaml", "id: x\ntitle: Caf\xe9\n".encode("latin-1"), "input/encoding"),
    ("utf16-bom.yaml", "id: x\ntitle: t\n".encode("utf-16"), "input/encoding"),
    ("utf16-bom.json", '{"id": "x"}'.encode("utf-16"), "input/encoding"),
    ("utf16-bom.ttl", turtle().encode("utf-16"), "input/encoding"),
    ("cp1252.jsonld", json_ld({"ipo": IPO}, **{f"{IPO}title": "\u20ac"}).replace(
        "\\u20ac", "\u20ac").encode("cp1252"), "input/encoding"),
    # control characters, raw in the file
    ("nul.yaml", b"id: x\ntitle: a\x00b\n", "input/control-character"),
    ("esc.yaml", b"id: x\ntitle: a\x1b[2Jb\n", "input/control-character"),
    ("del.json", b'{"id": "x", "title": "a\x7fb"}', "input/control-character"),
    ("bell.ttl", turtle('ipo:title "a\x07b"').encode(), "input/control-character"),
    ("vt.jsonld", json_ld({"ipo": IPO}).encode().replace(b'"x"}', b'"x\x0b"}'),
     "input/control-character"),
    # YAML features the policy refuses
    ("alias.yaml", "id: x\ntitle: &t hello\norganisation: *t\n", "input/alias"),
    ("anchor.yaml", "id: x\ntitle: &t hello\n", "input/alias"),
    ("merge.yaml", "defaults: &d {trl: 3}\n<<: *d\nid: x\n", "input/alias"),
    ("binary.yaml", "id: x\ntitle: !!binary aGVsbG8=\n", "input/tag"),
    ("python.yaml", "id: x\ntitle: !!python/object/apply:os.system ['true']\n", "input/tag"),
    ("custom.yaml", "id: x\ntitle: !custom hello\n", "input/tag"),
    ("python-tag.yaml", "id: x\ntrl: !!python/int '3'\n", "input/tag"),
    ("include.yaml", "id: x\ntitle: !include /etc/passwd\n", "input/tag"),
    # duplicate keys
    ("dup.json", '{"id": "x", "title": "a", "title": "b"}', "input/duplicate-key"),
    ("dup-escaped.json", '{"id": "x", "\\u0069d": "y"}', "input/duplicate-key"),
    # numbers
    ("nan.yaml", "id: x\nestimated_value_eur: .nan\n", "input/number"),
    ("inf.yaml", "id: x\nestimated_value_eur: .inf\n", "input/number"),
    ("nan.json", '{"id": "x", "estimated_value_eur": NaN}', "input/number"),
    ("inf.json", '{"id": "x", "estimated_value_eur": Infinity}', "input/number"),
    ("minus-inf.json", '{"id": "x", "estimated_value_eur": -Infinity}', "input/number"),
    ("digits.json", '{"id": "x", "estimated_value_eur": ' + "9" * 5000 + "}", "input/number"),
    ("digits.yaml", "id: x\nestimated_value_eur: " + "9" * 5000 + "\n", "input/number"),
    ("digits-trl.yaml", "id: x\ntrl: " + "9" * 5000 + "\n", "input/number"),
    ("digits.ttl", turtle("ipo:estimatedValueEur " + "9" * 5000), "input/number"),
    ("exponent.json", '{"id": "x", "estimated_value_eur": 1e999999999}', "input/number"),
    ("exponent.ttl", turtle("ipo:estimatedValueEur 1e999999999"), "input/number"),
    ("41-chars.json", '{"id": "x", "estimated_value_eur": ' + "1" * 41 + "}", "input/number"),
    # depth, counts, sizes
    ("deep.json", '{"id": "x", "title": ' + nested(100) + "}", "input/too-deep"),
    ("deep-map.json", '{"id": "x", "title": ' + nested(100, '{"a": ', "}", "1") + "}",
     "input/too-deep"),
    ("deep.yaml", "id: x\ntitle: " + nested(100) + "\n", "input/too-deep"),
    ("deep-block.yaml", "id: x\n" + "".join("  " * i + "a:\n" for i in range(100)) + "  " * 100
     + "b: 1\n", "input/too-deep"),
    ("wide.json", _many_keys(1_001), "input/too-many"),
    ("wide.yaml", "id: x\n" + "".join(f"k{i}: 1\n" for i in range(1_001)), "input/too-many"),
    ("long-list.yaml", "id: x\nphases: [" + ", ".join(["research"] * 10_001) + "]\n",
     "input/too-many"),
    ("nodes.json", '{"id": "x", "notes": [' + ", ".join(["[" + ",".join(["1"] * 30) + "]"]
                                                      * 9_000) + "]}", "input/too-many"),
    ("triples.ttl", turtle() + "".join(f'<{CASE}x/{i}> ipo:title "t" .\n' for i in range(10_001)),
     "input/too-many"),
    ("long-text.yaml", "id: x\ntitle: " + "a" * 100_001 + "\n", "input/too-large"),
    ("long-text.json", '{"id": "x", "title": "' + "a" * 100_001 + '"}', "input/too-large"),
    ("long-text.ttl", turtle(f'ipo:title "{"a" * 100_001}"'), "input/too-large"),
    ("big.json", '{"id": "x"}' + " " * 2_000_000, "input/too-large"),
    ("big.yaml", "id: x\n#" + "c" * 2_000_000 + "\n", "input/too-large"),
    # XML: no DOCTYPE, no entities
    ("doctype.rdf", rdf_xml("<ipo:title>&e;</ipo:title>", '<!DOCTYPE rdf:RDF [<!ENTITY e "t">]>'),
     "input/external-entity"),
    ("file-entity.rdf", rdf_xml("<ipo:title>&e;</ipo:title>",
                                '<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>'),
     "input/external-entity"),
    ("remote-dtd.rdf", rdf_xml("", f'<!DOCTYPE rdf:RDF SYSTEM "{NOWHERE}">'),
     "input/external-entity"),
    ("parameter-entity.owl", rdf_xml("", '<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM '
                                         '"file:///etc/passwd"> %p;]>'), "input/external-entity"),
    ("doctype.trix", '<?xml version="1.0"?>\n<!DOCTYPE TriX [<!ENTITY e SYSTEM '
                     '"file:///etc/passwd">]>\n<TriX xmlns="http://www.w3.org/2004/03/trix/'
                     'trix-1/"><graph><triple><uri>a</uri><uri>b</uri><plainLiteral>&e;'
                     "</plainLiteral></triple></graph></TriX>\n", "input/external-entity"),
    # JSON-LD contexts: only inline ones and the project's own IRI
    ("remote.jsonld", json_ld(NOWHERE), "input/context"),
    ("path.jsonld", json_ld("/etc/passwd"), "input/context"),
    ("file-url.jsonld", json_ld("file:///etc/passwd"), "input/context"),
    ("relative.jsonld", json_ld("ctx.jsonld"), "input/context"),
    ("scheme-relative.jsonld", json_ld("//127.0.0.1:9/x"), "input/context"),
    ("list.jsonld", json_ld([{"ipo": IPO}, NOWHERE]), "input/context"),
    ("import.jsonld", json_ld({"@import": NOWHERE, "ipo": IPO}), "input/context"),
    ("nested.jsonld", json_ld({"ipo": IPO}, **{f"{IPO}title": {
        "@context": NOWHERE, "@id": "http://example.org/n"}}), "input/context"),
    ("scoped.jsonld", json_ld({"ipo": {"@id": IPO, "@context": NOWHERE}}), "input/context"),
    # RDF datasets and blank nodes
    ("named.trig", PREFIXES + "<http://example.org/g> {\n" + turtle().split("\n", 3)[3] + "}\n",
     "input/named-graph"),
    ("named.nq", f'<{CASE}x> <{RDF_NS}type> <{IPO}ProcurementCase> <http://example.org/g> .\n'
                 f'<{CASE}x> <{IPO}caseId> "x" <http://example.org/g> .\n', "input/named-graph"),
    ("blank.ttl", PREFIXES + '[] a ipo:ProcurementCase ; ipo:caseId "x" .\n', "case/blank-node"),
    ("blank.nt", f'_:c <{RDF_NS}type> <{IPO}ProcurementCase> .\n_:c <{IPO}caseId> "x" .\n',
     "case/blank-node"),
    ("blank.jsonld", json.dumps({"@type": f"{IPO}ProcurementCase", f"{IPO}caseId": "x"}),
     "case/blank-node"),
]


@pytest.mark.parametrize("name, content, code", CASE_FILES, ids=[c[0] for c in CASE_FILES])
def test_each_kind_of_hostile_case_file_is_refused_with_its_code(tmp_path, name, content, code):
    """Each row is one thing the reading policy refuses; the code says which, for tools."""
    error = refused_file(tmp_path, name, content)
    assert code in codes(error), [p.labelled() for p in error.problems]


def test_a_named_graph_is_refused_naming_the_graph(tmp_path):
    """Triples in a named graph would be dropped silently; the message says which graph."""
    statement = turtle().split("\n", 3)[3]
    text = PREFIXES + "GRAPH <http://example.org/elsewhere> {\n" + statement + "}\n"
    error = refused_file(tmp_path, "named.trig", text)
    (problem,) = [p for p in error.problems if p.code == "input/named-graph"]
    assert "http://example.org/elsewhere" in problem.message


LINE_BREAKERS = [
    ("cr-key.json", '{"id": "x", "\\r": 1}'),
    ("newline-key.json", '{"id": "x", "a\\nb": 1}'),
    ("control-key.json", '{"id": "x", "a\\u0084\\r": 1}'),
    ("cr-key.yaml", 'id: x\n"a\\rb": 1\n'),
    ("newline-value.yaml", 'id: x\nlegal_regime: "own\\nrules"\n'),
    ("newline-iri.ttl", PREFIXES + f'<{CASE}abc\n> a ipo:ProcurementCase ; ipo:caseId "abc" .\n'),
    ("newline-id.ttl", turtle().replace('"x"', '"x\\n"')),
    ("escape-key.json", '{"id": "x", "\\u001b[2J": 1}'),
]


@pytest.mark.parametrize("name, content", LINE_BREAKERS, ids=[n for n, _ in LINE_BREAKERS])
def test_text_from_the_input_never_breaks_a_problem_line(tmp_path, name, content):
    """Keys, values and IRIs are quoted in messages; a line break or control character in them
    must not split a problem over two lines (refused_file checks every problem is one line)."""
    error = refused_file(tmp_path, name, content)
    for problem in error.problems:
        assert not C0_CONTROLS.search(str(problem)), str(problem)


def test_a_mapping_value_never_breaks_a_problem_line():
    error = case_refusal({"id": "x", "procedure": ["open\r\n# injected", "pcp"]})
    assert not [str(p) for p in error.problems if C0_CONTROLS.search(str(p))]


@pytest.mark.parametrize("rule_id", ['"abc\\n"', '"abc\\r\\e[2J"'])
def test_a_rule_id_never_breaks_a_kb_problem_line(tmp_path, rule_id):
    """kb_refusal checks that every problem is one line; C0 controls must not pass either."""
    text = rule_file(rule(id=rule_id, when="      award_basis: nope"))
    folder = kb_folder(tmp_path, {"ids": text})
    error = kb_refusal(folder)
    assert not [str(p) for p in error.problems if C0_CONTROLS.search(str(p))]


AT_LIMITS = [
    ("wide-ok.json", _many_keys(999)),  # 1,000 keys with the id: the limit itself
    ("list-ok.yaml", "id: x\nphases: [" + ", ".join(["research"] * 10_000) + "]\n"),
    ("text-ok.json", '{"id": "x", "title": "' + "a" * 100_000 + '"}'),
    ("number-ok.json", '{"id": "x", "estimated_value_eur": ' + "1" * 40 + "}"),
    ("size-ok.json", '{"id": "x"}' + " " * (2_000_000 - 11)),
]


@pytest.mark.parametrize("name, content", AT_LIMITS, ids=[n for n, _ in AT_LIMITS])
def test_input_exactly_at_a_limit_is_not_refused_for_that_limit(tmp_path, name, content):
    """The limits are maxima, not off by one: what reaches a limit is read."""
    path = write(tmp_path, name, content)
    try:
        load_case(path)
    except CaseError as exc:
        limit_codes = {"input/too-many", "input/too-large", "input/number", "input/too-deep"}
        assert not limit_codes & set(codes(exc)), [p.labelled() for p in exc.problems]


# -- 2b. mappings, graphs and paths ------------------------------------------------------------
def _cyclic_dict() -> dict[str, Any]:
    case: dict[str, Any] = {"id": "x"}
    case["title"] = case
    return case


def _cyclic_list() -> dict[str, Any]:
    items: list[Any] = []
    items.append(items)
    return {"id": "x", "phases": items}


def _deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


MAPPINGS: list[tuple[str, Callable[[], Any]]] = [
    ("deep-list", lambda: {"id": "x", "title": _deep_list(100_000)}),
    ("cyclic-dict", _cyclic_dict),
    ("cyclic-list", _cyclic_list),
    ("nan", lambda: {"id": "x", "estimated_value_eur": float("nan")}),
    ("inf", lambda: {"id": "x", "estimated_value_eur": float("inf")}),
    ("huge-int", lambda: {"id": "x", "estimated_value_eur": 10**5000}),
    ("huge-trl", lambda: {"id": "x", "trl": 10**5000}),
    ("decimal-nan", lambda: {"id": "x", "estimated_value_eur": Decimal("NaN")}),
    ("bytes", lambda: {"id": "x", "title": b"t"}),
    ("set", lambda: {"id": "x", "phases": {"research"}}),
    ("object", lambda: {"id": "x", "title": object()}),
    ("complex", lambda: {"id": "x", "trl": 3j}),
    ("int-key", lambda: {"id": "x", 1: "one"}),
    ("none-key", lambda: {"id": "x", None: "none"}),
    ("tuple-key", lambda: {"id": "x", ("a",): "a"}),
    ("bytes-id", lambda: {"id": b"x"}),
    ("many-keys", lambda: {"id": "x"} | {f"k{i}": 1 for i in range(1_001)}),
    ("long-text", lambda: {"id": "x", "title": "a" * 100_001}),
    ("nul-text", lambda: {"id": "x", "title": "a\x00b"}),
    ("surrogate", lambda: {"id": "x", "title": "\ud800"}),
]


@pytest.mark.parametrize("make", [m for _, m in MAPPINGS], ids=[n for n, _ in MAPPINGS])
def test_a_hostile_mapping_is_refused_with_case_error_only(make):
    """A mapping from another program is input too: no RecursionError, TypeError or
    ValueError, whatever it holds."""
    source = make()
    with Sandbox() as box, within(10):
        case_refusal(source)
    box.assert_clean()


def _graph(*triples: tuple[Any, Any, Any]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


IPO_CASE = URIRef(IPO + "ProcurementCase")
CASE_X = URIRef(CASE + "x")
GRAPHS: list[tuple[str, Callable[[], Graph], str | None]] = [
    ("blank-subject", lambda: _graph((b := BNode(), RDF.type, IPO_CASE),
                                     (b, URIRef(IPO + "caseId"), Literal("x"))),
     "case/blank-node"),
    ("too-many-triples", lambda: _graph((CASE_X, RDF.type, IPO_CASE),
                                        (CASE_X, URIRef(IPO + "caseId"), Literal("x")),
                                        *((URIRef(f"{CASE}x/{i}"), URIRef(IPO + "title"),
                                           Literal("t")) for i in range(10_001))),
     "input/too-many"),
    ("literal-subject", lambda: _graph((Literal("x"), RDF.type, IPO_CASE)), None),
    ("huge-decimal", lambda: _graph((CASE_X, RDF.type, IPO_CASE),
                                    (CASE_X, URIRef(IPO + "caseId"), Literal("x")),
                                    (CASE_X, URIRef(IPO + "estimatedValueEur"),
                                     Literal("9" * 5000, datatype=URIRef(XSD + "decimal")))),
     "input/number"),
]


@pytest.mark.parametrize("make, code", [(m, c) for _, m, c in GRAPHS], ids=[g[0] for g in GRAPHS])
def test_a_hostile_graph_is_refused_with_case_error_only(make, code):
    with Sandbox() as box, within(10):
        error = case_refusal(make())
    box.assert_clean()
    if code:
        assert code in codes(error), [p.labelled() for p in error.problems]


def _unix_socket(tmp_path: Path) -> Path:
    """A Unix socket named like a case (bound by relative name: socket paths are short)."""
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        server = socket.socket(socket.AF_UNIX)
        server.bind("socket.yaml")
        server.close()
    finally:
        os.chdir(here)
    return tmp_path / "socket.yaml"


PATHS: list[tuple[str, Callable[[Path], Any], str | None]] = [
    ("nul-in-name", lambda d: str(d / "a\x00b.yaml"), None),
    ("name-too-long", lambda d: str(d / ("a" * 300 + ".yaml")), None),
    ("path-too-long", lambda d: str(d / ("x/" * 3000 + "c.yaml")), None),
    ("symlink-loop", lambda d: (d / "loop.yaml").symlink_to(d / "loop.yaml") or d / "loop.yaml",
     None),
    ("dangling-symlink", lambda d: (d / "gone.yaml").symlink_to(d / "nothing.yaml")
     or d / "gone.yaml", None),
    ("folder-named-yaml", lambda d: (d / "case.yaml").mkdir() or d / "case.yaml",
     "input/not-regular-file"),
    ("unix-socket", _unix_socket, "input/not-regular-file"),
]


@pytest.mark.parametrize("make, code", [(m, c) for _, m, c in PATHS], ids=[p[0] for p in PATHS])
def test_a_path_that_is_not_a_readable_case_file_is_refused(tmp_path, make, code):
    """Odd paths are bad input like odd content: CaseError, not ValueError or OSError."""
    source = make(tmp_path)
    with within(10):
        error = case_refusal(source)
    if code:
        assert code in codes(error), [p.labelled() for p in error.problems]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_case_file_is_refused(tmp_path):
    path = write(tmp_path, "locked.yaml", "id: x\n")
    path.chmod(0)
    assert "input/unreadable" in codes(case_refusal(path))


# -- 3. no silent loss -------------------------------------------------------------------------
SILENT_LOSS = [
    ("trl: []", "trl"),
    ("procedure: []", "procedure"),
    ("trl: [5]", "trl"),
    ("title: [[x]]", "title"),
    ("id: [x]", "id"),
    ('id: "abc\\n"', "id"),
    ('estimated_value_eur: "12"', "estimated_value_eur"),
    ('trl: "3"', "trl"),  # refused today: the reference for the row above
]


@pytest.mark.parametrize("line, key", SILENT_LOSS, ids=[s[0] for s in SILENT_LOSS])
@pytest.mark.parametrize("form", ["yaml", "json", "mapping"])
def test_a_value_that_would_be_lost_or_coerced_is_refused(tmp_path, line, key, form):
    """A list where one value belongs, an empty list, a string where a number belongs, a
    trailing newline in an id: each would change the case silently, so each is refused and the
    problem names the key."""
    mapping = {"id": "loss", "title": "t"} | yaml.safe_load(line)
    if form == "mapping":
        error = case_refusal(mapping)
    elif form == "json":
        error = refused_file(tmp_path, "loss.json", json.dumps(mapping, indent=1))
    else:
        text = "".join(f"{k}: {v}\n" for k, v in (("id", "loss"), ("title", "t"))
                       if k != key) + line + "\n"
        error = refused_file(tmp_path, "loss.yaml", text)
    assert any(p.key == key for p in error.problems), [p.labelled() for p in error.problems]


def test_json_with_two_ids_is_refused_not_read_as_the_last(tmp_path):
    error = refused_file(tmp_path, "two-ids.json", '{"id": "first", "title": "t", "id": "second"}')
    assert "input/duplicate-key" in codes(error)


@pytest.mark.parametrize("statement", ['ipo:estimatedValueEur "12"',
                                       'ipo:estimatedValueEur "12"^^xsd:string',
                                       'ipo:trl "3"'])
def test_a_turtle_string_for_a_number_key_is_refused_too(tmp_path, statement):
    """Turtle must not coerce text into a number that YAML and JSON refuse."""
    refused_file(tmp_path, "string-number.ttl", turtle(statement))


# -- 4. no network, no file but the one given --------------------------------------------------
def test_the_projects_own_context_iri_is_allowed_and_not_fetched(tmp_path):
    """The one context a case may name is the project's own, served from the package."""
    path = write(tmp_path, "own.jsonld", json_ld(CONTEXT_IRI, **{f"{IPO}trl": 3}))
    with Sandbox(path) as box, within(10):
        case = load_case(path)
    box.assert_clean()
    assert case.facts["trl"] == 3


@pytest.mark.parametrize("name, content", by_name(
    ("entity.rdf", rdf_xml("<ipo:title>&e;</ipo:title>",
                           '<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>')),
    ("context.jsonld", json_ld("/etc/passwd")),
    ("context-url.jsonld", json_ld("file:///etc/passwd")),
    ("imports.ttl", turtle("<http://www.w3.org/2002/07/owl#imports> <file:///etc/passwd>")),
    ("base.ttl", "@base <file:///etc/> .\n" + turtle("ipo:title <passwd>")),
    ("include.yaml", "id: x\ntitle: !include /etc/passwd\n"),
    ("ref.json", '{"id": "x", "title": {"$ref": "file:///etc/passwd"}}'),
    ("context-key.json", '{"@context": "file:///etc/passwd", "id": "x"}'),
))
def test_no_case_makes_innoproc_open_another_file(tmp_path, name, content):
    """Entities, contexts, imports, bases and references that name /etc/passwd: the file is
    never opened (the audit hook sees every open), whatever the loader decides."""
    path = write(tmp_path, name, content)
    with Sandbox(path) as box, within(10):
        try:
            load_case(path)
        except CaseError:
            pass
    box.assert_clean()


@pytest.mark.parametrize("name, content", by_name(
    ("context.jsonld", json_ld(NOWHERE)),
    ("import.jsonld", json_ld({"@import": NOWHERE})),
    ("imports.ttl", turtle(f"<http://www.w3.org/2002/07/owl#imports> <{NOWHERE}>")),
    ("dtd.rdf", rdf_xml("", f'<!DOCTYPE rdf:RDF SYSTEM "{NOWHERE}">')),
    ("entity.rdf", rdf_xml("<ipo:title>&e;</ipo:title>",
                           f'<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{NOWHERE}">]>')),
    ("base.jsonld", json_ld({"@base": NOWHERE, "ipo": IPO})),
))
def test_no_case_makes_innoproc_touch_the_network(tmp_path, name, content):
    path = write(tmp_path, name, content)
    with Sandbox(path) as box, within(10):
        try:
            load_case(path)
        except CaseError:
            pass
    box.assert_clean()


def test_the_sandbox_would_see_a_network_request_and_an_outside_read(tmp_path):
    """The two checks above can fail: a request and a read outside the input are recorded."""
    outside = write(tmp_path, "outside.txt", "x")
    with Sandbox(tmp_path / "input.yaml") as box:
        outside.read_text()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert box.network and box.outside_reads() == [str(outside.resolve())]
    with pytest.raises(AssertionError):
        box.assert_clean()


# -- 5. rule folders ---------------------------------------------------------------------------
def _secret(tmp_path: Path, name: str, content: str) -> Path:
    return write(tmp_path / "outside", name, content)


SECRET_RULES = f"theme: x\ntitle: {SECRET}\nrules: {SECRET}\n"


def _assert_secret_safe(error: KnowledgeBaseError, box: Sandbox, secret: Path) -> None:
    for problem in error.problems:
        assert SECRET not in str(problem), str(problem)
    assert SECRET not in str(error)
    assert str(secret.resolve()) not in box.outside_reads(), "the file outside was opened"
    box.assert_clean()


def test_a_rule_file_symlinked_to_a_file_outside_the_folder_is_refused_unread(tmp_path):
    """A KB folder from someone else must not make innoproc read (and quote) other files."""
    secret = _secret(tmp_path, "secret.yaml", SECRET_RULES)
    folder = kb_folder(tmp_path, {"good": rule_file(rule())})
    (folder / "rules" / "evil.yaml").symlink_to(secret)
    with Sandbox(folder) as box, within(10):
        error = kb_refusal(folder)
    assert "input/outside-folder" in codes(error), [p.labelled() for p in error.problems]
    _assert_secret_safe(error, box, secret)


def test_a_rules_folder_that_is_a_symlink_outside_is_refused_unread(tmp_path):
    secret = _secret(tmp_path, "secret.yaml", SECRET_RULES)
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "rules").symlink_to(secret.parent, target_is_directory=True)
    with Sandbox(folder) as box, within(10):
        error = kb_refusal(folder)
    assert "input/outside-folder" in codes(error), [p.labelled() for p in error.problems]
    _assert_secret_safe(error, box, secret)


def test_a_schema_symlinked_outside_is_refused_unread(tmp_path):
    secret = _secret(tmp_path, "secret.json",
                     json.dumps({"type": "object", "properties": {"theme": {"const": SECRET}}}))
    folder = kb_folder(tmp_path, {"good": rule_file(rule())})
    (folder / "schema" / "rules.schema.json").unlink()
    (folder / "schema" / "rules.schema.json").symlink_to(secret)
    with Sandbox(folder) as box, within(10):
        error = kb_refusal(folder)
    assert "input/outside-folder" in codes(error), [p.labelled() for p in error.problems]
    _assert_secret_safe(error, box, secret)


def test_an_ontology_extension_symlinked_outside_is_refused_unread(tmp_path):
    secret = _secret(tmp_path, "secret.ttl", f"{SECRET} is not Turtle\n")
    folder = kb_folder(tmp_path, {"good": rule_file(rule())})
    (folder / "ontology").mkdir()
    (folder / "ontology" / "extra.ttl").symlink_to(secret)
    with Sandbox(folder) as box, within(10):
        error = kb_refusal(folder)
    assert "input/outside-folder" in codes(error), [p.labelled() for p in error.problems]
    _assert_secret_safe(error, box, secret)


def test_a_symlink_that_stays_inside_the_folder_is_read(tmp_path):
    """Only links leading out are refused: sharing a file inside the KB folder is fine."""
    folder = kb_folder(tmp_path, {})
    write(folder / "shared", "common.yaml", rule_file(rule()))
    (folder / "rules" / "common.yaml").symlink_to(Path("..") / "shared" / "common.yaml")
    with Sandbox(folder) as box, within(10):
        kb = KnowledgeBase.load(folder)
    box.assert_clean()
    assert [r.id for r in kb.rules] == ["r1"]


def test_a_kb_folder_given_through_a_symlink_is_read(tmp_path):
    """The folder named is the folder: a link to it is not a link out of it."""
    folder = kb_folder(tmp_path, {"good": rule_file(rule())})
    link = tmp_path / "kb-link"
    link.symlink_to(folder, target_is_directory=True)
    assert [r.id for r in KnowledgeBase.load(link).rules] == ["r1"]


def _deep_condition(depth: int) -> str:
    return "      " + "{not: " * depth + "{trl: 3}" + "}" * depth


RULE_FILES = [
    ("latin1", rule_file(rule()).replace("A rule", "Caf\xe9").encode("latin-1"), "input/encoding"),
    ("utf16", rule_file(rule()).encode("utf-16"), "input/encoding"),
    ("nul", rule_file(rule()).replace("Because.", "Be\x00cause."), "input/control-character"),
    ("escape", rule_file(rule()).replace("Because.", "Be\x1b[2Jcause."),
     "input/control-character"),
    ("alias", rule_file(rule().replace("Because.", "&why Because."),
                        rule(id="r2", conclusion="c2").replace("Because.", "*why")),
     "input/alias"),
    ("tag", rule_file(rule()).replace("Because.", "!!binary QmVjYXVzZS4="), "input/tag"),
    ("python-tag", rule_file(rule()).replace("Because.", "!!python/name:os.system"),
     "input/tag"),
    ("duplicate-key", rule_file(rule()).replace("    priority: 50\n",
                                                "    priority: 50\n    priority: 60\n"),
     "input/duplicate-key"),
    ("deep", rule_file(rule(when=_deep_condition(100))), "input/too-deep"),
    ("big", rule_file(rule()) + "#" + "c" * 2_000_000 + "\n", "input/too-large"),
    ("long-text", rule_file(rule()).replace("Because.", "a" * 100_001), "input/too-large"),
    ("digits", rule_file(rule()).replace("priority: 50", "priority: " + "9" * 5000),
     "input/number"),
    ("nan", rule_file(rule(when="      trl: {le: .nan}")), "input/number"),
    ("many-rules", "theme: x\ntitle: T\nrules: [" + ", ".join(["1"] * 10_001) + "]\n",
     "input/too-many"),
]


@pytest.mark.parametrize("name, content, code", RULE_FILES, ids=[r[0] for r in RULE_FILES])
def test_each_kind_of_hostile_rule_file_is_refused_with_its_code(tmp_path, name, content, code):
    folder = kb_folder(tmp_path, {name: content})
    with Sandbox(folder) as box, within(20):
        error = kb_refusal(folder)
    box.assert_clean()
    assert code in codes(error), [p.labelled() for p in error.problems][:10]
    assert any(p.source == str(folder / "rules" / f"{name}.yaml") for p in error.problems)


def test_a_folder_named_like_a_rule_file_is_refused(tmp_path):
    folder = kb_folder(tmp_path, {"good": rule_file(rule())})
    (folder / "rules" / "folder.yaml").mkdir()
    error = kb_refusal(folder)
    assert "input/not-regular-file" in codes(error), [p.labelled() for p in error.problems]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_rule_file_is_refused(tmp_path):
    folder = kb_folder(tmp_path, {"locked": rule_file(rule())})
    (folder / "rules" / "locked.yaml").chmod(0)
    assert "input/unreadable" in codes(kb_refusal(folder))


@pytest.mark.parametrize("ref", [NOWHERE, "https://example.org/rules.schema.json",
                                 "file:///etc/passwd"])
def test_a_schema_that_refers_outside_is_refused_without_fetching(tmp_path, ref):
    """jsonschema would follow a remote $ref; the KB's schema must be self-contained."""
    schema = json.dumps({"type": "object", "properties": {"theme": {"$ref": ref}}})
    folder = kb_folder(tmp_path, {"good": rule_file(rule())}, schema=schema)
    with Sandbox(folder) as box, within(10):
        error = kb_refusal(folder)
    box.assert_clean()
    assert "kb/schema-file" in codes(error), [p.labelled() for p in error.problems]


@pytest.mark.parametrize("schema", [
    {"$dynamicRef": "#nowhere"},
    {"type": "object", "properties": {"theme": {"$ref": "#/$defs/missing"}}},
    {"type": "object", "properties": {"theme": {"pattern": "("}}},
    {"type": "object", "properties": {"theme": {"type": "no-such-type"}}},
], ids=["dynamic-ref", "missing-def", "bad-regex", "bad-type"])
def test_a_broken_kb_schema_is_refused_as_a_schema_file_problem(tmp_path, schema):
    """A schema that cannot be applied is the schema's fault, reported as such."""
    folder = kb_folder(tmp_path, {"good": rule_file(rule())}, schema=json.dumps(schema))
    with Sandbox(folder) as box, within(10):
        error = kb_refusal(folder)
    box.assert_clean()
    assert "kb/schema-file" in codes(error), [p.labelled() for p in error.problems]


def test_a_normal_form_at_the_limit_is_accepted(tmp_path):
    """12 two-way choices make 4,096 alternatives: exactly max_normal_form, still read."""
    folder = kb_folder(tmp_path, {"choices": rule_file(rule(when=two_way_choices(12)))})
    with within(60):
        kb = KnowledgeBase.load(folder)
    assert [r.id for r in kb.rules] == ["r1"]


def test_a_normal_form_over_the_limit_is_refused_with_the_rules_line(tmp_path):
    """13 two-way choices make 8,192 alternatives: refused at the rule, saying how many."""
    folder = kb_folder(tmp_path, {"choices": rule_file(rule(when=two_way_choices(13)))})
    with within(20):
        error = kb_refusal(folder)
    (problem,) = [p for p in error.problems if p.code == "kb/too-complex"]
    assert problem.source == str(folder / "rules" / "choices.yaml")
    assert problem.line in (4, 9), problem  # the rule's line (or its `when:`)
    assert "8192" in re.sub(r"[,_\s\u202f\u00a0']", "", problem.message), problem.message


# -- 6. output: a case's text cannot drive the terminal or inject Markdown ----------------------
ESCAPE_CASES = [
    ("title.yaml", 'id: esc\ntitle: "Valves \\e]0;pwned\\a boxes \\e[2J"\ntrl: 3\n'),
    ("organisation.yaml", 'id: esc\ntitle: Valves\norganisation: "\\e[31mCERN\\e[0m"\ntrl: 3\n'),
    ("title.json", '{"id": "esc", "title": "Valves \\u001b]0;pwned\\u0007 \\u001b[2J", "trl": 3}'),
]
C0_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@pytest.mark.parametrize("name, content", ESCAPE_CASES, ids=[e[0] for e in ESCAPE_CASES])
def test_terminal_escapes_in_a_case_never_reach_the_terminal_raw(tmp_path, name, content):
    """Refused or shown escaped, an escape sequence from a case must not reach stdout (nor
    stderr, which is a terminal too); nor may the BEL that ends an OSC sequence."""
    path = write(tmp_path, name, content)
    result = runner.invoke(app, ["advise", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert_no_crash_output(result.stdout, result.stderr)
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream, stream
        assert not C0_CONTROLS.search(stream), stream


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "turtle"])
def test_a_lone_surrogate_in_a_case_does_not_crash_the_output(tmp_path, fmt):
    """YAML and JSON escapes can spell half a UTF-16 pair, which no output encoding can write:
    refuse the case or write it escaped, but never fail while printing."""
    path = write(tmp_path, "surrogate.yaml", 'id: half\ntitle: "Valves \\uD800 boxes"\ntrl: 3\n')
    result = runner.invoke(app, ["advise", str(path), "--format", fmt])
    assert result.exit_code in (0, 2), result.output
    assert_no_crash_output(result.stdout, result.stderr)


@pytest.mark.parametrize("title", [
    "# Heading <script>alert(1)</script> *x*",
    "Valve boxes\n# Heading injected <script>alert(1)</script>",
])
def test_markdown_output_escapes_a_case_title(tmp_path, title):
    path = write(tmp_path, "md.yaml", yaml.safe_dump({"id": "md", "title": title, "trl": 3}))
    result = runner.invoke(app, ["advise", str(path), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.lstrip().startswith("# Heading")], result.stdout
    assert "<script>" not in result.stdout


# -- 7. resources: inputs built to exhaust memory or time, loaded in a capped child -------------
YAML_BOMB = "".join(
    f"{name}: &{name} [" + ", ".join([f"*{prev}" if prev else '"lol"'] * 9) + "]\n"
    for prev, name in zip([""] + list("abcdefgh"), "abcdefghi", strict=True)) + "id: x\n"
XML_LAUGHS = rdf_xml("<ipo:title>&l9;</ipo:title>", "<!DOCTYPE rdf:RDF [\n<!ENTITY l0 \"lol\">\n"
                     + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">\n' for i in range(1, 10))
                     + "]>")
XML_QUADRATIC = rdf_xml("<ipo:title>" + "&big;" * 15_000 + "</ipo:title>",
                        f'<!DOCTYPE rdf:RDF [<!ENTITY big "{"A" * 100_000}">]>')
XML_AMPERSANDS = rdf_xml("<ipo:title>" + "&amp;" * 399_000 + "</ipo:title>")


def _sparse(folder: Path, name: str, size: int) -> Path:
    path = write(folder, name, "id: x\ntitle: ")
    with path.open("r+b") as handle:
        handle.truncate(size)
    return path


def _fifo(folder: Path, name: str) -> Path:
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def _fifo_context(folder: Path) -> Path:
    fifo = _fifo(folder, "context-fifo")
    return write(folder, "fifo-context.jsonld", json_ld(str(fifo)))


def _dev_zero(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zero.yaml").symlink_to("/dev/zero")
    return folder / "zero.yaml"


def _kb_with_fifo(folder: Path) -> Path:
    kb = kb_folder(folder, {"good": rule_file(rule())})
    os.mkfifo(kb / "rules" / "pipe.yaml")
    return kb


def _kb_with_regex(folder: Path) -> Path:
    schema = json.dumps({"type": "object", "properties": {"theme": {"type": "string",
                                                                     "pattern": "^(a+)+$"}}})
    return kb_folder(folder, {"slow": rule_file(rule(), theme="a" * 40 + "!")}, schema=schema)


def _kb_with_at_least_bomb(folder: Path) -> Path:
    tests = ", ".join(f"{{estimated_value_eur: {{ge: {i}}}}}" for i in range(24))
    when = f"      at_least: 12\n      of: [{tests}]"
    return kb_folder(folder, {"bomb": rule_file(rule(when=when))})


@dataclass(frozen=True)
class Heavy:
    """One input built to exhaust memory or time, and what refusing it must look like."""

    action: str  # "case", "kb" or "python" (see hostile.isolated)
    make: Callable[[Path], Any]
    code: str | None  # None: any CaseError (the contract names no code for mappings)
    seconds: float = 10  # the load itself, after the child's warm-up
    timeout: float = 30  # the whole child


HEAVY = {
    "yaml-alias-bomb": Heavy("case", lambda d: write(d, "bomb.yaml", YAML_BOMB), "input/alias"),
    "xml-billion-laughs": Heavy("case", lambda d: write(d, "laughs.rdf", XML_LAUGHS),
                                "input/external-entity"),
    "xml-quadratic-blowup": Heavy("case", lambda d: write(d, "quadratic.rdf", XML_QUADRATIC),
                                  "input/external-entity"),
    "xml-ampersands": Heavy("case", lambda d: write(d, "amp.rdf", XML_AMPERSANDS),
                            "input/too-large"),  # as many as 2 MB holds: 399,000
    "turtle-decimal-exponent": Heavy("case", lambda d: write(
        d, "exp.ttl", turtle('ipo:estimatedValueEur "1e999999999"^^xsd:decimal')),
        "input/number"),
    "decimal-exponent-on-a-boolean": Heavy("case", lambda d: write(
        d, "exp-bool.ttl", turtle('ipo:iloInvolved "1e999999999"^^xsd:decimal')),
        "input/number"),
    "json-ld-decimal-exponent": Heavy("case", lambda d: write(d, "exp.jsonld", json_ld(
        {"ipo": IPO}, **{f"{IPO}estimatedValueEur": {"@value": "1E+999999999",
                                                      "@type": f"{XSD}decimal"}})),
        "input/number"),
    "mapping-decimal-exponent": Heavy("python", lambda d: write(d, "mapping.py", (
        "from decimal import Decimal\n"
        "source = {'id': 'x', 'estimated_value_eur': Decimal('1e999999999')}")), None),
    "graph-decimal-exponent": Heavy("python", lambda d: write(d, "graph.py", (
        "from rdflib import RDF, XSD, Graph, Literal, URIRef\n"
        f"case, ipo = URIRef('{CASE}x'), '{IPO}'\n"
        "source = Graph()\n"
        "source.add((case, RDF.type, URIRef(ipo + 'ProcurementCase')))\n"
        "source.add((case, URIRef(ipo + 'caseId'), Literal('x')))\n"
        # normalize=False: a normalised literal is expanded by rdflib itself when the caller
        # creates it (about 1 GB here), before innoproc sees the graph
        "source.add((case, URIRef(ipo + 'estimatedValueEur'),"
        " Literal('1e999999999', datatype=XSD.decimal, normalize=False)))")), "input/number"),
    "200-mb-file": Heavy("case", lambda d: _sparse(d, "huge.yaml", 200 * 1024**2),
                         "input/too-large"),
    "3-gib-file": Heavy("case", lambda d: _sparse(d, "vast.yaml", 3 * 1024**3), "input/too-large"),
    "fifo-case": Heavy("case", lambda d: _fifo(d, "pipe.yaml"), "input/not-regular-file"),
    "dev-zero-case": Heavy("case", _dev_zero, "input/not-regular-file"),
    "fifo-context": Heavy("case", _fifo_context, "input/context"),
    "kb-fifo-rule-file": Heavy("kb", _kb_with_fifo, "input/not-regular-file"),
    "kb-normal-form-bomb": Heavy("kb", lambda d: kb_folder(
        d, {"bomb": rule_file(rule(when=two_way_choices(22)))}), "kb/too-complex", seconds=5),
    "kb-at-least-bomb": Heavy("kb", _kb_with_at_least_bomb, "kb/too-complex", seconds=5),
}


@pytest.fixture(scope="module")
def heavy_results(tmp_path_factory):
    """Every HEAVY input loaded in its own capped child, two at a time (one per core, so that
    the time each takes is its own)."""
    def run(item: tuple[str, Heavy]) -> tuple[str, dict[str, Any]]:
        name, heavy = item
        target = heavy.make(tmp_path_factory.mktemp(name))
        return name, isolated(heavy.action, target, timeout=heavy.timeout)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, HEAVY.items()))


@pytest.mark.parametrize("name", list(HEAVY))
def test_an_input_built_to_exhaust_resources_is_refused_fast(heavy_results, name):
    """Refused with its code, in seconds, under a 2 GiB cap: not parsed, expanded or read whole
    first (a 3 GiB file cannot be read under that cap; a FIFO would block for ever)."""
    assert_refused(heavy_results[name], HEAVY[name].code, seconds=HEAVY[name].seconds)


def test_a_normal_form_bomb_is_reported_at_its_rule_with_the_size_it_would_reach(heavy_results):
    result = heavy_results["kb-normal-form-bomb"]
    problems = [p for p in result.get("problems", []) if p["code"] == "kb/too-complex"]
    assert problems, result
    assert problems[0]["line"] in (4, 9), problems  # the rule's line (or its `when:`)
    assert problems[0]["text"].split(":")[0].endswith("bomb.yaml"), problems
    assert "4194304" in re.sub(r"[,_\s\u202f\u00a0']", "", problems[0]["text"]), problems


def test_a_catastrophic_schema_pattern_does_not_hang_the_kb_check(tmp_path):
    """A KB's own schema may carry a pattern that backtracks exponentially; loading must still
    finish in seconds (refusing the pattern or the theme)."""
    result = isolated("kb", _kb_with_regex(tmp_path), timeout=20)
    assert result["outcome"] == "refused", result
    assert result["elapsed"] < 5, result


def test_json_with_100k_keys_is_refused_before_any_work_on_them(tmp_path):
    # a hang guard, not a speed test: refusing must not cost work per key (speed: benchmarks/)
    path = write(tmp_path, "keys.json", _many_keys(100_000))
    load_case({"id": "warm-up"})
    with Sandbox(path) as box, within(10):
        error = case_refusal(path)
    box.assert_clean()
    assert "input/too-many" in codes(error)


@pytest.mark.parametrize("name, content", by_name(
    ("brackets.yaml", "id: x\ntitle: " + nested(10_000) + "\n"),
    ("braces.yaml", "id: x\ntitle: " + nested(10_000, "{a: ", "}", "x") + "\n"),
    ("brackets.json", '{"id": "x", "title": ' + nested(10_000) + "}"),
    ("braces.json", '{"id": "x", "title": ' + nested(10_000, '{"a": ', "}", "1") + "}"),
    ("brackets.jsonld", json_ld({"ipo": IPO})[:-1] + f', "{IPO}title": ' + nested(10_000) + "}"),
))
def test_10000_levels_of_nesting_are_too_deep_not_a_recursion_error(tmp_path, name, content):
    error = refused_file(tmp_path, name, content)
    assert "input/too-deep" in codes(error), [p.labelled() for p in error.problems]


@pytest.mark.parametrize("content", [
    turtle("ipo:title " + nested(10_000, "[ ipo:x ", " ]", "1")),
    turtle("ipo:title " + nested(10_000, "( ", " )", "1")),
])
def test_deeply_nested_turtle_is_refused_not_a_recursion_error(tmp_path, content):
    refused_file(tmp_path, "deep.ttl", content)


# -- 8. the command line -------------------------------------------------------------------------
def test_validate_reports_every_file_even_after_hostile_ones(tmp_path):
    """One bad file must not hide the next: every file gets its verdict, and no traceback."""
    (tmp_path / "folder.yaml").mkdir()
    bad = {
        "latin1.yaml": "id: x\ntitle: Caf\xe9\n".encode("latin-1"),
        "nan.json": '{"id": "x", "estimated_value_eur": NaN}',
        "alias.yaml": "id: x\ntitle: &t a\norganisation: *t\n",
        "deep.json": '{"id": "x", "title": ' + nested(10_000) + "}",
        "digits.json": '{"id": "x", "trl": ' + "9" * 5000 + "}",
        "utf16.ttl": turtle().encode("utf-16"),
        "doctype.rdf": rdf_xml("", '<!DOCTYPE rdf:RDF [<!ENTITY e "t">]>'),
        "context.jsonld": json_ld(NOWHERE),
        "named.trig": PREFIXES + "<http://example.org/g> {\n" + turtle().split("\n", 3)[3] + "}\n",
    }
    paths = [write(tmp_path, name, content) for name, content in bad.items()]
    paths.append(tmp_path / "folder.yaml")
    arguments = [str(GOOD_YAML), *map(str, paths[:5]), str(GOOD_JSON), *map(str, paths[5:])]
    with Sandbox(tmp_path, GOOD_YAML, GOOD_JSON) as box:
        result = runner.invoke(app, ["validate", *arguments])
    box.assert_clean()
    assert result.exit_code == 2, result.output
    assert_no_crash_output(result.stdout, result.stderr)
    assert f"{GOOD_YAML}: ok" in result.stdout and f"{GOOD_JSON}: ok" in result.stdout
    reported = result.stderr.splitlines()
    for path in paths:
        assert any(line.startswith(str(path)) for line in reported), (path, result.stderr)


def test_validate_goes_past_a_fifo_without_hanging(tmp_path):
    fifo = _fifo(tmp_path, "pipe.yaml")
    result = cli_process("validate", str(GOOD_YAML), str(fifo), str(GOOD_JSON), timeout=30)
    assert result.returncode == 2, result.stderr
    assert_no_crash_output(result.stdout, result.stderr)
    assert f"{GOOD_YAML}: ok" in result.stdout and f"{GOOD_JSON}: ok" in result.stdout
    assert any(line.startswith(str(fifo)) for line in result.stderr.splitlines()), result.stderr


HOSTILE_FOR_ADVISE = [
    ("utf16.yaml", "id: x\ntitle: t\n".encode("utf-16")),
    ("bomb.yaml", YAML_BOMB),
    ("digits.json", '{"id": "x", "estimated_value_eur": ' + "9" * 5000 + "}"),
    ("deep.yaml", "id: x\ntitle: " + nested(10_000) + "\n"),
    ("context.jsonld", json_ld("/etc/passwd")),
]


@pytest.mark.parametrize("name, content", HOSTILE_FOR_ADVISE,
                         ids=[name for name, _ in HOSTILE_FOR_ADVISE])
def test_advise_on_a_hostile_case_exits_2_with_one_line_per_problem(tmp_path, name, content):
    path = write(tmp_path, name, content)
    result = cli_process("advise", str(path), timeout=60)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert_no_crash_output(result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith(str(path)) for line in lines), result.stderr


def test_kb_check_on_a_hostile_folder_exits_2_with_labelled_lines(tmp_path):
    secret = _secret(tmp_path, "secret.yaml", SECRET_RULES)
    folder = kb_folder(tmp_path, {"alias": RULE_FILES[4][1], "latin1": RULE_FILES[0][1]})
    (folder / "rules" / "evil.yaml").symlink_to(secret)
    result = runner.invoke(app, ["kb", "check", "--kb", str(folder)])
    assert result.exit_code == 2, result.output
    assert_no_crash_output(result.stdout, result.stderr)
    assert SECRET not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(re.search(r" \[(error|warning) [a-z]+/[a-z-]+\]$", line)
                         for line in lines), result.stderr
    for code in ("input/alias", "input/encoding", "input/outside-folder"):
        assert f" {code}]" in result.stderr, result.stderr


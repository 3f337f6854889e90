"""Parse a case written in an RDF syntax, within the reading policy.

rdflib will follow whatever a document asks of it: a JSON-LD ``@context`` naming a URL or a
local path is fetched or read, an RDF/XML ``<!DOCTYPE>`` may declare entities that expand a small
file into gigabytes, and a TriG or N-Quads file may spread a case over named graphs. Before rdflib
sees a document, this module refuses each of those by name: JSON-LD contexts must be written
inline or be the project's own context (shipped with the package and read from there), XML
syntaxes may not declare a document type, and statements in named graphs are refused naming the
graph. Only the syntaxes listed in :data:`SYNTAXES` are read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rdflib import Dataset, Graph
from rdflib.util import guess_format

from innoproc.errors import CaseError, InputError, Problem
from innoproc.ontology.resources import ontology_dir
from innoproc.reading.json_strict import load_json
from innoproc.reading.limits import Limits, current_limits, over_limit

#: rdflib format name -> what the user knows it as
SYNTAXES = {
    "turtle": "Turtle (.ttl)",
    "nt": "N-Triples (.nt)",
    "n3": "Notation3 (.n3)",
    "xml": "RDF/XML (.rdf, .owl)",
    "json-ld": "JSON-LD (.jsonld)",
    "trig": "TriG (.trig)",
    "nquads": "N-Quads (.nq)",
    "trix": "TriX (.trix)",
}
_XML = {"xml", "trix"}
_QUADS = {"trig", "nquads", "trix"}
#: the project's own JSON-LD context, which a case may name instead of writing it out
CONTEXT_IRI = "https://w3id.org/innoproc/context.jsonld"
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def rdf_syntax(name: str) -> str | None:
    """The rdflib format for a file name, if it is one innoproc reads."""
    found = guess_format(name)
    return found if found in SYNTAXES else None


def _refuse(source: str, message: str, code: str, line: int | None = None) -> CaseError:
    return CaseError([Problem(source, message, line, code=code)])


def parse_rdf(text: str, source: str, syntax: str, limits: Limits | None = None) -> Graph:
    """The statements of an RDF case document, outside any named graph."""
    limits = limits or current_limits()
    if syntax in _XML:
        found = _DOCTYPE.search(text)
        if found:
            raise _refuse(
                source,
                f"found a <!{found.group(1).upper()} declaration; allowed: RDF/XML without a "
                "document type (entities are never expanded)",
                "input/external-entity",
                text.count("\n", 0, found.start()) + 1,
            )
    _numbers_within(text, source, limits)
    if syntax == "json-ld":
        text = _with_known_contexts(text, source, limits)
    try:
        if syntax in _QUADS:
            graph = _default_graph(text, source, syntax)
        else:
            graph = Graph().parse(data=text, format=syntax)
    except CaseError:
        raise
    except Exception as exc:  # rdflib raises many unrelated types for bad syntax
        if "digits" in str(exc) and "limit" in str(exc).lower():  # Python's int conversion cap
            raise _refuse(source, "found an integer with too many digits", "input/number") from None
        raise CaseError([rdf_syntax_problem(source, syntax, exc)]) from None
    if len(graph) > limits.max_triples:
        raise _refuse(
            source,
            over_limit(limits, "max_triples", f"{len(graph):,} statements"),
            "input/too-many",
        )
    return graph


#: a number written with a power of ten of three digits or more, or a run of digits past any
#: amount: rdflib would expand either into its full decimal form (gigabytes) while parsing
_HUGE_EXPONENT = re.compile(r"[0-9.][eE][+-]?0*[0-9]{3,}")
_LONG_DIGITS = re.compile(r"[0-9]{41,}")


def _numbers_within(text: str, source: str, limits: Limits) -> None:
    """Refuse a number rdflib would expand beyond any real amount, before it parses it."""
    found = _HUGE_EXPONENT.search(text)
    run = _LONG_DIGITS.search(text)
    if run is not None and len(run.group()) <= limits.max_number_chars:
        run = None
    match = found or run
    if match is not None:
        raise _refuse(
            source,
            f"found the number {match.group()[:20]}...; allowed: numbers written with at most "
            f"{limits.max_number_chars} characters and below 1e{limits.max_exponent}",
            "input/number",
            text.count("\n", 0, match.start()) + 1,
        )


def _default_graph(text: str, source: str, syntax: str) -> Graph:
    dataset = Dataset()
    dataset.parse(data=text, format=syntax)
    named = sorted(
        str(g.identifier)
        for g in dataset.graphs()
        if g.identifier != dataset.default_graph.identifier and len(g)
    )
    if named:
        raise _refuse(
            source,
            f"found statements in the named graph(s) {', '.join(f'<{n}>' for n in named)}; "
            "allowed: statements in the default graph only (the case's own graph is named by "
            "innoproc)",
            "input/named-graph",
        )
    graph = Graph()
    for triple in dataset.default_graph:
        graph.add(triple)
    return graph


def _with_known_contexts(text: str, source: str, limits: Limits) -> str:
    """The JSON-LD text with the project's context written inline; any other reference refused."""
    try:
        document, _, duplicates = load_json(text, source, limits)
    except InputError as exc:
        raise CaseError(exc.problems) from None
    if duplicates:
        raise CaseError(duplicates)
    return json.dumps(_inline(document, source))


def _inline(value: Any, source: str) -> Any:
    if isinstance(value, list):
        return [_inline(v, source) for v in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if key == "@import":
            raise _refuse(
                source,
                f"found @import of {item!r:.80}; allowed: contexts written inline",
                "input/context",
            )
        result[key] = _context(item, source) if key == "@context" else _inline(item, source)
    return result


def _context(value: Any, source: str) -> Any:
    if isinstance(value, list):
        return [_context(v, source) for v in value]
    if value is None or isinstance(value, dict):
        return _inline(value, source)
    if value == CONTEXT_IRI:
        return json.loads((ontology_dir() / "context.jsonld").read_text(encoding="utf-8"))[
            "@context"
        ]
    raise _refuse(
        source,
        f"found the context {value!r:.80}; allowed: a context written inline, or {CONTEXT_IRI} "
        "(no context is fetched or read from elsewhere)",
        "input/context",
    )


def rdf_syntax_problem(source: str, syntax: str, exc: Exception) -> Problem:
    """One line for an rdflib parse error (its messages span lines and quote the input)."""
    why = getattr(exc, "_why", None)  # rdflib's Turtle/N3 BadSyntax
    if why is not None:
        line = getattr(exc, "lines", 0) + 1
        return Problem(source, f"malformed {syntax}: {why}", line, code="input/syntax")
    text = " ".join(str(exc).split())
    match = re.search(r"line:?\s*(\d+)", text, re.IGNORECASE)
    return Problem(
        source,
        f"malformed {syntax}: {text[:200]}",
        int(match.group(1)) if match else None,
        code="input/syntax",
    )

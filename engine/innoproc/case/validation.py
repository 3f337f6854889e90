"""Validate a case graph with the SHACL shapes and word the report for people.

pySHACL does the checking; this module only turns each validation result into one
:class:`Problem` naming the case-form key, the value found and what the key allows. What a key
allows is read from the same places the check used: the shapes for datatypes and ranges, the
ontology for the values of a choice.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from rdflib import RDF, RDFS, SH, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from innoproc.errors import Problem
from innoproc.ontology import IPO, CaseKey, Vocabulary

_KIND_WORDS = {
    XSD.integer: "an integer",
    XSD.decimal: "a number",
    XSD.boolean: "true or false",
    XSD.string: "text",
}

#: pySHACL parses the shapes' SPARQL constraint with rdflib's pyparsing grammar, whose shared
#: state breaks when two threads parse at once (and stays broken); one validation at a time.
_PYSHACL_LOCK = threading.Lock()

# When SHACL reports several results for one value, the first of these components says it best.
_PRECEDENCE = [
    SH.ClosedConstraintComponent,
    SH.MinCountConstraintComponent,
    SH.MaxCountConstraintComponent,
    SH.NodeKindConstraintComponent,
    SH.ClassConstraintComponent,
    SH.OrConstraintComponent,
    SH.DatatypeConstraintComponent,
    SH.MinInclusiveConstraintComponent,
    SH.MaxInclusiveConstraintComponent,
    SH.PatternConstraintComponent,
]


def _typing_graph(vocab: Vocabulary) -> Graph:
    """The ontology's rdf:type and rdfs:subClassOf statements: all that ``sh:class`` needs.

    pySHACL copies its ``ont_graph`` into every data graph it validates; the whole ontology
    (over 2,000 statements) made that copy the main cost of loading a case.
    """
    onto = vocab.graph
    typing = Graph()
    for predicate in (RDF.type, RDFS.subClassOf):
        for triple in onto.triples((None, predicate, None)):
            typing.add(triple)
    return typing


def _property_shapes(vocab: Vocabulary) -> dict[str, Node]:
    shapes = vocab.shapes
    return {
        str(shapes.value(s, SH.name)): s
        for s in shapes.subjects(SH.path, None)
        if shapes.value(s, SH.name) is not None
    }


def datatype_constraints(vocab: Vocabulary, name: str) -> str:
    """``an integer from 1 to 9``: the range of a datatype key, as the shapes define it."""
    shapes = vocab.shapes
    shape = vocab.derived("validation.property-shapes", _property_shapes).get(name)
    if shape is None:
        return "a value"
    datatype = shapes.value(shape, SH.datatype)
    words = _KIND_WORDS.get(datatype, "a value") if isinstance(datatype, URIRef) else "a value"
    low, high = shapes.value(shape, SH.minInclusive), shapes.value(shape, SH.maxInclusive)
    if low is not None and high is not None:
        words += f" from {low} to {high}"
    elif low is not None:
        words += f" ≥ {low}"
    elif high is not None:
        words += f" ≤ {high}"
    if shapes.value(shape, SH.pattern) is not None:
        words += " made of lowercase letters, digits and hyphens"
    return words


def _shown(value: Node | None) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Literal):
        text = str(value)
        kind = (
            {
                XSD.integer: "integer",
                XSD.decimal: "number",
                XSD.double: "number",
                XSD.boolean: "boolean",
            }.get(value.datatype, "text")
            if value.datatype is not None
            else "text"
        )
        return f"{text!r} ({kind})" if kind == "text" else f"{text} ({kind})"
    return _short(value)


def check_graph(
    graph: Graph,
    subject: Node,
    source: str,
    vocab: Vocabulary,
    lines: Mapping[str, int] | None = None,
) -> list[Problem]:
    """Problems of one case graph, one per key and value, in case-form order."""
    from pyshacl import validate  # a heavy import: only when a case is checked

    lines = lines or {}
    typing = vocab.derived("validation.typing-graph", _typing_graph)
    with _PYSHACL_LOCK:
        conforms, report, _ = validate(
            graph, shacl_graph=vocab.shapes, ont_graph=typing, inference="none", advanced=False
        )
    whole = _whole_pattern_problems(graph, subject, source, vocab, lines)
    if conforms:
        return whole
    found: dict[tuple[str, str], tuple[int, Problem]] = {}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        component = report.value(result, SH.sourceConstraintComponent)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        key = vocab.by_property.get(path)
        if component == SH.SPARQLConstraintComponent and key is not None:
            name, message = key.name, str(report.value(result, SH.resultMessage))
            code = "case/inconsistent"
        elif key is None:  # a predicate the case form does not have
            name = _short(path)
            message = (
                f"unknown property {name} (found {_shown(value)}); allowed: the case-form "
                f"properties of {', '.join(vocab.keys)}"
            )
            code = "case/unknown-property"
        else:
            name = key.name
            message = _message(vocab, component, key, value, graph, subject)
            code = _CODES.get(component, "case/wrong-value")
        rank = _PRECEDENCE.index(component) if component in _PRECEDENCE else len(_PRECEDENCE)
        slot = (name, "" if component == SH.MaxCountConstraintComponent else str(value))
        if slot not in found or rank < found[slot][0]:
            found[slot] = (rank, Problem(source, message, lines.get(name), name, code))
    order = list(vocab.keys)
    reported = {p.key for _, p in found.values()}
    found.update(
        {(str(p.key), "whole"): (len(_PRECEDENCE), p) for p in whole if p.key not in reported}
    )
    return [
        p
        for _, p in sorted(
            found.values(),
            key=lambda rp: (
                order.index(rp[1].key) if rp[1].key in order else len(order),
                rp[1].message,
            ),
        )
    ]


def _strict_patterns(vocab: Vocabulary) -> dict[str, re.Pattern[str]]:
    """Key -> its ``sh:pattern``, anchored at the very end of the value.

    SHACL patterns are searched with Python's ``re``, whose ``$`` also matches before a final
    line break, so ``"abc\n"`` would pass ``^[a-z]+$``. Checked again here as a whole match.
    """
    patterns = {}
    for name, shape in _property_shapes(vocab).items():
        pattern = vocab.shapes.value(shape, SH.pattern)
        if pattern is not None:
            text = str(pattern)
            if text.endswith("$") and not text.endswith("\\$"):
                text = text[:-1] + r"\Z"
            patterns[name] = re.compile(text)
    return patterns


def _whole_pattern_problems(
    graph: Graph, subject: Node, source: str, vocab: Vocabulary, lines: Mapping[str, int]
) -> list[Problem]:
    problems = []
    for name, pattern in vocab.derived("validation.strict-patterns", _strict_patterns).items():
        key = vocab.keys.get(name)
        if key is None:
            continue
        for value in graph.objects(subject, key.prop):
            if isinstance(value, Literal) and not pattern.search(str(value)):
                problems.append(
                    Problem(
                        source,
                        f"found {_shown(value)}; allowed: {describe_allowed(vocab, name)}",
                        lines.get(name),
                        name,
                        code="case/wrong-value",
                    )
                )
    return problems


def describe_allowed(vocab: Vocabulary, name: str) -> str:
    """What a key accepts, in words: its values from the ontology, or its range from the shapes."""
    key = vocab.keys[name]
    if key.is_choice:
        return ", ".join(key.values) if key.multi else "one of " + ", ".join(key.values)
    return datatype_constraints(vocab, name)


_CODES = {
    SH.MinCountConstraintComponent: "case/missing",
    SH.MaxCountConstraintComponent: "case/several-values",
    SH.ClosedConstraintComponent: "case/unknown-property",
}


def _message(
    vocab: Vocabulary,
    component: Node | None,
    key: CaseKey,
    value: Node | None,
    graph: Graph,
    subject: Node,
) -> str:
    allowed = describe_allowed(vocab, key.name)
    if component == SH.MinCountConstraintComponent:
        return f"missing; required: {allowed}"
    if component == SH.MaxCountConstraintComponent:
        values = sorted(_plain(o, key) for o in graph.objects(subject, key.prop))
        return f"found several values [{', '.join(values)}]; allowed: one value, {allowed}"
    if key.is_choice:
        return f"found {_plain_quoted(value, key)}; allowed: {allowed}"
    return f"found {_shown(value)}; allowed: {allowed}"


def _plain(term: Node, key: CaseKey) -> str:
    notation = key.notation_of(term) if isinstance(term, URIRef) else None
    return notation if notation is not None else str(term)


def _plain_quoted(term: Node | None, key: CaseKey) -> str:
    if term is None or isinstance(term, Literal):
        return _shown(term)
    return repr(_plain(term, key)) if key.notation_of(term) else _shown(term)


def _short(term: Any) -> str:
    text = str(term)
    return "ipo:" + text.removeprefix(str(IPO)) if text.startswith(str(IPO)) else f"<{text}>"

"""Validate a case graph with the SHACL shapes and word the report for people.

pySHACL does the checking; this module only turns each validation result into one
:class:`Problem` naming the case-form key, the value found and what the key allows. What a key
allows is read from the same places the check used: the shapes for datatypes and ranges, the
ontology for the values of a choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from pyshacl import validate
from rdflib import RDF, RDFS, SH, XSD, Graph, Literal, URIRef

from .errors import Problem
from .vocabulary import IPO, Vocabulary, ontology_graph, shapes_graph, vocabulary

_KIND_WORDS = {
    XSD.integer: "an integer",
    XSD.decimal: "a number",
    XSD.boolean: "true or false",
    XSD.string: "text",
}

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


@cache
def _typing_graph() -> Graph:
    """The ontology's rdf:type and rdfs:subClassOf statements: all that ``sh:class`` needs.

    pySHACL copies its ``ont_graph`` into every data graph it validates; the whole ontology
    (over 2,000 statements) made that copy the main cost of loading a case.
    """
    onto = ontology_graph()
    typing = Graph()
    for predicate in (RDF.type, RDFS.subClassOf):
        for triple in onto.triples((None, predicate, None)):
            typing.add(triple)
    return typing


@cache
def _property_shapes() -> dict[str, URIRef]:
    shapes = shapes_graph()
    return {
        str(shapes.value(s, SH.name)): s
        for s in shapes.subjects(SH.path, None)
        if shapes.value(s, SH.name) is not None
    }


def datatype_constraints(name: str) -> str:
    """``an integer from 1 to 9``: the range of a datatype key, as the shapes define it."""
    shapes = shapes_graph()
    shape = _property_shapes().get(name)
    if shape is None:
        return "a value"
    words = _KIND_WORDS.get(shapes.value(shape, SH.datatype), "a value")
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


def _shown(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Literal):
        text = str(value)
        kind = {
            XSD.integer: "integer",
            XSD.decimal: "number",
            XSD.double: "number",
            XSD.boolean: "boolean",
        }.get(value.datatype, "text")
        return f"{text!r} ({kind})" if kind == "text" else f"{text} ({kind})"
    return _short(value)


def check_graph(
    graph: Graph, subject: URIRef, source: str, lines: Mapping[str, int] | None = None
) -> list[Problem]:
    """Problems of one case graph, one per key and value, in case-form order."""
    vocab = vocabulary()
    lines = lines or {}
    conforms, report, _ = validate(
        graph,
        shacl_graph=shapes_graph(),
        ont_graph=_typing_graph(),
        inference="none",
        advanced=False,
    )
    if conforms:
        return []
    found: dict[tuple[str, str], tuple[int, Problem]] = {}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        component = report.value(result, SH.sourceConstraintComponent)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        key = vocab.by_property.get(path)
        if component == SH.SPARQLConstraintComponent and key is not None:
            name, message = key.name, str(report.value(result, SH.resultMessage))
        elif key is None:  # a predicate the case form does not have
            name = _short(path)
            message = (
                f"unknown property {name} (found {_shown(value)}); allowed: the case-form "
                f"properties of {', '.join(vocab.keys)}"
            )
        else:
            name = key.name
            message = _message(component, key.name, value, graph, subject)
        rank = _PRECEDENCE.index(component) if component in _PRECEDENCE else len(_PRECEDENCE)
        slot = (name, "" if component == SH.MaxCountConstraintComponent else str(value))
        if slot not in found or rank < found[slot][0]:
            found[slot] = (rank, Problem(source, message, lines.get(name), name))
    order = list(vocab.keys)
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


def describe_allowed(vocab: Vocabulary, name: str) -> str:
    """What a key accepts, in words: its values from the ontology, or its range from the shapes."""
    key = vocab.keys[name]
    if key.is_choice:
        return ", ".join(key.values) if key.multi else "one of " + ", ".join(key.values)
    return datatype_constraints(name)


def _message(component: URIRef, name: str, value, graph: Graph, subject: URIRef) -> str:
    key = vocabulary().keys[name]
    allowed = describe_allowed(vocabulary(), name)
    if component == SH.MinCountConstraintComponent:
        return f"missing; required: {allowed}"
    if component == SH.MaxCountConstraintComponent:
        values = sorted(_plain(o, key) for o in graph.objects(subject, key.prop))
        return f"found several values [{', '.join(values)}]; allowed: one value, {allowed}"
    if key.is_choice:
        return f"found {_plain_quoted(value, key)}; allowed: {allowed}"
    return f"found {_shown(value)}; allowed: {allowed}"


def _plain(term, key) -> str:
    if isinstance(term, URIRef) and key.notation_of(term):
        return key.notation_of(term)
    return str(term)


def _plain_quoted(term, key) -> str:
    if isinstance(term, Literal):
        return _shown(term)
    return repr(_plain(term, key)) if key.notation_of(term) else _shown(term)


def _short(term) -> str:
    text = str(term)
    return "ipo:" + text.removeprefix(str(IPO)) if text.startswith(str(IPO)) else f"<{text}>"

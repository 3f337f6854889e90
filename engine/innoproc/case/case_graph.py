"""Translate between the case form and RDF in the ontology's terms.

A case written as a YAML or JSON mapping becomes the same triples a Turtle case states directly,
so one set of SHACL shapes validates every case whatever its syntax. The translation is faithful
rather than helpful: a value it cannot map (an unknown choice, text where a number belongs, a list
where one value belongs) is written as found, and the shapes report it. Only keys that have no
property at all are reported here, since RDF has no term to carry them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from innoproc.errors import Problem, did_you_mean
from innoproc.ontology import CASE, IPO, CaseKey, FactValue, Vocabulary

from .validation import describe_allowed


def case_iri(case_id: str) -> URIRef:
    """IRI of a case and of the named graph that holds its facts."""
    return CASE[quote(case_id, safe="")]


def mapping_to_graph(
    data: Mapping[str, Any], vocab: Vocabulary, source: str, lines: Mapping[str, int]
) -> tuple[Graph, list[Problem]]:
    """Triples for a case-form mapping, plus the problems RDF cannot carry (unknown keys, nulls)."""
    problems: list[Problem] = []
    case_id = data.get("id")
    subject = case_iri(case_id if isinstance(case_id, str) and case_id else "unnamed")
    graph = Graph(identifier=subject)
    graph.add((subject, RDF.type, IPO.ProcurementCase))
    allowed_keys = ", ".join(vocab.keys)
    for name, value in data.items():
        line = lines.get(name)
        key = vocab.keys.get(name)
        if key is None:
            problems.append(
                Problem(
                    source,
                    f"unknown key; allowed keys: {allowed_keys}"
                    + did_you_mean(name, list(vocab.keys)),
                    line,
                    name,
                    code="case/unknown-key",
                )
            )
            continue
        if value is None:
            problems.append(
                Problem(
                    source,
                    "found no value; give a value or leave the key out (an absent key means "
                    "unknown)",
                    line,
                    name,
                    code="case/no-value",
                )
            )
            continue
        if isinstance(value, Mapping):
            problems.append(
                Problem(
                    source,
                    f"found a mapping {dict(value)!r}; allowed: {describe_allowed(vocab, name)}",
                    line,
                    name,
                    code="case/wrong-type",
                )
            )
            continue
        if key.multi and not isinstance(value, list):
            problems.append(
                Problem(
                    source,
                    f"found {value!r}; allowed: a list of {describe_allowed(vocab, name)}",
                    line,
                    name,
                    code="case/not-a-list",
                )
            )
            continue
        if key.multi and not value:
            if key.allows_empty:  # stated: none at all (unknown is the absent key)
                graph.add((subject, key.prop, RDF.nil))
            else:
                problems.append(
                    Problem(
                        source,
                        "found an empty list; allowed: a list of at least "
                        f"one of {describe_allowed(vocab, name)}",
                        line,
                        name,
                        code="case/empty-list",
                    )
                )
            continue
        for item in value if isinstance(value, list) else [value]:
            graph.add((subject, key.prop, _term(item, key)))
    return normalise(graph, vocab), problems


def _term(value: Any, key: CaseKey) -> URIRef | Literal:
    if key.is_choice and isinstance(value, str) and value in key.values:
        return key.values[value]
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int | float) and key.kind == "number":
        return Literal(str(value), datatype=XSD.decimal)
    if isinstance(value, list | dict):
        return Literal(repr(value))
    return Literal(value)


def normalise(graph: Graph, vocab: Vocabulary) -> Graph:
    """Write every number of a decimal-valued key in canonical xsd:decimal form.

    YAML gives ``12000000`` or ``1.2e7``; Turtle gives ``12000000.0``. All mean the same amount, and
    isomorphic graphs need the same literal.
    """
    for key in vocab.keys.values():
        if key.kind != "number":
            continue
        for s, o in list(graph.subject_objects(key.prop)):
            if not isinstance(o, Literal) or o.datatype not in (
                XSD.decimal,
                XSD.integer,
                XSD.double,
                XSD.float,
                None,
            ):
                continue
            try:
                amount = Decimal(str(o))
            except InvalidOperation:
                continue
            if not amount.is_finite():
                continue
            graph.remove((s, key.prop, o))
            graph.add((s, key.prop, Literal(format(amount.normalize(), "f"), datatype=XSD.decimal)))
    return graph


def graph_to_facts(graph: Graph, subject: Node, vocab: Vocabulary) -> dict[str, FactValue]:
    """The case's facts as plain Python values keyed by case-form key (a validated graph only)."""
    facts: dict[str, FactValue] = {}
    for key in vocab.keys.values():
        objects = list(graph.objects(subject, key.prop))
        if not objects:
            continue
        if key.is_choice:
            notations = [n for o in objects if o != RDF.nil if (n := key.notation_of(o))]
            if key.multi:
                order = list(key.values)
                facts[key.name] = tuple(sorted(notations, key=order.index))
            else:
                facts[key.name] = notations[0]
            continue
        first = objects[0]
        value = first.toPython() if isinstance(first, Literal) else str(first)
        if key.kind == "number":
            amount = Decimal(str(value))
            value = int(amount) if amount == amount.to_integral_value() else float(amount)
        facts[key.name] = value
    return facts

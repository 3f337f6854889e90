"""Translate between the case form and RDF in the ontology's terms.

A case written as a YAML or JSON mapping becomes the same triples a Turtle case states directly,
so one set of SHACL shapes validates every case whatever its syntax. The translation is faithful
rather than helpful: a value it cannot map (an unknown choice, text where a number belongs, a list
where one value belongs) is written as found, and the shapes report it. Only keys that have no
property at all are reported here, since RDF has no term to carry them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from innoproc.errors import Problem, did_you_mean
from innoproc.ontology import IPO, CaseKey, FactValue, Vocabulary
from innoproc.ontology.namespaces import case_iri_text
from innoproc.reading.files import CONTROL, SURROGATE
from innoproc.reading.limits import Limits, current_limits

from .validation import describe_allowed


def case_iri(case_id: str) -> URIRef:
    """IRI of a case and of the named graph that holds its facts."""
    return URIRef(case_iri_text(case_id))


def mapping_to_graph(
    data: Mapping[str, Any], vocab: Vocabulary, source: str, lines: Mapping[str, int]
) -> tuple[Graph, list[Problem]]:
    """Triples for a case-form mapping, plus the problems RDF cannot carry (unknown keys, nulls)."""
    subject, statements, problems = mapping_statements(data, vocab, source, lines)
    return statements_graph(subject, statements, vocab), problems


def statements_graph(
    subject: URIRef, statements: Iterable[tuple[CaseKey, Node]], vocab: Vocabulary
) -> Graph:
    """The case's named graph: its type and one triple per (key, term), numbers normalised."""
    graph = Graph(identifier=subject)
    graph.add((subject, RDF.type, IPO.ProcurementCase))
    for key, term in statements:
        graph.add((subject, key.prop, term))
    return normalise(graph, vocab)


def mapping_statements(
    data: Mapping[str, Any], vocab: Vocabulary, source: str, lines: Mapping[str, int]
) -> tuple[URIRef, list[tuple[CaseKey, Node]], list[Problem]]:
    """The case's IRI, what a case-form mapping states as (key, RDF term) pairs before numbers
    are normalised, and the problems RDF cannot carry.

    Shared by the graph path (:func:`mapping_to_graph`) and the fast check, so both read a
    mapping into exactly the same terms.
    """
    problems: list[Problem] = []
    statements: list[tuple[CaseKey, Node]] = []
    case_id = data.get("id")
    subject = case_iri(case_id if isinstance(case_id, str) and case_id else "unnamed")
    for name, value in data.items():
        key_statements(name, value, vocab, source, lines.get(name), statements, problems)
    return subject, statements, problems


def key_statements(
    name: str,
    value: Any,
    vocab: Vocabulary,
    source: str,
    line: int | None,
    statements: list[tuple[CaseKey, Node]],
    problems: list[Problem],
) -> None:
    """What one key of a case-form mapping states, added to ``statements``, and its problems,
    added to ``problems`` (each key is read apart from the others)."""
    key = vocab.keys.get(name)
    if key is None:
        problems.append(
            Problem(
                source,
                f"unknown key; allowed keys: {', '.join(vocab.keys)}"
                + did_you_mean(name, list(vocab.keys)),
                line,
                name,
                code="case/unknown-key",
            )
        )
        return
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
        return
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
        return
    if not key.multi and isinstance(value, list) and len(value) < 2:
        # two or more values: the shapes say "found several values"; fewer would be lost
        problems.append(
            Problem(
                source,
                f"found a list {value!r:.80}; allowed: one value, "
                f"{describe_allowed(vocab, name)}",
                line,
                name,
                code="case/wrong-type",
            )
        )
        return
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
        return
    if key.multi and not value:
        if key.allows_empty:  # stated: none at all (unknown is the absent key)
            statements.append((key, RDF.nil))
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
        return
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, list | Mapping):
            problems.append(
                Problem(
                    source,
                    f"found a nested {'list' if isinstance(item, list) else 'mapping'} "
                    f"{item!r:.80}; allowed: {describe_allowed(vocab, name)}",
                    line,
                    name,
                    code="case/wrong-type",
                )
            )
            continue
        statements.append((key, _term(item, key)))


def _term(value: Any, key: CaseKey) -> URIRef | Literal:
    if key.is_choice and isinstance(value, str) and value in key.values:
        return key.values[value]
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int | float) and key.kind == "number":
        return Literal(str(value), datatype=XSD.decimal)
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
            canonical = canonical_number(o)
            if canonical is None:
                continue
            graph.remove((s, key.prop, o))
            graph.add((s, key.prop, canonical))
    return graph


def canonical_number(o: Node) -> Literal | None:
    """The canonical xsd:decimal literal of a number of a decimal-valued key, or None to leave
    ``o`` as it is (text where a number belongs, which the shapes report, or a number the
    reading policy refuses)."""
    if not isinstance(o, Literal) or o.datatype not in _NUMERIC:
        return None
    try:
        amount = Decimal(str(o))
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount.adjusted()) >= current_limits().max_exponent:
        return None  # literal_problems has refused it
    return Literal(format(amount.normalize(), "f"), datatype=XSD.decimal)


_NUMERIC = (XSD.decimal, XSD.integer, XSD.double, XSD.float)


def literal_problems(graph: Graph, vocab: Vocabulary, source: str, limits: Limits) -> list[Problem]:
    """Literals of an RDF case that the reading policy refuses: text too long or holding control
    characters, numbers written too long, not finite or beyond any real amount."""
    problems = []
    for _, prop, o in graph:
        if not isinstance(o, Literal):
            continue
        key = vocab.by_property.get(prop)
        name = key.name if key is not None else str(prop)
        text = str(o)
        message, code = None, "input/number"
        if len(text) > limits.max_text_chars:
            message = f"found {len(text):,} characters; allowed: at most {limits.max_text_chars:,}"
            code = "input/too-large"
        elif CONTROL.search(text) or SURROGATE.search(text):
            message = "found a control character; allowed: text without control characters"
            code = "input/control-character"
        elif o.datatype in _NUMERIC or (key is not None and key.kind in ("integer", "number")):
            if len(text) > limits.max_number_chars:
                message = (
                    f"found a number written with {len(text):,} characters; allowed: at most "
                    f"{limits.max_number_chars}"
                )
            else:
                try:
                    amount = Decimal(text.strip())
                except InvalidOperation:
                    amount = Decimal(0)  # not a number at all: the shapes report it
                if not amount.is_finite() or abs(amount.adjusted()) >= limits.max_exponent:
                    message = f"found {text}; allowed: a number below 1e{limits.max_exponent}"
        if message is not None:
            problems.append(Problem(source, message, None, name, code=code))
    return problems


def graph_to_facts(graph: Graph, subject: Node, vocab: Vocabulary) -> dict[str, FactValue]:
    """The case's facts as plain Python values keyed by case-form key (a validated graph only)."""
    return facts_from(lambda key: list(graph.objects(subject, key.prop)), vocab)


def facts_from(
    objects_of: Callable[[CaseKey], Sequence[Node]],
    vocab: Vocabulary,
    keys: Iterable[CaseKey] | None = None,
) -> dict[str, FactValue]:
    """The facts as plain Python values keyed by case-form key, from the validated objects of
    each key: the one reading of values for both checks (the graph and SHACL, or the fast
    table of :mod:`.fast_check`). ``keys``: only these keys (default: every key of the form)."""
    facts: dict[str, FactValue] = {}
    notations_of = vocab.derived("case.notations", _notations)
    for key in vocab.keys.values() if keys is None else keys:
        objects = objects_of(key)
        if not objects:
            continue
        if key.is_choice:
            named = notations_of[key.name]
            notations = [n for o in objects if o != RDF.nil if (n := named.get(o))]
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


def _notations(vocab: Vocabulary) -> dict[str, dict[Node, str]]:
    """Key -> individual -> its notation (the first, as ``CaseKey.notation_of`` finds it)."""
    return {
        key.name: {iri: n for n, iri in reversed(list(key.values.items()))}
        for key in vocab.keys.values()
    }

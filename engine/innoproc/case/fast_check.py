"""The case form's SHACL shapes as a table of per-key checks, for YAML and JSON cases.

Validating a case-form mapping with pySHACL means building an rdflib graph, copying the ontology's
typing statements into it and running the SHACL engine: tens of milliseconds a case, far more
than advising on it. The shapes stay the one definition of the form: when a vocabulary is
loaded, this module reads its shapes graph into a :class:`FormCheck`, one :class:`KeyCheck` per
property shape (counts, datatype, node kind, classes, ranges, patterns, lists of allowed values),
and checks a mapping's terms against that table directly, with the same results and the same
messages as :func:`innoproc.case.validation.check_graph`.

Only the shape features listed here are understood. A shapes graph that uses anything else (an
extension's own shapes, a constraint component, a severity, a SPARQL constraint of another form,
a second node shape ...) makes :func:`form_check` say so, and the loader then validates with
pySHACL as before: a check is never skipped. pySHACL also stays the path for RDF input and the
reference the tests compare this module against. ``INNOPROC_CASE_CHECK=shacl`` forces the
pySHACL path for mappings too (for comparisons and benchmarks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import RDF, SH, XSD, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import BNode, Node

from innoproc.errors import Problem
from innoproc.ontology import IPO, CaseKey, FactValue, Vocabulary

from .case_graph import canonical_number, facts_from
from .validation import (
    _CODES,
    _PRECEDENCE,
    _plain,
    _plain_quoted,
    _shown,
    _strict_patterns,
    describe_allowed,
)

#: a test of one value against one constraint of a property shape, with its precedence rank
ValueTest = tuple[int, Callable[[Node], bool]]

_RANK = {component: rank for rank, component in enumerate(_PRECEDENCE)}
_OTHER_RANK = len(_PRECEDENCE)

#: what pySHACL's datatype component accepts, by datatype: the literal's Python value type
_DATATYPE_VALUES: dict[URIRef, tuple[type, ...]] = {
    XSD.string: (str, bytes),
    XSD.integer: (int,),
    XSD.decimal: (Decimal,),
    XSD.boolean: (bool,),
}
_NUMERIC_DATATYPES = (XSD.integer, XSD.decimal)

_PROPERTY_PREDICATES = {
    RDF.type,
    SH.path,
    SH.name,
    SH.description,
    SH.order,
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH.nodeKind,
    SH["class"],
    SH.minInclusive,
    SH.maxInclusive,
    SH.pattern,
    SH["in"],
    SH["or"],
}
_NODE_PREDICATES = {
    RDF.type,
    SH.targetClass,
    SH.closed,
    SH.ignoredProperties,
    SH.property,
    SH.sparql,
}
_SPARQL_PREDICATES = {RDF.type, SH.message, SH.prefixes, SH.select}
_DECLARATION_PREDICATES = {SH.prefix, SH.namespace}

#: the one form of SPARQL constraint understood: a list key may not state "none" (rdf:nil) and
#: a value at once
_EXCLUSIVE_NIL = re.compile(
    r"SELECT \$this \?path \?value WHERE \{ BIND \(ipo:(?P<local>[A-Za-z0-9_]+) AS \?path\) "
    r"\$this \?path rdf:nil , \?value \. FILTER \(\?value != rdf:nil\) \}"
)


class Unsupported(Exception):
    """The shapes use a feature this module does not derive a check from."""


@dataclass(frozen=True)
class KeyCheck:
    """Everything the shapes require of one case-form key."""

    key: CaseKey
    min_count: int
    max_count: int | None
    tests: tuple[ValueTest, ...]
    #: the ``sh:pattern`` checked again as a whole match (see validation._strict_patterns)
    whole_pattern: re.Pattern[str] | None = None
    #: the message of a constraint that forbids rdf:nil beside a value, if there is one
    exclusive_nil: str | None = None
    #: the constraints behind ``tests``, each as (its SHACL name, its value as text where the
    #: value is a datatype, a bound or a pattern, else ""): what :mod:`.plain_check` reads to
    #: know which keys it can check on plain values
    constraints: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FormCheck:
    """The shapes of a vocabulary as per-key checks, or why they cannot be."""

    checks: tuple[KeyCheck, ...] = ()
    unsupported: str | None = None
    order: dict[str, int] = field(default_factory=dict)

    @property
    def supported(self) -> bool:
        return self.unsupported is None


def form_check(vocab: Vocabulary) -> FormCheck:
    """The per-key checks of ``vocab``'s shapes, derived once per vocabulary."""
    return vocab.derived("fast-check.form", _derive)




# -- deriving the table from the shapes --------------------------------------------------------


def _derive(vocab: Vocabulary) -> FormCheck:
    try:
        checks = _checks(vocab)
    except Unsupported as exc:
        return FormCheck(unsupported=str(exc))
    return FormCheck(checks, order={name: i for i, name in enumerate(vocab.keys)})


def _one(graph: Graph, subject: Node, predicate: URIRef) -> Node | None:
    found = list(graph.objects(subject, predicate))
    if len(found) > 1:
        raise Unsupported(f"{subject} has {len(found)} values of {predicate}")
    return found[0] if found else None


def _only(graph: Graph, subject: Node, allowed: set[URIRef], what: str) -> None:
    for predicate in set(graph.predicates(subject, None)):
        if predicate not in allowed:
            raise Unsupported(f"{what} {subject} uses {predicate}")


def _checks(vocab: Vocabulary) -> tuple[KeyCheck, ...]:
    shapes = vocab.shapes
    node_shapes = (
        set(shapes.subjects(RDF.type, SH.NodeShape))
        | set(shapes.subjects(SH.property, None))
        | {
            s
            for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
            for s in shapes.subjects(p, None)
        }
    )
    if len(node_shapes) != 1:
        raise Unsupported(f"{len(node_shapes)} node shapes")
    node = node_shapes.pop()
    _only(shapes, node, _NODE_PREDICATES, "node shape")
    if list(shapes.objects(node, SH.targetClass)) != [IPO.ProcurementCase]:
        raise Unsupported("a target other than ipo:ProcurementCase")
    if set(shapes.objects(node, RDF.type)) - {SH.NodeShape}:
        raise Unsupported("a node shape of another type")
    closed = _one(shapes, node, SH.closed)
    ignored = _one(shapes, node, SH.ignoredProperties)
    if (
        closed != Literal(True)
        or ignored is None
        or list(Collection(shapes, ignored)) != [RDF.type]
    ):
        raise Unsupported("a node shape that is not closed with rdf:type ignored")
    accounted: set[Node] = {node}

    exclusive: dict[URIRef, str] = {}
    for constraint in shapes.objects(node, SH.sparql):
        accounted.add(constraint)
        _only(shapes, constraint, _SPARQL_PREDICATES, "SPARQL constraint")
        select, message = _one(shapes, constraint, SH.select), _one(shapes, constraint, SH.message)
        matched = _EXCLUSIVE_NIL.fullmatch(" ".join(str(select).split()))
        if select is None or message is None or matched is None:
            raise Unsupported(f"a SPARQL constraint of another form: {select}")
        exclusive[IPO[matched.group("local")]] = str(message)
        prefixes = _one(shapes, constraint, SH.prefixes)
        if prefixes is not None:
            accounted.add(prefixes)
            for declaration in shapes.objects(prefixes, SH.declare):
                accounted.add(declaration)
                _only(shapes, declaration, _DECLARATION_PREDICATES, "prefix declaration")

    by_prop: dict[Node, KeyCheck] = {}
    for shape in shapes.objects(node, SH.property):
        accounted.add(shape)
        check, alternatives = _key_check(vocab, shape, exclusive)
        accounted.update(alternatives)
        if check.key.prop in by_prop:
            raise Unsupported(f"two property shapes for {check.key.name}")
        by_prop[check.key.prop] = check
    for prop in exclusive:
        if prop not in by_prop:
            raise Unsupported(f"a SPARQL constraint on {prop}, which has no property shape")
    missing = [k.name for k in vocab.keys.values() if k.prop not in by_prop]
    if missing:
        raise Unsupported(f"case keys without a property shape: {', '.join(missing)}")

    # anything else in the shapes graph that speaks SHACL is a feature not derived here
    for subject in set(shapes.subjects()):
        if subject in accounted or (subject, SH.declare, None) in shapes:
            continue
        if (subject, SH.prefix, None) in shapes:  # a prefix declaration of the SPARQL prefixes
            _only(shapes, subject, _DECLARATION_PREDICATES, "prefix declaration")
            continue
        for predicate in shapes.predicates(subject, None):
            if str(predicate).startswith(str(SH)):
                raise Unsupported(f"{subject} uses {predicate}")
    return tuple(by_prop[k.prop] for k in vocab.keys.values())


def _key_check(
    vocab: Vocabulary, shape: Node, exclusive: Mapping[URIRef, str]
) -> tuple[KeyCheck, set[Node]]:
    shapes = vocab.shapes
    _only(shapes, shape, _PROPERTY_PREDICATES, "property shape")
    path, name = _one(shapes, shape, SH.path), _one(shapes, shape, SH.name)
    key = vocab.by_property.get(path) if isinstance(path, URIRef) else None
    if key is None or str(name) != key.name:
        raise Unsupported(f"property shape {name} on {path}, not a case-form key of that name")
    if key.kind != "choice" and key.multi:
        raise Unsupported(f"{key.name} takes several values that are not choices")
    if set(shapes.objects(shape, RDF.type)) - {SH.PropertyShape}:
        raise Unsupported(f"{key.name}: a property shape of another type")
    tests: list[ValueTest] = []
    constraints: list[tuple[str, str]] = []
    accounted: set[Node] = set()

    datatype = _one(shapes, shape, SH.datatype)
    if datatype is not None:
        if datatype not in _DATATYPE_VALUES:
            raise Unsupported(f"{key.name}: datatype {datatype}")
        tests.append((_RANK[SH.DatatypeConstraintComponent], _datatype_test(datatype)))
        constraints.append(("datatype", str(datatype)))
    kind = _one(shapes, shape, SH.nodeKind)
    if kind is not None:
        if kind != SH.IRI:
            raise Unsupported(f"{key.name}: node kind {kind}")
        tests.append((_RANK[SH.NodeKindConstraintComponent], _is_iri))
        constraints.append(("nodeKind", ""))
    cls = _one(shapes, shape, SH["class"])
    if cls is not None:
        tests.append((_RANK[SH.ClassConstraintComponent], _member_test(vocab.members(cls))))
        constraints.append(("class", ""))
    allowed_in = _one(shapes, shape, SH["in"])
    if allowed_in is not None:
        tests.append((_OTHER_RANK, _in_test(set(Collection(shapes, allowed_in)))))
        constraints.append(("in", ""))
    for predicate, component, passes in (
        (SH.minInclusive, SH.MinInclusiveConstraintComponent, lambda v, b: v >= b),
        (SH.maxInclusive, SH.MaxInclusiveConstraintComponent, lambda v, b: v <= b),
    ):
        bound = _one(shapes, shape, predicate)
        if bound is None:
            continue
        if datatype not in _NUMERIC_DATATYPES or not isinstance(bound, Literal):
            raise Unsupported(f"{key.name}: a range on a value that is not a number")
        if not isinstance(bound.value, int | Decimal) or isinstance(bound.value, bool):
            raise Unsupported(f"{key.name}: a range bound that is not a number")
        tests.append((_RANK[component], _range_test(bound.value, passes)))
        constraints.append((str(predicate).removeprefix(str(SH)), str(bound.value)))
    pattern = _one(shapes, shape, SH.pattern)
    if pattern is not None:
        if not isinstance(pattern, Literal):
            raise Unsupported(f"{key.name}: a pattern that is not text")
        tests.append((_RANK[SH.PatternConstraintComponent], _pattern_test(str(pattern))))
        constraints.append(("pattern", str(pattern)))
    alternatives = _one(shapes, shape, SH["or"])
    if alternatives is not None:
        options: list[Callable[[Node], bool]] = []
        for option in Collection(shapes, alternatives):
            accounted.add(option)
            _only(shapes, option, {SH["class"], SH["in"]}, f"{key.name}: alternative")
            predicates = set(shapes.predicates(option, None))
            if len(predicates) != 1 or len(list(shapes.objects(option, None))) != 1:
                raise Unsupported(f"{key.name}: an alternative of more than one constraint")
            value = _one(shapes, option, URIRef(str(predicates.pop())))
            assert value is not None
            if (option, SH["class"], value) in shapes:
                options.append(_member_test(vocab.members(value)))
            else:
                options.append(_in_test(set(Collection(shapes, value))))
        tests.append((_RANK[SH.OrConstraintComponent], _any_test(tuple(options))))
        constraints.append(("or", ""))

    min_count, max_count = _one(shapes, shape, SH.minCount), _one(shapes, shape, SH.maxCount)
    strict = vocab.derived("validation.strict-patterns", _strict_patterns).get(key.name)
    return (
        KeyCheck(
            key,
            int(min_count.toPython()) if isinstance(min_count, Literal) else 0,
            int(max_count.toPython()) if isinstance(max_count, Literal) else None,
            tuple(tests),
            strict,
            exclusive.get(key.prop),
            tuple(constraints),
        ),
        accounted,
    )


# -- the tests, as pySHACL's components decide them --------------------------------------------


def _datatype_test(datatype: Node) -> Callable[[Node], bool]:
    types = _DATATYPE_VALUES[datatype]  # type: ignore[index]

    def test(v: Node) -> bool:
        if not isinstance(v, Literal):
            return False
        if v.datatype == datatype:
            if getattr(v, "ill_typed", None) is True:
                return False
            return isinstance(v.value, types)
        if datatype == XSD.string and v.datatype is None and v.language is None:
            return isinstance(v.value, types)
        return False

    return test


def _is_iri(v: Node) -> bool:
    return isinstance(v, URIRef)


def _member_test(members: set[Node]) -> Callable[[Node], bool]:
    frozen = frozenset(members)

    def test(v: Node) -> bool:
        return not isinstance(v, Literal) and v in frozen

    return test


def _in_test(allowed: set[Node]) -> Callable[[Node], bool]:
    frozen = frozenset(allowed)

    def test(v: Node) -> bool:
        return v in frozen

    return test


def _range_test(
    bound: int | Decimal, passes: Callable[[int | Decimal, int | Decimal], bool]
) -> Callable[[Node], bool]:
    def test(v: Node) -> bool:
        if not isinstance(v, Literal):
            return False
        value = v.value
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            return False
        return passes(value, bound)

    return test


def _pattern_test(pattern: str) -> Callable[[Node], bool]:
    compiled = re.compile(pattern)

    def test(v: Node) -> bool:
        if isinstance(v, BNode):
            return False
        if isinstance(v, Literal) and v.value is not None and v.datatype in (None, XSD.string):
            text = str(v.value)
        else:
            text = str(v)
        return compiled.search(text) is not None

    return test


def _any_test(options: tuple[Callable[[Node], bool], ...]) -> Callable[[Node], bool]:
    def test(v: Node) -> bool:
        return any(option(v) for option in options)

    return test


# -- checking a mapping's terms ----------------------------------------------------------------


def values_by_key(
    statements: list[tuple[CaseKey, Node]], vocab: Vocabulary
) -> dict[str, list[Node]]:
    """Each key's distinct terms as the case's graph would hold them (numbers normalised)."""
    values: dict[str, list[Node]] = {}
    for key, term in statements:
        if key.kind == "number":
            term = canonical_number(term) or term
        found = values.setdefault(key.name, [])
        if term not in found:
            found.append(term)
    return values


def check_values(
    form: FormCheck,
    values: Mapping[str, list[Node]],
    source: str,
    vocab: Vocabulary,
    lines: Mapping[str, int],
) -> list[Problem]:
    """Problems of a case's values, exactly as :func:`validation.check_graph` words and orders
    them: one per key and value, the most telling constraint first, in case-form order."""
    found: dict[tuple[str, str], tuple[int, Problem]] = {}
    whole: list[Problem] = []

    def report(name: str, slot: str, rank: int, message: str, code: str) -> None:
        if (name, slot) not in found or rank < found[(name, slot)][0]:
            found[(name, slot)] = (rank, Problem(source, message, lines.get(name), name, code))

    for check in form.checks:
        key = check.key
        terms = values.get(key.name, ())
        if len(terms) < check.min_count:
            report(
                key.name,
                "None",
                _RANK[SH.MinCountConstraintComponent],
                f"missing; required: {describe_allowed(vocab, key.name)}",
                _CODES[SH.MinCountConstraintComponent],
            )
        if check.max_count is not None and len(terms) > check.max_count:
            shown = sorted(_plain(o, key) for o in terms)
            report(
                key.name,
                "",
                _RANK[SH.MaxCountConstraintComponent],
                f"found several values [{', '.join(shown)}]; allowed: one value, "
                f"{describe_allowed(vocab, key.name)}",
                _CODES[SH.MaxCountConstraintComponent],
            )
        for term in terms:
            failed = [rank for rank, test in check.tests if not test(term)]
            if failed:
                what = _plain_quoted(term, key) if key.is_choice else _shown(term)
                report(
                    key.name,
                    str(term),
                    min(failed),
                    f"found {what}; allowed: {describe_allowed(vocab, key.name)}",
                    "case/wrong-value",
                )
        if check.exclusive_nil is not None and RDF.nil in terms:
            for term in terms:
                if term != RDF.nil:
                    report(
                        key.name, str(term), _OTHER_RANK, check.exclusive_nil, "case/inconsistent"
                    )
        if check.whole_pattern is not None:
            for term in terms:
                if isinstance(term, Literal) and not check.whole_pattern.search(str(term)):
                    whole.append(
                        Problem(
                            source,
                            f"found {_shown(term)}; allowed: {describe_allowed(vocab, key.name)}",
                            lines.get(key.name),
                            key.name,
                            code="case/wrong-value",
                        )
                    )
    if not found:
        return whole
    reported = {p.key for _, p in found.values()}
    found.update({(str(p.key), "whole"): (_OTHER_RANK, p) for p in whole if p.key not in reported})
    order = form.order
    return [
        p
        for _, p in sorted(
            found.values(),
            key=lambda rp: (order.get(str(rp[1].key), len(order)), rp[1].message),
        )
    ]


def facts_of(values: Mapping[str, list[Node]], vocab: Vocabulary) -> dict[str, FactValue]:
    """The facts of checked values, read as :func:`case_graph.graph_to_facts` reads a graph."""
    return facts_from(lambda key: values.get(key.name, []), vocab)

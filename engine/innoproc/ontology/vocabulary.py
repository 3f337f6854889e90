"""The ontology as the single definition of the case form and the clause ids.

The case loader, the SHACL report, the rule checker, the compiler and the renderers all ask a
:class:`Vocabulary` what a key means, which values it takes, which ontology classes group them and
which clauses exist; none of them keeps its own list. A case-form key is an ontology property
annotated with ``ipo:caseKey``; its values are the individuals of the property's range class,
named by ``skos:notation``. Clauses are the concepts of the ``ipo:SourceClauses`` scheme, grouped
under the sections of the source document.

A vocabulary is a value, not a process-wide singleton: each knowledge base owns one (the bundled
ontology, optionally extended by the KB's own ``ontology/*.ttl`` files), so two KBs with different
terms can live side by side in one process.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from rdflib import OWL, RDF, RDFS, SH, SKOS, XSD, Graph, URIRef
from rdflib import Literal as RDFLiteral
from rdflib.collection import Collection
from rdflib.term import Node

from innoproc.errors import InputError, KnowledgeBaseError, Problem
from innoproc.reading.files import read_text

from .namespaces import IPO, ONTOLOGY_IRI
from .resources import ontology_path, shapes_path

#: A stated fact as a plain Python value: text, a boolean, a number, or a tuple of notations.
FactValue = str | bool | int | float | tuple[str, ...]

KeyKind = Literal["text", "boolean", "integer", "number", "choice"]
#: The kinds of conclusion a rule can draw, as the rule language names them.
ConclusionKind = Literal["challenge-finding", "risk-finding", "recommendation"]

#: Python-side kind of each datatype range used by the case form.
_DATATYPE_KINDS: dict[Node | None, KeyKind] = {
    XSD.string: "text",
    XSD.boolean: "boolean",
    XSD.integer: "integer",
    XSD.decimal: "number",
}
_CONCLUSION_CLASSES: dict[URIRef, ConclusionKind] = {
    IPO.ChallengeFinding: "challenge-finding",
    IPO.RiskFinding: "risk-finding",
    IPO.Recommendation: "recommendation",
}

T = TypeVar("T")


@dataclass(frozen=True)
class CaseKey:
    """One key of the case form and the ontology property behind it."""

    name: str
    prop: URIRef
    label: str
    definition: str
    multi: bool
    kind: KeyKind
    value_class: URIRef | None = None
    #: notation -> individual, in the ontology's order of the values (or by notation)
    values: dict[str, URIRef] = field(default_factory=dict)
    #: a list key whose empty list means "stated: none" (the shapes allow ``rdf:nil``)
    allows_empty: bool = False
    #: whether ``values`` follow an order the ontology defines (phases, risk levels ...)
    ordered: bool = False
    #: the inclusive range of a numeric key, as the shapes give it
    minimum: float | None = None
    maximum: float | None = None
    #: whether the buyer chooses this value when planning (``ipo:buyerDecides``): what-if
    #: searches for changes that avoid or obtain an item change only such keys
    decision: bool = False
    #: the key put as a question an officer can answer (``ipo:question``), for interviews
    question: str = ""

    @property
    def is_choice(self) -> bool:
        return self.kind == "choice"

    def notation_of(self, individual: Node) -> str | None:
        for notation, iri in self.values.items():
            if iri == individual:
                return notation
        return None


@dataclass(frozen=True)
class Clause:
    """One clause of the source document: its id, title and the section it belongs to."""

    id: str
    iri: URIRef
    title: str
    section: URIRef | None
    #: the kinds of conclusion a rule citing this clause may draw on its strength
    grounds: frozenset[ConclusionKind]


class Vocabulary:
    """Read-only view of the ontology (and the form's layout in the shapes) for every module.

    Keys are listed in case-form order, which the shapes give with ``sh:order``; clauses in the
    order of the source document.
    """

    def __init__(
        self,
        graph: Graph,
        shapes: Graph,
        fingerprint: str = "",
        defined_in: dict[Node, str] | None = None,
    ):
        self.graph = graph
        self.shapes = shapes
        self.fingerprint = fingerprint
        #: the file that first states something about each term, for messages
        self.defined_in: dict[Node, str] = defined_in or {}
        self.keys: dict[str, CaseKey] = {}
        self.by_property: dict[Node, CaseKey] = {}
        self._derived: dict[str, Any] = {}
        self._lock = threading.RLock()
        layout = _layout(shapes)
        found = [(prop, str(key)) for prop, key in graph.subject_objects(IPO.caseKey)]
        for prop, key in sorted(found, key=lambda t: (layout.get(t[1], (999, False))[0], t[1])):
            if not isinstance(prop, URIRef):
                continue
            case_key = self._case_key(prop, key, layout.get(key, (0, False))[1])
            self.keys[case_key.name] = case_key
            self.by_property[prop] = case_key
        self.clauses: dict[str, Clause] = self._clauses()
        #: notation -> individual of each course of action a recommendation can propose
        self.courses: dict[str, URIRef] = {
            str(self.graph.value(c, SKOS.notation)): c
            for c in self.members(IPO.CourseOfAction)
            if isinstance(c, URIRef) and self.graph.value(c, SKOS.notation) is not None
        }
        notation: dict[Node, str] = {iri: name for name, iri in self.courses.items()}
        #: course notation -> the class of courses it is chosen among (ipo:oneChosenAmong)
        self.choice_groups: dict[str, str] = {}
        for group in self.graph.subjects(IPO.oneChosenAmong, None):
            members = self.members(group)
            self.choice_groups.update(
                {name: str(group) for name, iri in self.courses.items() if iri in members}
            )
        #: pairs of course notations that exclude each other (the property is symmetric)
        self.excluded_courses: set[frozenset[str]] = {
            frozenset((notation[a], notation[b]))
            for a, b in self.graph.subject_objects(IPO.excludesCourse)
            if a in notation and b in notation
        }

    @classmethod
    def load(cls, extensions: Iterable[Path] = (), folder: Path | None = None) -> Vocabulary:
        """The bundled ontology and shapes, plus extension files (Turtle) merged into them.

        An extension file whose name ends in ``.shapes.ttl`` adds to the shapes; any other adds
        to the ontology. Extensions are read under the reading policy, and only from inside
        ``folder`` (the KB folder they belong to) when it is given.
        """
        digest = hashlib.sha256()
        graph, shapes = Graph(), Graph()
        defined_in: dict[Node, str] = {}
        bundled = [(ontology_path(), graph), (shapes_path(), shapes)]
        for path, target in bundled + [
            (p, shapes if p.name.endswith(".shapes.ttl") else graph) for p in extensions
        ]:
            if (path, target) in bundled:
                data = path.read_bytes()
            else:
                try:
                    data = read_text(path, folder=folder).encode("utf-8")
                except InputError as exc:
                    raise KnowledgeBaseError(exc.problems) from None
            digest.update(path.name.encode() + b"\0" + data)
            if (path, target) in bundled:  # trusted, and read straight into place
                target.parse(data=data, format="turtle")
                continue
            part = Graph()
            try:
                part.parse(data=data, format="turtle")
            except Exception as exc:  # rdflib raises many types for bad Turtle
                raise KnowledgeBaseError([_syntax_problem(path, exc)]) from None
            for subject in set(part.subjects()):
                defined_in.setdefault(subject, str(path))
            target += part
        return cls(graph, shapes, digest.hexdigest()[:16], defined_in)

    # -- construction -------------------------------------------------------------------
    def _case_key(self, prop: URIRef, name: str, allows_empty: bool) -> CaseKey:
        key = self._case_key_values(prop, name, allows_empty)
        g = self.graph
        decides = g.value(prop, IPO.buyerDecides)
        question = g.value(prop, IPO.question)
        return replace(
            key,
            decision=isinstance(decides, RDFLiteral) and decides.toPython() is True,
            question=str(question) if question is not None else "",
        )

    def _case_key_values(self, prop: URIRef, name: str, allows_empty: bool) -> CaseKey:
        g = self.graph
        multi = (prop, RDF.type, OWL.FunctionalProperty) not in g
        rng = g.value(prop, RDFS.range)
        label = str(g.value(prop, RDFS.label) or name)
        definition = str(g.value(prop, SKOS.definition) or "")
        if (prop, RDF.type, OWL.ObjectProperty) in g and isinstance(rng, URIRef):
            members = {
                str(g.value(ind, SKOS.notation)): ind
                for ind in self.members(rng)
                if g.value(ind, SKOS.notation) is not None and isinstance(ind, URIRef)
            }
            order = self._ordered(list(members.values()))
            values = (
                {self._notation(i): i for i in order} if order else dict(sorted(members.items()))
            )
            return CaseKey(
                name,
                prop,
                label,
                definition,
                multi,
                "choice",
                rng,
                values,
                allows_empty,
                ordered=order is not None,
            )
        low, high = _bounds(self.shapes, name)
        return CaseKey(
            name,
            prop,
            label,
            definition,
            multi,
            _DATATYPE_KINDS.get(rng, "text"),
            minimum=low,
            maximum=high,
        )

    def _clauses(self) -> dict[str, Clause]:
        g = self.graph
        in_order: list[Node] = []
        for members in g.objects(None, OWL.distinctMembers):
            listed = list(Collection(g, members))
            if any((m, RDF.type, IPO.SourceClause) in g for m in listed):
                in_order = listed
        found = list(g.subjects(RDF.type, IPO.SourceClause))
        found.sort(key=lambda c: (in_order.index(c) if c in in_order else len(in_order), str(c)))
        clauses: dict[str, Clause] = {}
        for iri in found:
            notation = g.value(iri, SKOS.notation)
            if notation is None or not isinstance(iri, URIRef):
                continue
            section = g.value(iri, SKOS.broader)
            grounds = frozenset(
                _CONCLUSION_CLASSES[c]
                for c in g.objects(section, IPO.groundsConclusion)
                if isinstance(c, URIRef) and c in _CONCLUSION_CLASSES
            )
            clauses[str(notation)] = Clause(
                str(notation),
                iri,
                self.label(iri),
                section if isinstance(section, URIRef) else None,
                grounds,
            )
        return clauses

    def _notation(self, ind: Node) -> str:
        return str(self.graph.value(ind, SKOS.notation))

    def _ordered(self, individuals: list[URIRef]) -> list[URIRef] | None:
        """Members in the order of the transitive property that links them, if there is one."""
        inds = set(individuals)
        for prop in self.graph.subjects(RDF.type, OWL.TransitiveProperty):
            links = {(a, b) for a, b in self.graph.subject_objects(prop) if a in inds and b in inds}
            if not links:
                continue
            before = {i: {b for a, b in links if a == i} for i in inds}
            # rank by how many members each one (transitively) precedes
            closure = {i: _reach(i, before) for i in inds}  # type: ignore[arg-type]
            if all(len(closure[i]) != len(closure[j]) for i in inds for j in inds if i != j):
                return sorted(inds, key=lambda i: -len(closure[i]))
        return None

    # -- queries ------------------------------------------------------------------------
    def subclasses(self, cls: Node) -> set[Node]:
        """``cls`` and every class below it (rdfs:subClassOf*)."""
        return {c for c in self.graph.transitive_subjects(RDFS.subClassOf, cls) if c is not None}

    def members(self, cls: Node) -> set[Node]:
        """Individuals typed with ``cls`` or one of its subclasses."""
        return {i for c in self.subclasses(cls) for i in self.graph.subjects(RDF.type, c)}

    def resolve_class(self, name: str) -> URIRef | None:
        """An ontology class named by local name or ``ipo:`` CURIE, or None."""
        local = name.removeprefix("ipo:")
        iri = IPO[local]
        return iri if (iri, RDF.type, OWL.Class) in self.graph else None

    def classes_over(self, key: CaseKey) -> list[str]:
        """Local names of the classes whose members are values of ``key`` (for messages)."""
        if key.value_class is None:
            return []
        return sorted(str(c).removeprefix(str(IPO)) for c in self.subclasses(key.value_class))

    def value_order(self, key: CaseKey) -> list[str] | None:
        """Notations of ``key``'s values in their ontology order, if they are ordered."""
        return list(key.values) if key.ordered else None

    def label(self, term: Node) -> str:
        return str(
            self.graph.value(term, SKOS.prefLabel) or self.graph.value(term, RDFS.label) or term
        )

    def clause_title(self, clause_id: str) -> str:
        clause = self.clauses.get(clause_id)
        return clause.title if clause is not None else clause_id

    def clauses_grounding(self, kind: ConclusionKind) -> list[str]:
        """Ids of the clauses a rule drawing a conclusion of ``kind`` may rest on."""
        return [c.id for c in self.clauses.values() if kind in c.grounds]

    def version(self) -> str:
        return str(self.graph.value(ONTOLOGY_IRI, OWL.versionInfo) or "")

    def derived(self, name: str, build: Callable[[Vocabulary], T]) -> T:
        """A value computed once from this vocabulary (shape tables, typing graphs ...).

        Modules that need an index of the ontology keep it here rather than in a module-level
        cache, so it belongs to the vocabulary it was computed from. Built under a lock: many
        threads may ask for it at once.
        """
        try:
            return self._derived[name]  # type: ignore[no-any-return]
        except KeyError:
            with self._lock:
                if name not in self._derived:
                    self._derived[name] = build(self)
                return self._derived[name]  # type: ignore[no-any-return]


def _syntax_problem(path: Path, exc: Exception) -> Problem:
    """One line for a malformed ontology extension file."""
    why = getattr(exc, "_why", None) or " ".join(str(exc).split())[:200]
    line = getattr(exc, "lines", None)
    return Problem(
        str(path),
        f"malformed Turtle: {why}",
        line + 1 if isinstance(line, int) else None,
        code="kb/ontology-syntax",
    )


def _reach(start: Node, succ: dict[Node, set[Node]]) -> set[Node]:
    seen: set[Node] = set()
    todo = list(succ.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(succ.get(node, ()))
    return seen


def _bounds(shapes: Graph, name: str) -> tuple[float | None, float | None]:
    """(sh:minInclusive, sh:maxInclusive) of the property shape named ``name``."""
    for shape in shapes.subjects(SH.name, None):
        if str(shapes.value(shape, SH.name)) == name:
            low, high = shapes.value(shape, SH.minInclusive), shapes.value(shape, SH.maxInclusive)
            return (
                float(low) if low is not None else None,  # type: ignore[arg-type]
                float(high) if high is not None else None,  # type: ignore[arg-type]
            )
    return None, None


def _layout(shapes: Graph) -> dict[str, tuple[int, bool]]:
    """Case key -> (its sh:order, whether its shape admits the empty list rdf:nil)."""
    layout = {}
    for shape, name in shapes.subject_objects(SH.name):
        order = shapes.value(shape, SH.order)
        empty = any(
            RDF.nil in Collection(shapes, allowed)
            for alternatives in shapes.objects(shape, SH["or"])
            for alternative in Collection(shapes, alternatives)
            for allowed in shapes.objects(alternative, SH["in"])
        )
        layout[str(name)] = (int(order) if order is not None else 999, empty)  # type: ignore[call-overload]
    return layout


_bundled: Vocabulary | None = None
_bundled_lock = threading.Lock()


def bundled_vocabulary() -> Vocabulary:
    """The vocabulary of the bundled ontology, read once per process (it never changes)."""
    global _bundled
    if _bundled is None:
        with _bundled_lock:
            if _bundled is None:
                _bundled = Vocabulary.load()
    return _bundled

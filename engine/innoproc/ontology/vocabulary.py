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
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from innoproc.errors import InputError, KnowledgeBaseError, Problem
from innoproc.reading.files import read_text

from . import cache, namespaces
from .namespaces import IPO_NS, XSD_NS
from .resources import ontology_path, shapes_path

if TYPE_CHECKING:  # rdflib is imported where graphs are built or read, not with this module
    from rdflib import Graph, URIRef
    from rdflib.term import Node

#: A stated fact as a plain Python value: text, a boolean, a number, or a tuple of notations.
FactValue = str | bool | int | float | tuple[str, ...]

KeyKind = Literal["text", "boolean", "integer", "number", "choice"]
#: The kinds of conclusion a rule can draw, as the rule language names them.
ConclusionKind = Literal["challenge-finding", "risk-finding", "recommendation"]

#: Python-side kind of each datatype range used by the case form.
_DATATYPE_KINDS: dict[str, KeyKind] = {
    XSD_NS + "string": "text",
    XSD_NS + "boolean": "boolean",
    XSD_NS + "integer": "integer",
    XSD_NS + "decimal": "number",
}
_CONCLUSION_CLASSES: dict[str, ConclusionKind] = {
    IPO_NS + "ChallengeFinding": "challenge-finding",
    IPO_NS + "RiskFinding": "risk-finding",
    IPO_NS + "Recommendation": "recommendation",
}

T = TypeVar("T")


@dataclass(frozen=True)
class CaseKey:
    """One key of the case form and the ontology property behind it.

    IRIs are kept as text, and as rdflib terms (:attr:`prop`, :attr:`value_class`,
    :attr:`values`) only once something asks for them: reading and advising on a YAML or JSON
    case needs the notations, not the terms.
    """

    name: str
    #: the ontology property, as text
    prop_iri: str
    label: str
    definition: str
    multi: bool
    kind: KeyKind
    #: the class whose members are the values (choice keys), as text
    value_class_iri: str | None = None
    #: notation -> the individual's IRI as text, in the ontology's order of the values (or by
    #: notation): iterate it for the notations
    value_iris: dict[str, str] = field(default_factory=dict)
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

    @cached_property
    def prop(self) -> URIRef:
        """The ontology property as an rdflib term."""
        from rdflib import URIRef

        return URIRef(self.prop_iri)

    @cached_property
    def value_class(self) -> URIRef | None:
        """The class of the values as an rdflib term, if the key is a choice."""
        from rdflib import URIRef

        return URIRef(self.value_class_iri) if self.value_class_iri is not None else None

    @cached_property
    def values(self) -> dict[str, URIRef]:
        """Notation -> individual as an rdflib term, in the order of :attr:`value_iris`."""
        from rdflib import URIRef

        return {notation: URIRef(iri) for notation, iri in self.value_iris.items()}

    def notation_of(self, individual: Node) -> str | None:
        for notation, iri in self.values.items():
            if iri == individual:
                return notation
        return None


@dataclass(frozen=True)
class Clause:
    """One clause of the source document: its id, title and the section it belongs to."""

    id: str
    #: the clause's IRI, as text (:attr:`iri` as an rdflib term)
    iri_text: str
    title: str
    #: the section of the source document, as text
    section_text: str | None
    #: the kinds of conclusion a rule citing this clause may draw on its strength
    grounds: frozenset[ConclusionKind]

    @cached_property
    def iri(self) -> URIRef:
        from rdflib import URIRef

        return URIRef(self.iri_text)

    @cached_property
    def section(self) -> URIRef | None:
        from rdflib import URIRef

        return URIRef(self.section_text) if self.section_text is not None else None


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
        self._graph: Graph | None = graph
        self._shapes: Graph | None = shapes
        self._shape_statements: list[list[Any]] | None = None
        self._sources: tuple[_Source, ...] = ()
        self._defined_in: dict[Node, str] | None = defined_in or {}
        self.fingerprint = fingerprint
        from rdflib import SKOS, URIRef

        IPO = namespaces.IPO
        self.keys: dict[str, CaseKey] = {}
        self._by_property: dict[Node, CaseKey] | None = None
        self._derived: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._subjects: dict[bool, dict[int, set[Node]]] = {}
        self._index: _Index = _Index.of(graph)
        layout = _layout(shapes)
        found = [(prop, str(key)) for prop, key in graph.subject_objects(IPO.caseKey)]
        for prop, key in sorted(found, key=lambda t: (layout.get(t[1], (999, False))[0], t[1])):
            if not isinstance(prop, URIRef):
                continue
            case_key = self._case_key(prop, key, layout.get(key, (0, False))[1])
            self.keys[case_key.name] = case_key
        self.clauses: dict[str, Clause] = self._clauses()
        courses: dict[str, Node] = {
            str(self.graph.value(c, SKOS.notation)): c
            for c in self.members(IPO.CourseOfAction)
            if isinstance(c, URIRef) and self.graph.value(c, SKOS.notation) is not None
        }
        self._course_iris = {name: str(iri) for name, iri in courses.items()}
        self._courses: dict[str, URIRef] | None = None
        notation: dict[Node, str] = {iri: name for name, iri in courses.items()}
        #: course notation -> the class of courses it is chosen among (ipo:oneChosenAmong)
        self.choice_groups: dict[str, str] = {}
        for group in self.graph.subjects(IPO.oneChosenAmong, None):
            members = self.members(group)
            self.choice_groups.update(
                {name: str(group) for name, iri in courses.items() if iri in members}
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

        Parsing the ontology with rdflib is most of the start-up of a command, and what the
        commands need of it is a few tables; so the tables are read from the vocabulary cache
        (:mod:`.cache`) when it holds them for exactly these files, and the graphs are parsed
        only when something asks for :attr:`graph` or :attr:`shapes`.
        """
        sources = _read_sources(extensions, folder)
        digest = hashlib.sha256()
        for source in sources:
            digest.update(source.path.name.encode() + b"\0" + source.data)
        fingerprint = digest.hexdigest()[:16]
        key = cache.vocabulary_key(fingerprint)
        tables = cache.read_vocabulary(key)
        if tables is not None:
            try:
                return cls._from_tables(tables, sources, fingerprint)
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # a cache file that does not rebuild: parsed again and written anew
        vocab = cls._parsed(sources, fingerprint)
        cache.write_vocabulary(key, vocab.tables())
        return vocab

    @classmethod
    def _parsed(cls, sources: tuple[_Source, ...], fingerprint: str) -> Vocabulary:
        """The vocabulary built from the graphs parsed from ``sources`` (no cache)."""
        from rdflib import Graph

        graph, shapes = Graph(), Graph()
        defined_in: dict[Node, str] = {}
        for source in sources:
            target = shapes if source.shapes else graph
            for subject in _parse_into(target, source):
                defined_in.setdefault(subject, str(source.path))
        vocab = cls(graph, shapes, fingerprint, defined_in)
        vocab._sources = sources
        return vocab

    @property
    def by_property(self) -> dict[Node, CaseKey]:
        """Each case key by its ontology property (as an rdflib term)."""
        found = self._by_property
        if found is None:
            found = self._by_property = {key.prop: key for key in self.keys.values()}
        return found

    @property
    def courses(self) -> dict[str, URIRef]:
        """Notation -> individual of each course of action a recommendation can propose."""
        found = self._courses
        if found is None:
            from rdflib import URIRef

            found = self._courses = {n: URIRef(iri) for n, iri in self._course_iris.items()}
        return found

    # -- the graphs, parsed on first use ----------------------------------------------------
    @property
    def graph(self) -> Graph:
        """The ontology (with its extensions) as an rdflib graph, parsed on first use."""
        if self._graph is None:
            self._parse_part(shapes=False)
        assert self._graph is not None
        return self._graph

    @property
    def shapes(self) -> Graph:
        """The SHACL shapes (with their extensions) as an rdflib graph, parsed on first use."""
        if self._shapes is None:
            self._parse_part(shapes=True)
        assert self._shapes is not None
        return self._shapes

    @property
    def defined_in(self) -> dict[Node, str]:
        """The extension file that first states something about each term, for messages."""
        if self._defined_in is None:
            with self._lock:
                first: dict[int, set[Node]] = {}
                for shapes in (False, True):
                    first.update(self._parse_part(shapes))
                defined_in: dict[Node, str] = {}
                for i, source in enumerate(self._sources):
                    for subject in first.get(i, ()):
                        defined_in.setdefault(subject, str(source.path))
                self._defined_in = defined_in
        return self._defined_in

    def _parse_part(self, shapes: bool) -> dict[int, set[Node]]:
        """Parse the sources of the shapes or of the ontology (the same bytes the fingerprint
        was made from); the subjects each extension file states, by its place in the sources."""
        with self._lock:
            if (self._shapes if shapes else self._graph) is not None:
                return self._subjects.get(shapes, {})
            from rdflib import Graph

            cached = None
            if shapes and self._shape_statements is not None:
                # the bundled shapes as the cache keeps their statements: no Turtle to parse
                cached = _graph_of(self._shape_statements)
                self._shape_statements = None
            if cached is not None:
                target, subjects = cached, {}
            else:
                target = Graph()
                subjects = {
                    i: _parse_into(target, source)
                    for i, source in enumerate(self._sources)
                    if source.shapes == shapes
                }
            self._subjects[shapes] = subjects
            if shapes:
                self._shapes = target
            else:
                self._graph = target
            return subjects

    # -- the tables, for the cache ----------------------------------------------------------
    def tables(self) -> dict[str, Any]:
        """Everything this vocabulary answers without its graphs, as plain JSON data.

        The statements of the shapes come too when they are the bundled shapes alone: every
        YAML or JSON case is checked by a table derived from them
        (:mod:`innoproc.case.fast_check`), and building the graph from its statements takes a
        third of the time of parsing the Turtle. Shapes from a KB's extension files are parsed,
        so that messages can name the file that states a term.
        """
        tables = {
            "keys": [_key_json(k) for k in self.keys.values()],
            "clauses": [_clause_json(c) for c in self.clauses.values()],
            "courses": dict(self._course_iris),
            "choice_groups": self.choice_groups,
            "excluded_courses": sorted(sorted(pair) for pair in self.excluded_courses),
            "index": self._index.to_json(),
        }
        if all(source.bundled for source in self._sources if source.shapes):
            rows = _canonical_rows(self.shapes)
            if rows is not None:
                tables["shapes"] = rows
        return tables

    @classmethod
    def _from_tables(
        cls, tables: dict[str, Any], sources: tuple[_Source, ...], fingerprint: str
    ) -> Vocabulary:
        """A vocabulary from :meth:`tables`, its graphs to be parsed from ``sources`` if asked."""
        vocab = cls.__new__(cls)
        vocab._graph = vocab._shapes = None
        vocab._sources = sources
        shapes = tables.get("shapes")
        bundled_shapes = all(source.bundled for source in sources if source.shapes)
        vocab._shape_statements = shapes if bundled_shapes and isinstance(shapes, list) else None
        vocab._subjects = {}
        extended = any(not source.bundled for source in sources)
        vocab._defined_in = None if extended else {}
        vocab.fingerprint = fingerprint
        vocab._derived = {}
        vocab._lock = threading.RLock()
        keys = [_key_from_json(k) for k in tables["keys"]]
        vocab.keys = {k.name: k for k in keys}
        vocab._by_property = None
        clauses = [_clause_from_json(c) for c in tables["clauses"]]
        vocab.clauses = {c.id: c for c in clauses}
        courses = tables["courses"].items()
        vocab._course_iris = {cache.text(name): cache.text(iri) for name, iri in courses}
        vocab._courses = None
        vocab.choice_groups = {str(n): str(g) for n, g in tables["choice_groups"].items()}
        vocab.excluded_courses = {frozenset(map(str, pair)) for pair in tables["excluded_courses"]}
        vocab._index = _Index.from_json(tables["index"])
        return vocab

    # -- construction -------------------------------------------------------------------
    def _case_key(self, prop: URIRef, name: str, allows_empty: bool) -> CaseKey:
        from rdflib import Literal as RDFLiteral

        IPO = namespaces.IPO
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
        from rdflib import OWL, RDF, RDFS, SKOS, URIRef

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
                str(prop),
                label,
                definition,
                multi,
                "choice",
                str(rng),
                {notation: str(iri) for notation, iri in values.items()},
                allows_empty,
                ordered=order is not None,
            )
        low, high = _bounds(self.shapes, name)
        return CaseKey(
            name,
            str(prop),
            label,
            definition,
            multi,
            _DATATYPE_KINDS.get(str(rng), "text"),
            minimum=low,
            maximum=high,
        )

    def _clauses(self) -> dict[str, Clause]:
        from rdflib import OWL, RDF, SKOS, URIRef
        from rdflib.collection import Collection

        IPO = namespaces.IPO
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
                _CONCLUSION_CLASSES[str(c)]
                for c in g.objects(section, IPO.groundsConclusion)
                if isinstance(c, URIRef) and str(c) in _CONCLUSION_CLASSES
            )
            clauses[str(notation)] = Clause(
                str(notation),
                str(iri),
                self.label(iri),
                str(section) if isinstance(section, URIRef) else None,
                grounds,
            )
        return clauses

    def _notation(self, ind: Node) -> str:
        from rdflib import SKOS

        return str(self.graph.value(ind, SKOS.notation))

    def _ordered(self, individuals: list[URIRef]) -> list[URIRef] | None:
        """Members in the order of the transitive property that links them, if there is one."""
        from rdflib import OWL, RDF

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
        from rdflib import URIRef

        found: set[Node] = {cls}
        todo = [str(cls)]
        below = self._index.subclasses
        while todo:
            for sub in below.get(todo.pop(), ()):
                term = URIRef(sub)
                if term not in found:
                    found.add(term)
                    todo.append(sub)
        return found

    def members(self, cls: Node) -> set[Node]:
        """Individuals typed with ``cls`` or one of its subclasses."""
        from rdflib import URIRef

        instances = self._index.instances
        return {URIRef(i) for c in self.subclasses(cls) for i in instances.get(str(c), ())}

    def resolve_class(self, name: str) -> URIRef | None:
        """An ontology class named by local name or ``ipo:`` CURIE, or None."""
        local = name.removeprefix("ipo:")
        iri = namespaces.IPO[local]
        owl_class = "http://www.w3.org/2002/07/owl#Class"
        return iri if str(iri) in self._index.instances.get(owl_class, ()) else None

    def classes_over(self, key: CaseKey) -> list[str]:
        """Local names of the classes whose members are values of ``key`` (for messages)."""
        if key.value_class is None:
            return []
        return sorted(str(c).removeprefix(IPO_NS) for c in self.subclasses(key.value_class))

    def value_order(self, key: CaseKey) -> list[str] | None:
        """Notations of ``key``'s values in their ontology order, if they are ordered."""
        return list(key.value_iris) if key.ordered else None

    def label(self, term: Node | str) -> str:
        """A term's ``skos:prefLabel``, else its ``rdfs:label``, else the term itself (an IRI
        given as text or as an rdflib term)."""
        return self._index.labels.get(str(term)) or str(term)

    def definition(self, term: Node | str) -> str:
        """A term's ``skos:definition``, or the empty string (an IRI as text or a term)."""
        return self._index.definitions.get(str(term), "")

    def clause_title(self, clause_id: str) -> str:
        clause = self.clauses.get(clause_id)
        return clause.title if clause is not None else clause_id

    def clauses_grounding(self, kind: ConclusionKind) -> list[str]:
        """Ids of the clauses a rule drawing a conclusion of ``kind`` may rest on."""
        return [c.id for c in self.clauses.values() if kind in c.grounds]

    def version(self) -> str:
        return self._index.version

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
    from rdflib import SH

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
    from rdflib import RDF, SH
    from rdflib.collection import Collection

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


# -- the sources, read once, parsed when needed ------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """One Turtle file of a vocabulary, as read (the bytes its fingerprint was made from)."""

    path: Path
    data: bytes
    #: whether it adds to the shapes (``*.shapes.ttl`` and the bundled shapes)
    shapes: bool
    #: the bundled ontology or shapes: trusted, and parsed straight into place
    bundled: bool


def _read_sources(extensions: Iterable[Path], folder: Path | None) -> tuple[_Source, ...]:
    sources = [
        _Source(ontology_path(), ontology_path().read_bytes(), False, True),
        _Source(shapes_path(), shapes_path().read_bytes(), True, True),
    ]
    for path in extensions:
        try:
            data = read_text(path, folder=folder).encode("utf-8")
        except InputError as exc:
            raise KnowledgeBaseError(exc.problems) from None
        sources.append(_Source(path, data, path.name.endswith(".shapes.ttl"), False))
    return tuple(sources)


def _canonical_rows(graph: Graph) -> list[list[Any]] | None:
    """The statements of ``graph`` as JSON rows, sorted, each blank node named by a digest of
    what it states (recursively), so that the same shapes give the same rows whatever blank
    node names a parse made up; None when that naming would merge two blank nodes (two that
    state the same) or meets a cycle of blank nodes."""
    from rdflib import BNode

    names: dict[BNode, str] = {}
    visiting: set[BNode] = set()

    def name(node: BNode) -> str:
        if node not in names:
            if node in visiting:
                raise ValueError("a cycle of blank nodes")
            visiting.add(node)
            stated = sorted(json.dumps([str(p), term(o)]) for p, o in graph.predicate_objects(node))
            visiting.discard(node)
            names[node] = "c" + hashlib.sha256("\n".join(stated).encode()).hexdigest()[:24]
        return names[node]

    def term(node: Node) -> Any:
        return ["_", name(node)] if isinstance(node, BNode) else _term_json(node)

    try:
        rows = [[term(s), term(p), term(o)] for s, p, o in graph]
    except (ValueError, TypeError):
        return None
    if len(set(names.values())) != len(names):
        return None
    return sorted(rows, key=json.dumps)


def _term_json(term: Node) -> Any:
    """A named term of the shapes as JSON: an IRI as its text, a literal as a list."""
    from rdflib import Literal as RDFLiteral
    from rdflib import URIRef

    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, RDFLiteral):
        datatype = str(term.datatype) if term.datatype is not None else None
        return ["literal", str(term), datatype, term.language]
    raise TypeError(f"not a term of a shapes graph: {term!r}")


def _term_of(data: Any) -> Node:
    from rdflib import BNode, URIRef
    from rdflib import Literal as RDFLiteral

    if isinstance(data, str):
        return URIRef(data)
    if data[0] == "_":
        return BNode(data[1])
    if data[0] == "literal":
        _, text, datatype, language = data
        return RDFLiteral(text, lang=language, datatype=URIRef(datatype) if datatype else None)
    raise ValueError(f"not a cached term: {data!r}")


def _graph_of(rows: list[list[Any]]) -> Graph | None:
    """The graph of cached statements, or None if one of them does not rebuild."""
    from rdflib import Graph

    graph = Graph()
    try:
        statements = []
        for row in rows:
            subject, predicate, value = (_term_of(part) for part in row)
            statements.append((subject, predicate, value, graph))
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    graph.addN(statements)
    return graph


def _parse_into(target: Graph, source: _Source) -> set[Node]:
    """Parse one source into ``target``; the subjects an extension file states (for messages)."""
    from rdflib import Graph

    if source.bundled:
        target.parse(data=source.data, format="turtle")
        return set()
    part = Graph()
    try:
        part.parse(data=source.data, format="turtle")
    except Exception as exc:  # rdflib raises many types for bad Turtle
        raise KnowledgeBaseError([_syntax_problem(source.path, exc)]) from None
    target += part
    return set(part.subjects())


# -- what the queries read instead of the graph ------------------------------------------------


@dataclass(frozen=True)
class _Index:
    """The statements the queries of a :class:`Vocabulary` read, by IRI (named terms only):
    built from the graph once, and what the vocabulary cache keeps instead of the graph."""

    #: class -> its direct subclasses (rdfs:subClassOf)
    subclasses: dict[str, list[str]]
    #: class -> the individuals typed with it (rdf:type)
    instances: dict[str, list[str]]
    #: term -> skos:prefLabel, else rdfs:label
    labels: dict[str, str]
    #: term -> skos:definition
    definitions: dict[str, str]
    #: the ontology's owl:versionInfo
    version: str

    @classmethod
    def of(cls, graph: Graph) -> _Index:
        from rdflib import OWL, RDF, RDFS, SKOS, URIRef

        def grouped(predicate: URIRef) -> dict[str, list[str]]:
            found: dict[str, set[str]] = {}
            for s, o in graph.subject_objects(predicate):
                if isinstance(s, URIRef) and isinstance(o, URIRef):
                    found.setdefault(str(o), set()).add(str(s))
            return {o: sorted(s) for o, s in sorted(found.items())}

        labels: dict[str, str] = {}
        named = {s for s in graph.subjects(SKOS.prefLabel) if isinstance(s, URIRef)}
        named |= {s for s in graph.subjects(RDFS.label) if isinstance(s, URIRef)}
        for term in sorted(named):
            text = graph.value(term, SKOS.prefLabel) or graph.value(term, RDFS.label)
            if text:
                labels[str(term)] = str(text)
        definitions: dict[str, str] = {}
        for term in sorted({s for s in graph.subjects(SKOS.definition) if isinstance(s, URIRef)}):
            text = graph.value(term, SKOS.definition)
            if text:
                definitions[str(term)] = str(text)
        return cls(
            grouped(RDFS.subClassOf),
            grouped(RDF.type),
            labels,
            definitions,
            str(graph.value(namespaces.ONTOLOGY_IRI, OWL.versionInfo) or ""),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Index:
        def text_map(value: Any) -> dict[str, str]:
            if not isinstance(value, dict) or not all(
                isinstance(v, str) for v in value.values()
            ):
                raise ValueError("not a table of text")
            return value

        def list_map(value: Any) -> dict[str, list[str]]:
            if not isinstance(value, dict) or not all(
                isinstance(v, list) and all(isinstance(i, str) for i in v) for v in value.values()
            ):
                raise ValueError("not a table of lists")
            return value

        version = data["version"]
        if not isinstance(version, str):
            raise ValueError("not a version")
        return cls(
            list_map(data["subclasses"]),
            list_map(data["instances"]),
            text_map(data["labels"]),
            text_map(data["definitions"]),
            version,
        )


def _iri(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("an IRI that is not text")
    return value


def _bound(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return float(value)


_KINDS: tuple[KeyKind, ...] = ("text", "boolean", "integer", "number", "choice")
_CONCLUSION_KINDS: tuple[ConclusionKind, ...] = (
    "challenge-finding",
    "risk-finding",
    "recommendation",
)


def _key_json(key: CaseKey) -> dict[str, Any]:
    data = asdict(key)
    data["value_iris"] = [[notation, iri] for notation, iri in key.value_iris.items()]
    return data


def _key_from_json(data: dict[str, Any]) -> CaseKey:
    kind = data["kind"]
    if kind not in _KINDS:
        raise ValueError(f"key kind {kind!r}")
    value_class = data["value_class_iri"]
    return CaseKey(
        name=cache.text(data["name"]),
        prop_iri=_iri(data["prop_iri"]),
        label=cache.text(data["label"]),
        definition=cache.text(data["definition"]),
        multi=cache.flag(data["multi"]),
        kind=kind,
        value_class_iri=_iri(value_class) if value_class is not None else None,
        value_iris={cache.text(notation): _iri(iri) for notation, iri in data["value_iris"]},
        allows_empty=cache.flag(data["allows_empty"]),
        ordered=cache.flag(data["ordered"]),
        minimum=_bound(data["minimum"]),
        maximum=_bound(data["maximum"]),
        decision=cache.flag(data["decision"]),
        question=cache.text(data["question"]),
    )


def _clause_json(clause: Clause) -> dict[str, Any]:
    return {
        "id": clause.id,
        "iri": clause.iri_text,
        "title": clause.title,
        "section": clause.section_text,
        "grounds": sorted(clause.grounds),
    }


def _clause_from_json(data: dict[str, Any]) -> Clause:
    grounds = data["grounds"]
    if not isinstance(grounds, list) or not all(g in _CONCLUSION_KINDS for g in grounds):
        raise ValueError("clause grounds")
    section = data["section"]
    return Clause(
        cache.text(data["id"]),
        _iri(data["iri"]),
        cache.text(data["title"]),
        _iri(section) if section is not None else None,
        frozenset(grounds),
    )

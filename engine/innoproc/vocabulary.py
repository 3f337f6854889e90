"""The ontology, read once, as the single definition of the case form and the clause ids.

The case loader, the SHACL report, the rule checker, the compiler and the renderers all ask this
module what a key means, which values it takes and which ontology classes group them; none of
them keeps its own list. A case-form key is an ontology property annotated with ``ipo:caseKey``;
its values are the individuals of the property's range class, named by ``skos:notation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SH, SKOS, XSD, Graph, Namespace, URIRef
from rdflib.collection import Collection

from .resources import ontology_dir

IPO = Namespace("https://w3id.org/innoproc/ontology#")
CLAUSE = Namespace("https://w3id.org/innoproc/clause/")
CASE = Namespace("https://w3id.org/innoproc/case/")
ONTOLOGY_IRI = URIRef("https://w3id.org/innoproc/ontology")

#: Python-side kind of each datatype range used by the case form.
_DATATYPE_KINDS = {
    XSD.string: "text",
    XSD.boolean: "boolean",
    XSD.integer: "integer",
    XSD.decimal: "number",
}


@dataclass(frozen=True)
class CaseKey:
    """One key of the case form and the ontology property behind it."""

    name: str
    prop: URIRef
    label: str
    definition: str
    multi: bool
    kind: str  # "text" | "boolean" | "integer" | "number" | "choice"
    value_class: URIRef | None = None
    #: notation -> individual, in the ontology's order of the values (or by notation)
    values: dict[str, URIRef] = field(default_factory=dict)
    #: a list key whose empty list means "stated: none" (the shapes allow ``rdf:nil``)
    allows_empty: bool = False
    #: whether ``values`` follow an order the ontology defines (phases, risk levels ...)
    ordered: bool = False

    @property
    def is_choice(self) -> bool:
        return self.kind == "choice"

    def notation_of(self, individual: URIRef) -> str | None:
        for notation, iri in self.values.items():
            if iri == individual:
                return notation
        return None


class Vocabulary:
    """Read-only view of the ontology (and the form's layout in the shapes) for every module.

    Keys are listed in case-form order, which the shapes give with ``sh:order``.
    """

    def __init__(self, graph: Graph, shapes: Graph):
        self.graph = graph
        self.keys: dict[str, CaseKey] = {}
        self.by_property: dict[URIRef, CaseKey] = {}
        layout = _layout(shapes)
        found = [(prop, str(key)) for prop, key in graph.subject_objects(IPO.caseKey)]
        for prop, key in sorted(found, key=lambda t: (layout.get(t[1], (999, False))[0], t[1])):
            case_key = self._case_key(prop, key, layout.get(key, (0, False))[1])
            self.keys[case_key.name] = case_key
            self.by_property[prop] = case_key
        self.clauses: dict[str, URIRef] = {
            str(notation): clause
            for clause in graph.subjects(RDF.type, IPO.SourceClause)
            for notation in graph.objects(clause, SKOS.notation)
        }

    # -- construction -------------------------------------------------------------------
    def _case_key(self, prop: URIRef, name: str, allows_empty: bool) -> CaseKey:
        g = self.graph
        multi = (prop, RDF.type, OWL.FunctionalProperty) not in g
        rng = g.value(prop, RDFS.range)
        label = str(g.value(prop, RDFS.label) or name)
        definition = str(g.value(prop, SKOS.definition) or "")
        if (prop, RDF.type, OWL.ObjectProperty) in g:
            members = {
                str(g.value(ind, SKOS.notation)): ind
                for ind in self.members(rng)
                if g.value(ind, SKOS.notation) is not None
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
        return CaseKey(name, prop, label, definition, multi, _DATATYPE_KINDS.get(rng, "text"))

    def _notation(self, ind: URIRef) -> str:
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
            closure = {i: self._reach(i, before) for i in inds}
            if all(len(closure[i]) != len(closure[j]) for i in inds for j in inds if i != j):
                return sorted(inds, key=lambda i: -len(closure[i]))
        return None

    @staticmethod
    def _reach(start: URIRef, succ: dict[URIRef, set[URIRef]]) -> set[URIRef]:
        seen: set[URIRef] = set()
        todo = list(succ.get(start, ()))
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(succ.get(node, ()))
        return seen

    # -- queries ------------------------------------------------------------------------
    def subclasses(self, cls: URIRef) -> set[URIRef]:
        """``cls`` and every class below it (rdfs:subClassOf*)."""
        return set(self.graph.transitive_subjects(RDFS.subClassOf, cls))

    def members(self, cls: URIRef) -> set[URIRef]:
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

    def label(self, term: URIRef) -> str:
        return str(
            self.graph.value(term, SKOS.prefLabel) or self.graph.value(term, RDFS.label) or term
        )

    def clause_title(self, clause_id: str) -> str:
        return self.label(self.clauses[clause_id]) if clause_id in self.clauses else clause_id

    def version(self) -> str:
        return str(self.graph.value(ONTOLOGY_IRI, OWL.versionInfo) or "")


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
        layout[str(name)] = (int(order) if order is not None else 999, empty)
    return layout


def ontology_path() -> Path:
    return ontology_dir() / "innoproc.ttl"


def shapes_path() -> Path:
    return ontology_dir() / "shapes.ttl"


@cache
def ontology_graph() -> Graph:
    return Graph().parse(ontology_path(), format="turtle")


@cache
def shapes_graph() -> Graph:
    return Graph().parse(shapes_path(), format="turtle")


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary of the bundled ontology, built once per process."""
    return Vocabulary(ontology_graph(), shapes_graph())

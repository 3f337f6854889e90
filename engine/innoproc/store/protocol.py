"""What the store commands need from a triple store, and nothing more.

The case library lives in a quad store: one named graph per case, one per advice run, one for
the ontology, one for the KB's rules. Every command above this module (``store add``,
``query`` ...) talks to a :class:`TripleStore` only, so the embedded Oxigraph store
(:mod:`.embedded`) and a remote SPARQL 1.1 server can hold the same library. The interface is
kept to what both can do well: whole named graphs in and out (a remote server writes them with a
Graph Store Protocol ``PUT``), read-only SPARQL, dumps, counts.

Values crossing the interface are plain Python (graph contents as N-Triples text, results as
:class:`Term` rows), so an implementation needs no particular RDF library.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO, Literal, Protocol, runtime_checkable

TermKind = Literal["iri", "bnode", "literal", "triple"]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass(frozen=True)
class Term:
    """One RDF term of a query result or a query parameter.

    ``value`` is the IRI, the blank node label or the literal's lexical form; a literal also has
    its ``datatype`` IRI (``xsd:string`` when it has none) or its ``language`` tag.
    """

    kind: TermKind
    value: str
    datatype: str | None = None
    language: str | None = None

    @classmethod
    def iri(cls, value: str) -> Term:
        return cls("iri", value)

    @classmethod
    def literal(cls, value: str, datatype: str | None = None, language: str | None = None) -> Term:
        if language:
            return cls("literal", value, RDF_LANG_STRING, language)
        return cls("literal", value, datatype or XSD_STRING)

    def n3(self) -> str:
        """The term in N-Triples syntax, escaped, so it can stand in any SPARQL text as a term."""
        if self.kind == "iri":
            return f"<{escape_iri(self.value)}>"
        if self.kind == "bnode":
            return f"_:{self.value}"
        if self.kind == "triple":
            return f"<< {self.value} >>"
        quoted = '"' + escape_string(self.value) + '"'
        if self.language:
            return f"{quoted}@{self.language}"
        if self.datatype and self.datatype != XSD_STRING:
            return f"{quoted}^^<{escape_iri(self.datatype)}>"
        return quoted

    def __str__(self) -> str:
        """A short reading of the term: an IRI or a literal's text, as a table shows it."""
        return self.value if self.kind != "bnode" else f"_:{self.value}"


_STRING_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def escape_string(text: str) -> str:
    """Text as the inside of an N-Triples or SPARQL string literal, every quote escaped."""
    out = []
    for char in text:
        if char in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


_IRI_FORBIDDEN = set('<>"{}|^`\\ ')


def escape_iri(iri: str) -> str:
    """An IRI that cannot close its ``<...>`` early: forbidden characters as ``\\uXXXX``."""
    return "".join(f"\\u{ord(c):04X}" if c in _IRI_FORBIDDEN or ord(c) <= 0x20 else c for c in iri)


@dataclass(frozen=True)
class Rows:
    """The answer of a SELECT: its variables (without ``?``) and one tuple per solution."""

    variables: tuple[str, ...]
    rows: tuple[tuple[Term | None, ...], ...]


@dataclass(frozen=True)
class Triples:
    """The answer of a CONSTRUCT or DESCRIBE: subject, predicate, object."""

    triples: tuple[tuple[Term, Term, Term], ...]


QueryResult = Rows | bool | Triples


class DumpFormat(StrEnum):
    """Whole-store serialisations: both keep the named graphs."""

    nquads = "nquads"
    trig = "trig"


@dataclass(frozen=True)
class StoreStats:
    """Counts a store can give cheaply: quads, named graphs, bytes on disk (None if unknown)."""

    quads: int
    graphs: int
    size_bytes: int | None


@runtime_checkable
class TripleStore(Protocol):
    """A quad store holding the case library.

    Contract shared by every implementation:

    - **Graphs are the unit of writing.** :meth:`replace_graphs` drops and rewrites whole named
      graphs; all of one call is applied or none of it (a killed process leaves the store as it
      was before the call, or as after it).
    - **Queries read the union.** In :meth:`query` the default graph is the union of all named
      graphs, so saved queries need no ``GRAPH`` clause; ``GRAPH ?g`` still names the graph.
    - **Queries are read-only.** :meth:`query` runs SELECT, ASK, CONSTRUCT and DESCRIBE; callers
      refuse updates before they get here.
    """

    #: where the store is, for messages: a folder or a URL
    location: str

    def replace_graphs(self, graphs: Mapping[str, str], drop: Iterable[str] = ()) -> None:
        """In one transaction: remove every graph named in ``drop`` or in ``graphs``, then write
        each graph of ``graphs`` (name -> its triples as N-Triples text)."""
        ...

    def drop_graphs(self, names: Iterable[str]) -> None:
        """Remove these named graphs (missing ones are ignored), in one transaction."""
        ...

    def query(self, sparql: str, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        """Run a read query; ``bindings`` give variables (without ``?``) fixed RDF terms, never
        pasted into the text as strings.

        Bindings follow SPARQL-dev SEP-0007 (substitution): the variable takes the term
        everywhere in the query. A SELECT must project each bound variable (Oxigraph refuses
        otherwise); an implementation without substitution may add a ``VALUES`` block instead.
        """
        ...

    def graph_names(self) -> Sequence[str]:
        """The IRIs of every named graph."""
        ...

    def dump(self, out: BinaryIO, fmt: DumpFormat) -> None:
        """Write every named graph to ``out`` as N-Quads or TriG."""
        ...

    def load(self, source: BinaryIO, fmt: DumpFormat) -> None:
        """Add the quads of an N-Quads or TriG stream (graphs already present are merged)."""
        ...

    def stats(self) -> StoreStats:
        """Quads, graphs and size on disk."""
        ...

    def close(self) -> None:
        """Release the store (the folder lock of an embedded store)."""
        ...

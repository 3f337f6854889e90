"""The IRIs innoproc mints and reads: one place for every namespace of the project.

Each namespace is here twice: as text (``IPO_NS`` ...), for what only needs to write or compare
IRIs, and as an rdflib ``Namespace`` (``IPO`` ...), made when first asked for. Importing rdflib
costs about a fifth of ``innoproc advise CASE``, and a YAML or JSON case is read, checked and
advised on without any RDF term (:mod:`innoproc.case.plain_check`): only what builds or reads
graphs asks for the rdflib forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

#: the ontology's own terms (classes, properties, value individuals)
IPO_NS = "https://w3id.org/innoproc/ontology#"
#: the clauses of the source document (KC-1 … KM)
CLAUSE_NS = "https://w3id.org/innoproc/clause/"
#: cases, each also the name of the graph that holds its facts
CASE_NS = "https://w3id.org/innoproc/case/"
#: advice runs, each the name of the graph that holds its items and their provenance
ADVICE_NS = "https://w3id.org/innoproc/advice/"
#: rules of a knowledge base
RULE_NS = "https://w3id.org/innoproc/kb/rule/"
#: the ontology itself
ONTOLOGY = "https://w3id.org/innoproc/ontology"
#: XML Schema's datatypes, which the shapes give the keys that are not choices
XSD_NS = "http://www.w3.org/2001/XMLSchema#"



def case_iri_text(case_id: str) -> str:
    """The IRI of a case, also the name of the graph that holds its facts."""
    return CASE_NS + quote(case_id, safe="")


_NAMESPACES = {"IPO": IPO_NS, "CLAUSE": CLAUSE_NS, "CASE": CASE_NS, "ADVICE": ADVICE_NS,
               "RULE": RULE_NS}

if TYPE_CHECKING:
    from rdflib import Namespace, URIRef

    IPO: Namespace
    CLAUSE: Namespace
    CASE: Namespace
    ADVICE: Namespace
    RULE: Namespace
    ONTOLOGY_IRI: URIRef


def __getattr__(name: str) -> Any:
    """``IPO``, ``CLAUSE``, ``CASE``, ``ADVICE``, ``RULE`` and ``ONTOLOGY_IRI`` as rdflib terms."""
    if name in _NAMESPACES:
        from rdflib import Namespace

        made: Any = Namespace(_NAMESPACES[name])
    elif name == "ONTOLOGY_IRI":
        from rdflib import URIRef

        made = URIRef(ONTOLOGY)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = made
    return made

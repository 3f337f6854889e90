"""Check that every term of a vocabulary is named and defined, so that messages, documentation
and interviews can always say what a term means in words."""

from __future__ import annotations

from rdflib import RDFS, SKOS, URIRef

from innoproc.errors import Problem

from .namespaces import CLAUSE, IPO
from .resources import ontology_path
from .vocabulary import Vocabulary


def undefined_terms(vocab: Vocabulary) -> list[Problem]:
    """One warning per ontology term (ipo: or clause:) without a label or a definition."""
    g = vocab.graph
    problems = []
    terms = sorted(
        {
            s
            for s in g.subjects()
            if isinstance(s, URIRef) and str(s).startswith((str(IPO), str(CLAUSE)))
        }
    )
    for term in terms:
        missing = [
            what
            for what, prop in (("label", RDFS.label), ("definition", SKOS.definition))
            if g.value(term, prop) is None
        ]
        if missing:
            short = term.replace(str(IPO), "ipo:").replace(str(CLAUSE), "clause:")
            problems.append(
                Problem(
                    vocab.defined_in.get(term, str(ontology_path())),
                    f"term {short} has no {' and no '.join(missing)}",
                    key=short,
                    code="kb/undefined-term",
                    severity="warning",
                )
            )
    return problems

"""Vocabulary: what the OWL ontology and the SHACL shapes say, for every other layer.

Imports nothing of innoproc but :mod:`innoproc.errors`; every other layer reads the case form and
the clause scheme through :class:`Vocabulary`.
"""

from .namespaces import ADVICE, CASE, CLAUSE, IPO, ONTOLOGY_IRI, RULE
from .vocabulary import (
    CaseKey,
    Clause,
    ConclusionKind,
    FactValue,
    Vocabulary,
    bundled_vocabulary,
)

__all__ = [
    "ADVICE",
    "CASE",
    "CLAUSE",
    "IPO",
    "ONTOLOGY_IRI",
    "RULE",
    "CaseKey",
    "Clause",
    "ConclusionKind",
    "FactValue",
    "Vocabulary",
    "bundled_vocabulary",
]

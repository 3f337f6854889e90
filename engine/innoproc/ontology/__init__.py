"""Vocabulary: what the OWL ontology and the SHACL shapes say, for every other layer.

Imports nothing of innoproc but :mod:`innoproc.errors`; every other layer reads the case form and
the clause scheme through :class:`Vocabulary`. The namespaces as rdflib terms (``IPO`` ...) are
made when first asked for (:mod:`.namespaces`), so that importing this package imports no rdflib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .vocabulary import (
    CaseKey,
    Clause,
    ConclusionKind,
    FactValue,
    Vocabulary,
    bundled_vocabulary,
)

if TYPE_CHECKING:
    from .namespaces import ADVICE, CASE, CLAUSE, IPO, ONTOLOGY_IRI, RULE

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


def __getattr__(name: str) -> Any:
    if name in ("ADVICE", "CASE", "CLAUSE", "IPO", "ONTOLOGY_IRI", "RULE"):
        from . import namespaces

        return getattr(namespaces, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

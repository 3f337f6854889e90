"""The case library: cases and their advice in a triple store, and SPARQL over them.

Every command talks to a :class:`TripleStore` (:mod:`.protocol`); :mod:`.embedded` is the
on-disk Oxigraph store used by default. May import export, explain and every layer below;
nothing below imports it.
"""

from .protocol import DumpFormat, QueryResult, Rows, StoreStats, Term, Triples, TripleStore

__all__ = [
    "DumpFormat",
    "QueryResult",
    "Rows",
    "StoreStats",
    "Term",
    "TripleStore",
    "Triples",
]

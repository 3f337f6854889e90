"""The rule language: model, grammar, parsing, normal forms, reference semantics, KB analysis.

May import :mod:`innoproc.ontology`, :mod:`innoproc.reading` and :mod:`innoproc.errors`; knows
nothing of cases or engines.
"""

from .loader import parse_kb, rule_files
from .model import (
    All,
    AnyOf,
    AtLeast,
    Conclusion,
    ConclusionTest,
    Condition,
    FactTest,
    Not,
    RuleSpec,
    leaves,
    producers,
)

__all__ = [
    "All",
    "AnyOf",
    "AtLeast",
    "Conclusion",
    "ConclusionTest",
    "Condition",
    "FactTest",
    "Not",
    "RuleSpec",
    "leaves",
    "parse_kb",
    "producers",
    "rule_files",
]

"""Advice and its justification: the knowledge base applied to a case, and the chain of reasons
behind every item (later: why-not, what-if and open questions).

May import every layer below it: engine, rules, case, ontology, reading, errors.
"""

from typing import TYPE_CHECKING, Any

from .advice import Advice, AdviceItem, Reason, build_advice
from .knowledge_base import KnowledgeBase, advise, default_kb

if TYPE_CHECKING:
    from .interview import Interview, Question

__all__ = [
    "Advice",
    "AdviceItem",
    "Interview",
    "KnowledgeBase",
    "Question",
    "Reason",
    "advise",
    "build_advice",
    "default_kb",
]


def __getattr__(name: str) -> Any:
    """The interview on first use: advising on a case does not need it loaded."""
    if name in ("Interview", "Question"):
        from . import interview

        return getattr(interview, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Advice and its justification: the knowledge base applied to a case, and the chain of reasons
behind every item (later: why-not, what-if and open questions).

May import every layer below it: engine, rules, case, ontology, reading, errors.
"""

from .advice import Advice, AdviceItem, Reason, build_advice
from .interview import Interview, Question
from .knowledge_base import KnowledgeBase, advise, default_kb

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

"""Reading a case: YAML, JSON or RDF into one validated :class:`Case` in the ontology's terms.

May import :mod:`innoproc.ontology`, :mod:`innoproc.reading` and :mod:`innoproc.errors`.
"""

from .loader import Case, CaseSource, load_case, load_case_text

__all__ = ["Case", "CaseSource", "load_case", "load_case_text"]

"""innoproc: advice on innovation procurement in Big Science, with the reasons behind it.

The public API is small: :func:`load_case` reads and validates a case, :func:`advise` returns
:class:`Advice` whose every item carries its chain of reasons, and :class:`KnowledgeBase` loads a
rule folder other than the bundled one.
"""

from importlib.metadata import PackageNotFoundError, version

from .advice import Advice, AdviceItem, Reason
from .errors import CaseError, InnoprocError, KnowledgeBaseError, Problem
from .kb import KnowledgeBase, advise
from .loader import Case, load_case

try:
    __version__ = version("innoproc")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "Advice",
    "AdviceItem",
    "Case",
    "CaseError",
    "InnoprocError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Problem",
    "Reason",
    "__version__",
    "advise",
    "load_case",
]

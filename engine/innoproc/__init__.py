"""innoproc: advice on innovation procurement in Big Science, with the reasons behind it.

The public API is small: :func:`load_case` reads and validates a case, :func:`advise` returns
:class:`Advice` whose every item carries its chain of reasons, and :class:`KnowledgeBase` loads a
rule folder other than the bundled one.

Names are imported on first use (PEP 562), so ``import innoproc`` is cheap and the command line
starts without loading rdflib, pySHACL or experta.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str
    from .case import Case, load_case
    from .errors import ArgumentError, CaseError, InnoprocError, KnowledgeBaseError, Problem
    from .explain import Advice, AdviceItem, Interview, KnowledgeBase, Reason, advise


def _version() -> str:
    """The version of the code that is running: the checkout's pyproject.toml when running from
    a source checkout (an editable install's metadata goes stale when the version changes),
    else the installed distribution's metadata."""
    from pathlib import Path

    pyproject = Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
            if project.get("name") == "innoproc":
                return str(project["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("innoproc")
    except PackageNotFoundError:
        return "0.0.0+unknown"


#: public name -> the module that defines it
_EXPORTS = {
    "Advice": ".explain",
    "AdviceItem": ".explain",
    "Reason": ".explain",
    "KnowledgeBase": ".explain",
    "Interview": ".explain",
    "advise": ".explain",
    "Case": ".case",
    "load_case": ".case",
    "ArgumentError": ".errors",
    "CaseError": ".errors",
    "InnoprocError": ".errors",
    "KnowledgeBaseError": ".errors",
    "Problem": ".errors",
}

__all__ = [
    "Advice",
    "AdviceItem",
    "ArgumentError",
    "Case",
    "CaseError",
    "InnoprocError",
    "Interview",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Problem",
    "Reason",
    "__version__",
    "advise",
    "load_case",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read on first use: importing the package stays instant
        globals()["__version__"] = value = _version()
        return value
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'innoproc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__

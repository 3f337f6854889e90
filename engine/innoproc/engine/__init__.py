"""Engine backends: run a KB's rules on one case's facts and record every firing.

experta is imported only here, and only through :mod:`innoproc.engine._experta` (its shim for
Python 3.10+). Backends are chosen by name from :data:`BACKENDS`; each is loaded on first use, so
importing this package costs nothing. May import :mod:`innoproc.rules`, :mod:`innoproc.ontology`
and :mod:`innoproc.errors`.
"""

from __future__ import annotations

from importlib import import_module

from innoproc.errors import wrong_argument
from innoproc.rules import RuleSpec

from .protocol import Backend, Firing

#: backend name -> "module:class" (relative to this package), imported when first asked for
BACKENDS = {"experta": ".experta_backend:ExpertaBackend"}
DEFAULT_BACKEND = "experta"


def make_backend(name: str, rules: tuple[RuleSpec, ...]) -> Backend:
    """The backend called ``name`` for these rules."""
    if name not in BACKENDS:
        raise wrong_argument("engine", name, "one of " + ", ".join(BACKENDS))
    module, _, cls = BACKENDS[name].partition(":")
    backend: Backend = getattr(import_module(module, __name__), cls)(rules)
    return backend


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "Firing", "make_backend"]

"""Engine backends: run a KB's rules on one case's facts and record every firing.

experta is imported only here, and only through :mod:`innoproc.engine._experta` (its shim for
Python 3.10+); CLIPS likewise only through :mod:`innoproc.engine._clips`. Backends are chosen by
name from :data:`BACKENDS`; each is loaded on first use, so importing this package costs nothing.
May import :mod:`innoproc.rules`, :mod:`innoproc.ontology` and :mod:`innoproc.errors`.
"""

from __future__ import annotations

from importlib import import_module

from innoproc.errors import did_you_mean, wrong_argument
from innoproc.rules import RuleSpec

from .protocol import Backend, Firing

#: backend name -> "module:class" (relative to this package), imported when first asked for
BACKENDS = {
    "experta": ".experta_backend:ExpertaBackend",
    "clips": ".clips_backend:ClipsBackend",
}
DEFAULT_BACKEND = "experta"


def check_backend(name: object) -> str:
    """``name`` if a backend has that name; else an ArgumentError naming the backends (and the
    closest one), raised where the name is given rather than at the first case."""
    if not isinstance(name, str) or name not in BACKENDS:
        names = tuple(BACKENDS)
        raise wrong_argument(
            "engine", name, "one of " + ", ".join(names) + did_you_mean(name, names)
        )
    return name


def make_backend(name: str, rules: tuple[RuleSpec, ...]) -> Backend:
    """The backend called ``name`` for these rules."""
    check_backend(name)
    module, _, cls = BACKENDS[name].partition(":")
    backend: Backend = getattr(import_module(module, __name__), cls)(rules)
    return backend


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "Firing", "check_backend", "make_backend"]

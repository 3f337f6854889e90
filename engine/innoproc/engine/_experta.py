"""The one place that imports experta.

experta 1.9.4 (its last release) pins ``frozendict==1.2``, whose class statement subclasses
``collections.Mapping``, an alias removed in Python 3.10. We restore the alias only for as long as
frozendict's module body runs, then remove it again, so nothing else in the process can come to
depend on it. If experta ever ships a release without that pin, the shim is a no-op.

Every other module imports experta names from here; ruff's banned-api rule (TID251, configured in
pyproject.toml) rejects ``import experta`` anywhere else, because importing experta before this
module runs would bring the AttributeError back.
"""

import collections
import collections.abc
import inspect
import logging
import weakref
from typing import Any

if not hasattr(collections, "Mapping"):  # Python >= 3.10
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
    try:
        import frozendict  # noqa: F401  (its class statement runs now, while the alias exists)
    finally:
        del collections.Mapping  # type: ignore[attr-defined]

# experta calls logging.basicConfig() when imported; give the root logger a handler first so
# that call does nothing and the host application's logging stays as it configured it.
_root = logging.getLogger()
if not _root.handlers:
    _root.addHandler(logging.NullHandler())

import experta.rule as _rule  # noqa: E402
from experta import AS, NOT, TEST, Fact, KnowledgeEngine, P, Rule, W  # noqa: E402
from experta.activation import Activation  # noqa: E402
from experta.agenda import Agenda  # noqa: E402
from experta.deffacts import DefFacts  # noqa: E402
from experta.factlist import FactList  # noqa: E402
from experta.matchers import ReteMatcher  # noqa: E402
from experta.strategies import DepthStrategy  # noqa: E402

# experta's Rule inspects the signature of its function each time it is wrapped, and building
# the network rewraps every rule's function many times over while it puts the conditions in
# normal form (about a fifth of the build, which a one-case command pays in full). A function's
# signature does not change: inspect it once per function.
# Remembered weakly, so the functions of a KB's rules go when its engine does.
_signatures: weakref.WeakKeyDictionary[Any, inspect.Signature] = weakref.WeakKeyDictionary()


def _signature(function: Any) -> inspect.Signature:
    try:
        return _signatures[function]
    except KeyError:
        found = _signatures[function] = inspect.signature(function)
        return found
    except TypeError:  # not weakly referable: inspected each time, as experta does
        return inspect.signature(function)


class _Inspect:
    """``inspect`` as experta.rule uses it, with signatures remembered per function."""

    Parameter = inspect.Parameter
    signature = staticmethod(_signature)


_rule.inspect = _Inspect

__all__ = [
    "AS",
    "NOT",
    "TEST",
    "Activation",
    "Agenda",
    "DefFacts",
    "DepthStrategy",
    "Fact",
    "FactList",
    "KnowledgeEngine",
    "P",
    "ReteMatcher",
    "Rule",
    "W",
]

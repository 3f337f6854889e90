"""A YAML or JSON case checked on its plain values, with no RDF term made: the quickest path.

Reading a case-form mapping the usual way turns each value into an rdflib term, checks the terms
against the shapes (:mod:`.fast_check`) and reads the facts back from them (:mod:`.case_graph`).
For most keys that is a roundabout way of asking a plain question: is this text one of these
notations, is this whole number within these bounds, does this text match this pattern. This
module asks those questions directly, from a :class:`PlainForm` derived from the shapes' checks
by running those very checks, once per vocabulary, on every notation of every choice key, on
``true`` and ``false``, and by reading the bounds and patterns the checks were built from. The
form is kept as JSON in the user's cache folder beside the vocabulary's tables, so a command
that reads a YAML case does not import rdflib at all (about a fifth of ``innoproc advise CASE``).

Like :mod:`.known_values` it only ever accepts. A key it has no plain check for (a shape from a
KB's extension that says something else), a value of another type than the key's own (``1`` for
text, ``1.0`` for a whole number, a str subclass ...), a value that fails, a missing required
key: each makes :func:`accept` return None, and the loader reads the mapping the usual way,
which finds and words the problems. The tests compare its facts with the usual way's on the
library and on random mappings.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from innoproc.ontology import FactValue, Vocabulary
from innoproc.ontology import cache as caches
from innoproc.ontology.namespaces import XSD_NS
from innoproc.reading.limits import current_limits

#: bump when the form or the way it is written changes
FORMAT = "innoproc-plain-form/1"
_PREFIX = "plain-form-"
_RDF_NIL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil"
#: the constraints a number key may have for its values to be checked on plain numbers
_NUMBER_CONSTRAINTS = {"datatype", "minInclusive", "maxInclusive"}
#: the datatype the shapes give each kind of number key
_NUMBER_DATATYPES = {"integer": XSD_NS + "integer", "number": XSD_NS + "decimal"}


def _mode() -> str:
    return os.environ.get("INNOPROC_CASE_CHECK", "").strip().lower()


def fast_path_enabled() -> bool:
    """Whether mappings may be checked without pySHACL (``INNOPROC_CASE_CHECK=shacl``: never;
    the tests and benchmarks compare the paths)."""
    return _mode() != "shacl"


def plain_path_enabled() -> bool:
    """Whether mappings may be checked on plain values first (``INNOPROC_CASE_CHECK=table``:
    only by the fast check's table; ``shacl``: only by pySHACL)."""
    return _mode() not in ("shacl", "table")


@dataclass(frozen=True)
class PlainKey:
    """What a key's shape accepts, as plain values, and the fact each gives."""

    name: str
    kind: str
    multi: bool
    min_count: int
    max_count: int | None
    #: choice: each notation the shape accepts -> the notation of its fact (an individual with
    #: two notations is stated by its first)
    notations: dict[str, str] = field(default_factory=dict)
    #: choice: each accepted notation -> its individual (two notations of one individual are
    #: one value)
    individuals: dict[str, str] = field(default_factory=dict)
    #: choice: a fact's notation -> its place in the ontology's order (a list's fact is sorted)
    rank: dict[str, int] = field(default_factory=dict)
    #: a list key: whether the empty list ("stated: none") is accepted
    empty: bool = False
    #: boolean: the booleans accepted
    booleans: tuple[bool, ...] = ()
    #: integer and number: the inclusive bounds, as decimal text
    minimum: str | None = None
    maximum: str | None = None
    #: text: the shape's pattern (searched) and its whole-value form (searched too)
    pattern: str | None = None
    whole: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "multi": self.multi,
            "min_count": self.min_count,
            "max_count": self.max_count,
            "notations": [[n, fact] for n, fact in self.notations.items()],
            "individuals": [[n, iri] for n, iri in self.individuals.items()],
            "rank": [[n, place] for n, place in self.rank.items()],
            "empty": self.empty,
            "booleans": list(self.booleans),
            "minimum": self.minimum,
            "maximum": self.maximum,
            "pattern": self.pattern,
            "whole": self.whole,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlainKey:
        text, flag, count = caches.text, caches.flag, caches.count

        def maybe(value: Any) -> str | None:
            return None if value is None else text(value)

        for bound in ("minimum", "maximum"):
            if data[bound] is not None:
                Decimal(text(data[bound]))  # a bound that is not a number: the cache is bad
        for pattern in ("pattern", "whole"):
            if data[pattern] is not None:
                re.compile(text(data[pattern]))
        return cls(
            name=text(data["name"]),
            kind=text(data["kind"]),
            multi=flag(data["multi"]),
            min_count=count(data["min_count"]),
            max_count=None if data["max_count"] is None else count(data["max_count"]),
            notations={text(n): text(fact) for n, fact in data["notations"]},
            individuals={text(n): text(iri) for n, iri in data["individuals"]},
            rank={text(n): count(place) for n, place in data["rank"]},
            empty=flag(data["empty"]),
            booleans=tuple(flag(b) for b in data["booleans"]),
            minimum=maybe(data["minimum"]),
            maximum=maybe(data["maximum"]),
            pattern=maybe(data["pattern"]),
            whole=maybe(data["whole"]),
        )


class PlainForm:
    """The keys of a vocabulary's form that can be checked on plain values."""

    def __init__(self, keys: list[PlainKey], order: list[str], required: list[str]):
        #: case-form order of every key, checked here or not (the order of the facts)
        self.order = order
        self.keys = {key.name: key for key in keys}
        self.required = frozenset(required)
        self._checks = {key.name: _Check(key) for key in keys}

    def to_json(self) -> dict[str, Any]:
        return {
            "keys": [key.to_json() for key in self.keys.values()],
            "order": self.order,
            "required": sorted(self.required),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlainForm:
        order = [caches.text(name) for name in data["order"]]
        required = [caches.text(name) for name in data["required"]]
        keys = [PlainKey.from_json(key) for key in data["keys"]]
        if not {key.name for key in keys} <= set(order) or not set(required) <= set(order):
            raise ValueError("keys outside the form")
        return cls(keys, order, required)

    def accept(self, data: Mapping[str, Any]) -> dict[str, FactValue] | None:
        """The facts of ``data``, in case-form order, when every key of it holds a value its
        shape accepts and every required key is there; None when the usual way must decide."""
        if not self.required <= data.keys():
            return None
        checks = self._checks
        found: dict[str, FactValue] = {}
        for name, value in data.items():
            check = checks.get(name)
            if check is None:
                return None
            fact = check.fact(value)
            if fact is None:
                return None
            found[name] = fact
        if "id" not in found:
            return None
        return {name: found[name] for name in self.order if name in found}


class _Check:
    """One key's plain check, with its patterns and bounds made ready."""

    def __init__(self, key: PlainKey):
        self.key = key
        self.pattern = re.compile(key.pattern) if key.pattern is not None else None
        self.whole = re.compile(key.whole) if key.whole is not None else None
        self.minimum = Decimal(key.minimum) if key.minimum is not None else None
        self.maximum = Decimal(key.maximum) if key.maximum is not None else None
        self.fact = {
            "choice": self._choice_list if key.multi else self._choice,
            "boolean": self._boolean,
            "integer": self._integer,
            "number": self._number,
            "text": self._text,
        }.get(key.kind, _never)

    def _counted(self, values: int) -> bool:
        key = self.key
        return key.min_count <= values and (key.max_count is None or values <= key.max_count)

    def _choice(self, value: Any) -> FactValue | None:
        if type(value) is not str or not self._counted(1):
            return None
        return self.key.notations.get(value)

    def _choice_list(self, value: Any) -> FactValue | None:
        key = self.key
        if not isinstance(value, list):
            return None
        if not value:
            return () if key.empty and self._counted(1) else None
        facts: set[str] = set()
        individuals: set[str] = set()
        for item in value:
            if type(item) is not str or item not in key.notations:
                return None
            facts.add(key.notations[item])
            individuals.add(key.individuals[item])
        if not self._counted(len(individuals)):
            return None
        return tuple(sorted(facts, key=key.rank.__getitem__))

    def _boolean(self, value: Any) -> FactValue | None:
        if type(value) is not bool or value not in self.key.booleans or not self._counted(1):
            return None
        return value

    def _integer(self, value: Any) -> FactValue | None:
        if type(value) is not int or not self._counted(1) or not self._within(Decimal(value)):
            return None
        return value

    def _number(self, value: Any) -> FactValue | None:
        if type(value) not in (int, float) or not self._counted(1):
            return None
        if type(value) is float and not math.isfinite(value):
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
        if abs(amount.adjusted()) >= current_limits().max_exponent:
            return None
        # the amount as the case's graph writes it (case_graph.canonical_number), and the fact
        # read back from that (case_graph.facts_from)
        canonical = Decimal(format(amount.normalize(), "f"))
        if not self._within(canonical):
            return None
        whole = canonical == canonical.to_integral_value()
        return int(canonical) if whole else float(canonical)

    def _text(self, value: Any) -> FactValue | None:
        if type(value) is not str or not self._counted(1):
            return None
        if self.pattern is not None and not self.pattern.search(value):
            return None
        if self.whole is not None and not self.whole.search(value):
            return None
        return value

    def _within(self, amount: Decimal) -> bool:
        if self.minimum is not None and amount < self.minimum:
            return False
        return self.maximum is None or amount <= self.maximum


def _never(value: Any) -> FactValue | None:
    return None


# -- the form of a vocabulary, from the cache or derived ---------------------------------------


def plain_form(vocab: Vocabulary) -> PlainForm:
    """The plain checks of ``vocab``'s form: from the cache folder when it holds them for this
    vocabulary and this code, else derived from the shapes (which imports rdflib) and kept."""
    return vocab.derived("case.plain-form", _cached_or_derived)


def _cached_or_derived(vocab: Vocabulary) -> PlainForm:
    key = _key(vocab)
    data = caches.read_cached(_PREFIX, FORMAT, key)
    if data is not None:
        try:
            return PlainForm.from_json(data)
        except (KeyError, TypeError, ValueError, re.error, InvalidOperation):
            pass  # a cache file that does not rebuild: derived again and written anew
    form = derive(vocab)
    caches.write_cached(_PREFIX, FORMAT, key, form.to_json())
    return form


def _key(vocab: Vocabulary) -> str:
    """The vocabulary's files, rdflib (whose terms the checks were run on) and the code of the
    case check and of the vocabulary."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for part in (
        FORMAT,
        vocab.fingerprint,
        caches.installed("rdflib"),
        caches.code_stamp(here, here.parent / "ontology"),
    ):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:32]


def derive(vocab: Vocabulary) -> PlainForm:
    """The plain checks of ``vocab``'s form, found by running the fast check's own tests."""
    from .fast_check import form_check
    from .known_values import OutcomeTable, text_checks

    order = list(vocab.keys)
    form = form_check(vocab)
    if not form.supported:
        return PlainForm([], order, [])
    table = OutcomeTable(vocab, form, current_limits())
    texts = text_checks(vocab, form)
    keys: list[PlainKey] = []
    for check in form.checks:
        key = check.key
        name = key.name
        counts = (name, key.kind, key.multi, check.min_count, check.max_count)
        constraints = dict(check.constraints)
        if key.is_choice:
            notations: dict[str, str] = {}
            individuals: dict[str, str] = {}
            for notation in key.value_iris:
                outcome = table.outcome(name, [notation] if key.multi else notation)
                if outcome is None:
                    continue
                terms, fact = outcome
                if len(terms) != 1 or str(terms[0]) == _RDF_NIL:
                    continue
                shown = fact[0] if isinstance(fact, tuple) and len(fact) == 1 else fact
                if not isinstance(shown, str):
                    continue
                notations[notation] = shown
                individuals[notation] = str(terms[0])
            empty = key.multi and table.outcome(name, []) is not None
            rank = {n: place for place, n in enumerate(key.value_iris)}
            keys.append(PlainKey(*counts, notations=notations, individuals=individuals,
                                 rank=rank, empty=empty))
        elif key.kind == "boolean":
            booleans = []
            for value in (True, False):
                outcome = table.outcome(name, value)
                if outcome is not None and outcome[1] is value:
                    booleans.append(value)
            keys.append(PlainKey(*counts, booleans=tuple(booleans)))
        elif key.kind in _NUMBER_DATATYPES and not key.multi:
            if set(constraints) <= _NUMBER_CONSTRAINTS and check.exclusive_nil is None and (
                constraints.get("datatype") == _NUMBER_DATATYPES[key.kind]
            ):
                keys.append(PlainKey(*counts, minimum=constraints.get("minInclusive"),
                                     maximum=constraints.get("maxInclusive")))
        elif key.kind == "text" and name in texts:
            pattern, whole = texts[name]
            keys.append(PlainKey(*counts, pattern=pattern.pattern if pattern else None,
                                 whole=whole.pattern if whole else None))
    required = [check.key.name for check in form.checks if check.min_count > 0]
    return PlainForm(keys, order, required)


def accept(data: Mapping[str, Any], vocab: Vocabulary) -> dict[str, FactValue] | None:
    """The facts of a case-form mapping checked on its plain values, or None (see the module)."""
    return plain_form(vocab).accept(data)


"""Values a case-form key was already checked with, remembered: the quick path of the fast check.

In a batch the same values come back case after case: the organisation, ``true``, ``medium``,
``[development, manufacturing]``. Reading one into RDF terms, normalising it, testing it against
its key's shape and reading the fact back (:mod:`.case_graph`, :mod:`.fast_check`) costs tens of
microseconds a key, most of it building rdflib literals. Each of those steps looks at one key
and its value alone, so a value that passed for a key passes again, with the same terms and the
same fact. :func:`known_facts` checks a mapping key by key through a table of such outcomes,
built by running those very steps on one key at a time.

It only ever accepts: a key whose value is wrong in any way, a required key that is missing, a
value of another type than plain text, numbers, true/false or a list of them, and the case goes
the full way (:func:`innoproc.case.loader._from_mapping`), which words the problems. A value that
fails is not remembered, so a wrong value costs no more than before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib.term import Node

from innoproc.errors import Problem
from innoproc.ontology import CaseKey, FactValue, Vocabulary
from innoproc.reading.limits import Limits, current_limits

from .case_graph import facts_from, key_statements
from .fast_check import FormCheck, check_values, values_by_key

#: at most this many (key, value) outcomes per vocabulary and limits; when full, the table
#: starts again (text that differs in every case, ids and titles, would otherwise fill it)
MAX_REMEMBERED = 20_000

#: the scalar types remembered (exact types: ``True`` is not ``1``, a str subclass is not str)
_SCALARS = (str, int, float, bool)

#: an outcome: the key's terms as the case's graph holds them, and its fact
Outcome = tuple[list[Node], FactValue]


class _Table:
    """The outcomes remembered for one vocabulary, its form check and one set of limits."""

    def __init__(self, vocab: Vocabulary, form: FormCheck, limits: Limits):
        self.vocab = vocab
        self.limits = limits
        self.outcomes: dict[tuple[str, Any], Outcome] = {}
        self.single = {c.key.name: FormCheck((c,), order=form.order) for c in form.checks}
        self.required = frozenset(c.key.name for c in form.checks if c.min_count > 0)
        self.order = {name: index for index, name in enumerate(vocab.keys)}

    def outcome(self, name: str, value: Any) -> Outcome | None:
        """What the full check makes of ``name: value`` alone, or None if it finds a problem."""
        frozen = _frozen(value)
        if frozen is None:
            return None
        found = self.outcomes.get((name, frozen))
        if found is not None:
            return found
        single = self.single.get(name)
        if single is None:  # not a key of the form
            return None
        statements: list[tuple[CaseKey, Node]] = []
        problems: list[Problem] = []
        key_statements(name, value, self.vocab, "", None, statements, problems)
        if problems:
            return None
        values = values_by_key(statements, self.vocab)
        if check_values(single, values, "", self.vocab, {}):
            return None
        terms = values[name]
        found = (terms, facts_from(lambda _: terms, self.vocab, [self.vocab.keys[name]])[name])
        if len(self.outcomes) >= MAX_REMEMBERED:
            self.outcomes.clear()  # values met long ago make way for the values of now
        self.outcomes[(name, frozen)] = found
        return found


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a plain value that tells apart what the check tells apart
    (``1``, ``1.0``, ``True``, ``-0.0`` and ``0.0``), or None for anything else."""
    kind = type(value)
    if kind in _SCALARS:
        return (kind, repr(value)) if kind is float else (kind, value)
    if isinstance(value, list) and all(type(item) in _SCALARS for item in value):
        return (list, tuple((type(i), repr(i) if type(i) is float else i) for i in value))
    return None


def _tables(vocab: Vocabulary) -> dict[Limits, _Table]:
    return {}


def known_facts(
    data: Mapping[str, Any], vocab: Vocabulary, form: FormCheck
) -> tuple[dict[str, list[Node]], dict[str, FactValue]] | None:
    """Each key's checked terms and the case's facts, as the fast check would give them, when
    every key of ``data`` holds a value that passes; None when the full check must decide."""
    limits = current_limits()
    tables = vocab.derived("case.known-values", _tables)
    table = tables.get(limits)
    if table is None:
        table = tables.setdefault(limits, _Table(vocab, form, limits))
    values: dict[str, list[Node]] = {}
    facts: dict[str, FactValue] = {}
    outcomes = table.outcomes
    for name, value in data.items():
        kind = type(value)
        # the commonest values looked up here, the rest through the table
        common = kind is str or kind is bool or kind is int
        found = outcomes.get((name, (kind, value))) if common else None
        if found is None:
            found = table.outcome(name, value)
            if found is None:
                return None
        values[name], facts[name] = found
    if not table.required <= facts.keys():
        return None
    order = table.order
    return values, {name: facts[name] for name in sorted(facts, key=order.__getitem__)}

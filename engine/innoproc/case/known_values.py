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

Plain text that differs in every case (the id, the title) would never be found in the table, and
going the full way for it cost some 20 microseconds a key, most of it one rdflib literal. For a
text key whose shape asks no more than text (``sh:datatype xsd:string``, counts, a
``sh:pattern``), a ``str`` value passes exactly when it matches the pattern (searched, then
matched whole, as the full check does): such a value is checked here with the pattern alone, its
fact is the text itself and its term, ``Literal(text)``, is only made if the case's graph is
asked for (:data:`Terms`). Any other shape for the key, or a failing value, takes the table or
the full way as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rdflib import XSD, Literal
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

#: a key's checked terms, or the plain text of a text key checked by its pattern alone, whose
#: one term is ``Literal(text)`` (see :func:`terms_of`)
Terms = list[Node] | str

#: a text key's checks: the shape's pattern (searched) and its whole-value form, either None
TextCheck = tuple[re.Pattern[str] | None, re.Pattern[str] | None]


def terms_of(terms: Terms) -> list[Node]:
    """The terms :func:`known_facts` stands for with ``terms``."""
    return [Literal(terms)] if isinstance(terms, str) else terms


class OutcomeTable:
    """The outcomes remembered for one vocabulary, its form check and one set of limits."""

    def __init__(self, vocab: Vocabulary, form: FormCheck, limits: Limits):
        self.vocab = vocab
        self.limits = limits
        self.outcomes: dict[tuple[str, Any], Outcome] = {}
        self.single = {c.key.name: FormCheck((c,), order=form.order) for c in form.checks}
        self.required = frozenset(c.key.name for c in form.checks if c.min_count > 0)
        self.order = {name: index for index, name in enumerate(vocab.keys)}
        self.texts = text_checks(vocab, form)

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


def text_checks(vocab: Vocabulary, form: FormCheck) -> dict[str, TextCheck]:
    """The text keys whose one check of a ``str`` value is a pattern (or nothing): a single
    value of a text key is the plain literal of the text, which the datatype ``xsd:string``
    accepts whatever it holds, so only the pattern and the counts can refuse it; one value
    passes counts that allow one. A key whose shape says anything else is not listed (read
    from the constraints the form's tests were built from, not from the shapes again)."""
    found: dict[str, TextCheck] = {}
    for check in form.checks:
        key, constraints = check.key, dict(check.constraints)
        if (
            key.kind != "text"
            or key.multi
            or key.is_choice
            or check.exclusive_nil is not None
            or check.min_count > 1
            or (check.max_count is not None and check.max_count < 1)
            or not set(constraints) <= {"datatype", "pattern"}
            or constraints.get("datatype", str(XSD.string)) != str(XSD.string)
            or len(check.tests) != len(check.constraints)  # a test not accounted for
        ):
            continue
        pattern = constraints.get("pattern")
        if pattern is not None and check.whole_pattern is None:
            continue
        found[key.name] = (
            re.compile(pattern) if pattern is not None else None,
            check.whole_pattern,
        )
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


def _tables(vocab: Vocabulary) -> dict[Limits, OutcomeTable]:
    return {}


def known_facts(
    data: Mapping[str, Any], vocab: Vocabulary, form: FormCheck
) -> tuple[dict[str, Terms], dict[str, FactValue]] | None:
    """Each key's checked terms (:data:`Terms`) and the case's facts, as the fast check would
    give them, when every key of ``data`` holds a value that passes; None when the full check
    must decide."""
    limits = current_limits()
    tables = vocab.derived("case.known-values", _tables)
    table = tables.get(limits)
    if table is None:
        table = tables.setdefault(limits, OutcomeTable(vocab, form, limits))
    values: dict[str, Terms] = {}
    facts: dict[str, FactValue] = {}
    outcomes = table.outcomes
    texts = table.texts
    for name, value in data.items():
        kind = type(value)
        if kind is str:
            text = texts.get(name)
            if text is not None:
                pattern, whole = text
                if (pattern is None or pattern.search(value)) and (
                    whole is None or whole.search(value)
                ):
                    values[name] = facts[name] = value
                    continue
                return None
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

"""A rule's condition in readable words, in the ontology's own terms.

A knowledge engineer writes ``procedure: {in: [open, restricted]}``; a reviewer who never read
the rule language should read "the procedure is one of open procedure, restricted procedure".
:func:`word` turns a condition tree of the rule model into that wording, keeping the words that
name something documented elsewhere (a case key, one of its values, a clause, a conclusion) as
:class:`Term` parts, so the catalogue can link each of them to its definition;
:func:`sentence` joins the same wording into one line of plain text.

The wording follows the tree as the rule model holds it, after the ontology has been applied:
``is_a`` a class and ``after`` a value are worded as the values they stand for, because those
are the values the engine tests. The test as its author wrote it stays on each leaf
(:attr:`Test.written`) for anyone who wants to see the rule file's form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from innoproc.ontology import CaseKey, FactValue, Vocabulary
from innoproc.rules.model import (
    All,
    AtLeast,
    ConclusionTest,
    Condition,
    FactTest,
    Kind,
    Not,
)

TermKind = Literal["key", "value", "clause", "conclusion"]

_COMPARISON = {"lt": "is less than", "le": "is at most", "gt": "is more than", "ge": "is at least"}


@dataclass(frozen=True)
class Term:
    """A word that names something the catalogue documents, so that it can link to it.

    ``key`` is the case key a key or value term belongs to; ``name`` is the value's notation,
    the clause id or the conclusion id; ``conclusion`` the kind of a conclusion term.
    """

    text: str
    kind: TermKind
    key: str = ""
    name: str = ""
    conclusion: Kind | None = None


Part = str | Term


@dataclass(frozen=True)
class Test:
    """One test of a condition in words: plain text and terms, in reading order."""

    parts: tuple[Part, ...]
    #: the test as the rule file writes it (``trl ≤ 4``, ``procedure: one of open, restricted``)
    written: str

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)


@dataclass(frozen=True)
class Group:
    """Conditions joined by ``all of``, ``any of``, ``at least n of`` or ``not``."""

    head: str
    items: tuple[Wording, ...]


Wording = Test | Group


def word(condition: Condition, vocab: Vocabulary) -> Wording:
    """The wording of a condition tree, in the terms of ``vocab``."""
    if isinstance(condition, FactTest):
        return _fact(condition, vocab)
    if isinstance(condition, ConclusionTest):
        return _conclusion(condition)
    if isinstance(condition, Not):
        return Group("not", (word(condition.item, vocab),))
    if isinstance(condition, AtLeast):
        head = f"at least {condition.count} of"
        return Group(head, tuple(word(c, vocab) for c in condition.items))
    if isinstance(condition, All):
        return Group("all of", tuple(word(c, vocab) for c in condition.items))
    return Group("any of", tuple(word(c, vocab) for c in condition.items))


def sentence(wording: Wording) -> str:
    """The wording as one line: ``all of: A; (any of: B; C); not: D``.

    Inside a group the items are separated by semicolons, so a group of several items within a
    group is put in parentheses; otherwise "all of: A; any of: B; C" would not say whether C
    belongs to the "any of". A group of one item (``not``) needs none.
    """
    if isinstance(wording, Test):
        return wording.text
    return f"{wording.head}: " + "; ".join(_nested(item) for item in wording.items)


def describe(condition: Condition, vocab: Vocabulary) -> str:
    """A condition as one line of plain English (:func:`sentence` of :func:`word`)."""
    return sentence(word(condition, vocab))


def _nested(wording: Wording) -> str:
    text = sentence(wording)
    return f"({text})" if isinstance(wording, Group) and len(wording.items) > 1 else text


# -- leaves ---------------------------------------------------------------------------------
def _fact(test: FactTest, vocab: Vocabulary) -> Test:
    key = vocab.keys.get(test.key)
    if key is None:  # a checked KB names only keys of its vocabulary; word it as written
        return Test((test.describe(),), test.describe())
    subject: tuple[Part, ...] = (Term(key.label, "key", key.name),)
    if not (key.kind == "boolean" or key.multi):
        subject = ("the ", *subject)
    presence = test.presence
    if presence is not None:
        return Test((*subject, " is stated" if presence else " is not stated"), test.describe())
    if test.number is not None:
        return Test((*subject, f" {_COMPARISON[test.op]} {_number(test.number)}"), test.describe())
    values = _values(key, test.values, vocab)
    if key.multi:
        verb = " includes all of " if test.op == "all_of" else " includes "
        if test.op == "in" and len(values) > 1:
            verb = " includes one of "
    else:
        verb = " is one of " if len(values) > 1 else " is "
    return Test((*subject, verb, *_listed(values)), test.describe())


def _conclusion(test: ConclusionTest) -> Test:
    if test.id is not None:
        term = Term(test.id, "conclusion", name=test.id, conclusion=test.kind)
        return Test((f"the {test.kind} ", term, " was reached"), test.describe())
    clause = Term(test.about or "", "clause", name=test.about or "")
    return Test((f"a {test.kind} about ", clause, " was reached"), test.describe())


def _values(key: CaseKey, values: frozenset[FactValue], vocab: Vocabulary) -> list[Part]:
    """The values of a test, in the ontology's order for a choice key, each as a term."""
    if key.is_choice:
        ordered = [n for n in key.values if n in values]
        return [Term(vocab.label(key.values[n]), "value", key.name, n) for n in ordered]
    return [_plain(v) for v in sorted(values, key=lambda v: (type(v).__name__, str(v)))]


def _plain(value: FactValue) -> str:
    """A value of a key that is not a choice: a boolean, a number or quoted text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    return f"“{value}”"


def _number(value: float) -> str:
    """A number as a reader writes it: 4, 2.5, 10,000,000 (never 1e+07)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,}"


def _listed(values: list[Part]) -> list[Part]:
    """Values separated by commas."""
    joined: list[Part] = []
    for i, value in enumerate(values):
        if i:
            joined.append(", ")
        joined.append(value)
    return joined

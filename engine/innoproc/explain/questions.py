"""The open questions of a case: the unstated facts that could still change its advice.

Each question names the fact (its label and the question an officer is asked), the items an
answer could add or remove, and is ranked by how much those items matter. The analysis itself is
:class:`innoproc.rules.sensitivity.Sensitivity`, shared with the interview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from innoproc.ontology import FactValue, Vocabulary
from innoproc.rules import RuleSpec

from .advice import SEVERITY_RANK

if TYPE_CHECKING:
    from innoproc.rules.sensitivity import FactEffect

    from .advice import Advice


@dataclass(frozen=True)
class AffectedItem:
    """An item of advice an answer could bring in (``adds``) or take out (``removes``): some
    answers may do one and other answers the other."""

    id: str
    kind: str
    title: str
    adds: bool
    removes: bool
    severity: str | None = None


@dataclass(frozen=True)
class OpenQuestion:
    """An unstated fact whose answer can change the advice."""

    key: str
    label: str
    question: str
    items: tuple[AffectedItem, ...]
    #: answers (this key's and perhaps others') under which the advice changes: the proof
    witness: tuple[tuple[str, FactValue], ...]

    @property
    def weight(self) -> tuple[int, int]:
        """How decisive the question is: the gravest severity it can touch, then how many
        items it can touch (the interview asks the heaviest first)."""
        gravest = max((SEVERITY_RANK.get(i.severity or "", 0) for i in self.items), default=0)
        return gravest, len(self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "question": self.question,
            "could_add": [i.id for i in self.items if i.adds],
            "could_remove": [i.id for i in self.items if i.removes],
        }


def questions_from(
    effects: dict[str, FactEffect], rules: tuple[RuleSpec, ...], vocab: Vocabulary
) -> tuple[OpenQuestion, ...]:
    """Open questions from the sensitivity analysis, the most decisive first (ties: the
    order of the case form)."""
    tables = _tables(rules, vocab)
    producer, affected = tables.producer, tables.affected
    found = []
    for key, effect in effects.items():
        spec = vocab.keys[key]
        items = []
        for cid in sorted(effect.items, key=lambda c: producer[c].ordinal):
            marker = (cid, cid in effect.adds, cid in effect.removes)
            item = affected.get(marker)
            if item is None:  # the same item, touched the same way, is one object
                item = affected[marker] = _affected(producer[cid], marker[1], marker[2])
            items.append(item)
        question = spec.question or f"{spec.label[:1].upper()}{spec.label[1:]}?"
        witness = tuple(sorted(effect.witness.items()))
        found.append(OpenQuestion(key, spec.label, question, tuple(items), witness))

    def rank(question: OpenQuestion) -> tuple[int, int, int]:
        gravest, count = question.weight
        return -gravest, -count, tables.order.get(question.key, 0)

    found.sort(key=rank)
    return tuple(found)


@dataclass
class _Tables:
    """What ranking and describing open questions needs of one KB, worked out once."""

    rules: tuple[RuleSpec, ...]
    vocab: Vocabulary
    #: conclusion id -> its first rule
    producer: dict[str, RuleSpec]
    #: case key -> its place in the case form
    order: dict[str, int]
    #: (conclusion id, adds, removes) -> the item as a question lists it
    affected: dict[tuple[str, bool, bool], AffectedItem]


#: (id of the rules, id of the vocabulary) -> their tables (which keep both, to check identity)
_TABLES: dict[tuple[int, int], _Tables] = {}


def _tables(rules: tuple[RuleSpec, ...], vocab: Vocabulary) -> _Tables:
    found = _TABLES.get((id(rules), id(vocab)))
    if found is None or found.rules is not rules or found.vocab is not vocab:
        producer: dict[str, RuleSpec] = {}
        for rule in rules:
            producer.setdefault(rule.then.id, rule)
        order = {name: index for index, name in enumerate(vocab.keys)}
        if len(_TABLES) > 16:
            _TABLES.clear()
        found = _TABLES[(id(rules), id(vocab))] = _Tables(rules, vocab, producer, order, {})
    return found


def _affected(rule: RuleSpec, adds: bool, removes: bool) -> AffectedItem:
    then = rule.then
    return AffectedItem(then.id, then.kind, rule.title, adds, removes, then.severity)


def open_questions(advice: Advice) -> tuple[OpenQuestion, ...]:
    """The open questions of the advised case (see :attr:`Advice.open_questions`)."""
    return advice.open_questions

"""Advice and its justification: what the engine concluded, and the chain of reasons behind it.

Built from the engine's firing record, never from experta internals: each item keeps the rule that
concluded it, the case facts that rule read and the earlier items it matched, so the chain from a
recommendation back to the stated facts is a plain tree of these objects.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from innoproc.case import Case
from innoproc.engine import Firing
from innoproc.ontology import FactValue, Vocabulary
from innoproc.rules import RuleSpec
from innoproc.rules.model import FindingKind, Kind, Severity

if TYPE_CHECKING:
    from .explanation import Explanation
    from .knowledge_base import KnowledgeBase
    from .questions import OpenQuestion
    from .what_if import ChangeSearch, WhatIf
    from .why_not import WhyNot


@dataclass(frozen=True)
class Reason:
    """Why an item was concluded: its rule, the facts it read and the items it built on."""

    rule: str
    rule_title: str
    facts: tuple[tuple[str, FactValue | None], ...]
    premises: tuple[AdviceItem, ...]
    absent: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "facts": {key: plain_value(value) for key, value in self.facts},
            "premises": [p.to_dict() for p in self.premises],
            "absent": list(self.absent),
        }


@dataclass(frozen=True)
class AdviceItem:
    """One finding or recommendation, with the clauses it rests on and its reason."""

    id: str
    kind: Kind
    title: str
    summary: str
    clauses: tuple[str, ...]
    rule: str
    because: Reason
    finding_kind: FindingKind | None = None  # for findings
    severity: Severity | None = None
    actions: tuple[str, ...] = ()
    rationale: str = ""
    references: tuple[str, ...] = ()
    #: the title of each clause in ``clauses``, from the ontology
    clause_titles: tuple[str, ...] = ()
    #: the rule's priority: which of several alternatives is chosen
    priority: int = 0
    #: for a recommendation, the course of action it proposes, if its rule names one
    course: str | None = None
    #: recommendations that would also fit, proposing another course of the same choice
    alternatives: tuple[AdviceItem, ...] = ()
    #: a recommendation confirming what the case already does well
    confirms: bool = False

    @cached_property
    def answers(self) -> tuple[AdviceItem, ...]:
        """The findings this item rests on, directly or through other items (worked out once:
        the item and all it rests on never change)."""
        return tuple(i for i in self.chain() if i.kind == "finding" and i is not self)

    @cached_property
    def weight(self) -> int:
        """How much the item matters: the highest severity among itself and what it answers."""
        return max((SEVERITY_RANK.get(i.severity or "", 0) for i in self.chain()), default=0)

    def chain(self) -> Iterator[AdviceItem]:
        """This item and every item it rests on, depth first, each once."""
        seen: set[str] = set()
        stack = [self]
        while stack:
            item = stack.pop()
            if item.id in seen:
                continue
            seen.add(item.id)
            yield item
            stack.extend(reversed(item.because.premises))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "summary": self.summary,
            "clauses": list(self.clauses),
            "rule": self.rule,
        }
        if self.kind == "finding":
            data["finding_kind"] = self.finding_kind
            data["severity"] = self.severity
        else:
            data["actions"] = list(self.actions)
        data["because"] = self.because.to_dict()
        data["clause_titles"] = dict(zip(self.clauses, self.clause_titles, strict=True))
        data["rationale"] = self.rationale
        data["references"] = list(self.references)
        if self.kind == "recommendation":
            data["answers"] = [f.id for f in self.answers]
            data["alternatives"] = [a.to_dict() for a in self.alternatives]
        return data


@dataclass(frozen=True)
class Advice:
    """Everything the knowledge base concluded for one case, in firing order."""

    case: Case
    findings: tuple[AdviceItem, ...]
    recommendations: tuple[AdviceItem, ...]
    kb_fingerprint: str
    firings: tuple[Firing, ...]
    #: the vocabulary of the KB that gave the advice: labels, clause titles, value terms
    vocabulary: Vocabulary = field(repr=False, compare=False)
    #: recommendations that confirm what the case already does well, listed apart
    in_place: tuple[AdviceItem, ...] = ()
    #: the knowledge base that gave the advice: explanations re-read its rules
    kb: KnowledgeBase | None = field(default=None, repr=False, compare=False)

    @property
    def items(self) -> tuple[AdviceItem, ...]:
        """Every item concluded: findings, recommendations, and what is already in place."""
        return self.findings + self.recommendations + self.in_place

    def all_items(self) -> tuple[AdviceItem, ...]:
        """Every item concluded, alternatives folded under a recommendation included."""
        return self.items + tuple(a for item in self.recommendations for a in item.alternatives)

    @property
    def knowledge_base(self) -> KnowledgeBase:
        """The knowledge base that gave this advice (explanations re-read its rules)."""
        if self.kb is None:
            from .knowledge_base import default_kb

            return default_kb()
        return self.kb

    @property
    def rules(self) -> tuple[RuleSpec, ...]:
        return self.knowledge_base.rules

    # -- explanations -----------------------------------------------------------------------
    def explain(self, item_id: str) -> Explanation:
        """Why an item was concluded: its full chain down to the facts, each fact with the file
        and line that states it (``item_id``: an item's id or the id of the rule that drew it)."""
        from .explanation import explain

        return explain(self, item_id)

    def why_not(self, given: str) -> WhyNot:
        """Why a conclusion, rule or clause id was not concluded (see :mod:`.why_not`)."""
        from .why_not import why_not

        return why_not(self, given)

    @cached_property
    def open_questions(self) -> tuple[OpenQuestion, ...]:
        """The unstated facts whose answer could change this advice, most decisive first."""
        from .questions import questions_from

        kb = self.knowledge_base
        effects = kb.sensitivity.open_facts(self.case.facts)
        return questions_from(effects, kb.rules, self.vocabulary)

    def what_if(self, changes: Mapping[str, FactValue | None]) -> WhatIf:
        """The advice on this case with ``changes`` made (None: the fact is no longer stated),
        compared with this advice."""
        from .what_if import what_if

        return what_if(self, changes)

    def search_changes(
        self, given: str, goal: Literal["avoid", "obtain"], time_limit: float = 1.5
    ) -> ChangeSearch:
        """The smallest changes to the buyer's decisions that avoid or obtain ``given``
        (searching for at most ``time_limit`` seconds)."""
        from .what_if import search_changes

        return search_changes(self, given, goal, time_limit)

    def to_dict(self, questions: bool = True) -> dict[str, Any]:
        """The JSON contract of ``innoproc advise --format json``; ``questions=False`` leaves the
        open questions out (an empty list), for bulk runs that do not need them."""
        facts = self.case.facts
        return {
            "case": {
                "id": self.case.id,
                "title": facts.get("title"),
                "organisation": facts.get("organisation"),
                "source": self.case.source,
            },
            "findings": [item.to_dict() for item in self.findings],
            "recommendations": [item.to_dict() for item in self.recommendations],
            "in_place": [item.to_dict() for item in self.in_place],
            "open_questions": [q.to_dict() for q in self.open_questions] if questions else [],
            "knowledge_base": {
                "fingerprint": self.kb_fingerprint,
                "ontology_version": self.vocabulary.derived("advice.ontology-version", _version),
            },
        }


def build_advice(
    case: Case,
    firings: list[Firing],
    rules: dict[str, RuleSpec],
    fingerprint: str,
    vocab: Vocabulary,
    kb: KnowledgeBase | None = None,
    known_items: dict[Hashable, AdviceItem] | None = None,
) -> Advice:
    """Turn the firing record into advice items linked to their premises, ranked, with
    alternatives folded under the recommendation chosen among them.

    ``known_items`` (the knowledge base keeps one, for ``rules`` and ``vocab``) holds the items
    built before: a rule that fires on the same facts, absences and premises as in an earlier
    case gives the same item, which is then taken rather than built again (items never
    change)."""
    items: dict[str, AdviceItem] = {}
    keys: dict[str, Hashable] = {}
    for firing in firings:
        key: Hashable = None
        if known_items is not None:
            key = (
                firing.rule_id,
                _typed(firing.facts),
                firing.absent,
                tuple(keys[p] for p in firing.premises),
            )
            known = known_items.get(key)
            if known is not None:
                items[known.id] = known
                keys[known.id] = key
                continue
        rule = rules[firing.rule_id]
        then = rule.then
        item = items[then.id] = AdviceItem(
            id=then.id,
            kind=then.kind,
            title=rule.title,
            summary=then.summary,
            clauses=rule.clauses,
            rule=rule.id,
            because=Reason(
                rule.id,
                rule.title,
                firing.facts,
                tuple(items[p] for p in firing.premises),
                firing.absent,
            ),
            finding_kind=then.finding_kind,
            severity=then.severity,
            actions=then.actions,
            rationale=rule.rationale,
            references=rule.references,
            clause_titles=tuple(vocab.clause_title(c) for c in rule.clauses),
            priority=rule.priority,
            course=then.course,
            confirms=then.confirms,
        )
        if known_items is not None:
            if len(known_items) >= KNOWN_ITEMS:
                known_items.clear()
            known_items[key] = item
            keys[then.id] = key
    fired = list(items.values())
    order = {item.id: index for index, item in enumerate(fired)}
    findings = sorted(
        (i for i in fired if i.kind == "finding"), key=lambda i: (-i.weight, order[i.id])
    )
    recommendations = _choose_among_alternatives(
        [i for i in fired if i.kind == "recommendation"], vocab, order
    )
    # what matters most first: the gravest finding answered; among equals, the knowledge
    # engineer's priority (a specific remedy above a general strategy), then how many it answers
    recommendations.sort(key=lambda i: (-i.weight, -i.priority, -len(i.answers), order[i.id]))
    return Advice(
        case=case,
        findings=tuple(findings),
        recommendations=tuple(r for r in recommendations if not r.confirms),
        kb_fingerprint=fingerprint,
        firings=tuple(firings),
        vocabulary=vocab,
        in_place=tuple(r for r in recommendations if r.confirms),
        kb=kb,
    )


#: severities in order, for ranking (advice items and open questions)
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


def _choose_among_alternatives(
    recommendations: list[AdviceItem], vocab: Vocabulary, order: dict[str, int]
) -> list[AdviceItem]:
    """Keep one recommendation per choice group (the highest priority, then the first fired)
    and list the others of its group under it as alternatives."""
    groups: dict[str, list[AdviceItem]] = {}
    for item in recommendations:
        group = vocab.choice_groups.get(item.course or "")
        if group is not None:
            groups.setdefault(group, []).append(item)
    chosen: dict[str, AdviceItem] = {}
    for members in groups.values():
        members.sort(key=lambda i: (-i.priority, order[i.id]))
        first, *others = members
        chosen[first.id] = replace(first, alternatives=tuple(others))
    folded = {i.id for members in groups.values() for i in members[1:]}
    return [chosen.get(i.id, i) for i in recommendations if i.id not in folded]


#: at most this many items kept for reuse by a knowledge base (then it starts again)
KNOWN_ITEMS = 20_000


def _typed(facts: tuple[tuple[str, FactValue | None], ...]) -> Hashable:
    """The facts a rule read, with what equality forgets: ``1``, ``1.0`` and ``True`` are equal
    in Python but are written differently in advice, as are ``0.0`` and ``-0.0``."""
    return tuple(
        (name, type(value), repr(value) if isinstance(value, float | tuple) else value)
        for name, value in facts
    )


def _version(vocab: Vocabulary) -> str:
    """The ontology's version, read from its graph once per vocabulary rather than per case."""
    return vocab.version()


def plain_value(value: FactValue | None) -> Any:
    """A fact value as JSON has it (a list for a list key)."""
    return list(value) if isinstance(value, tuple) else value

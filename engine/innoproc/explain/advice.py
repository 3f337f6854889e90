"""Advice and its justification: what the engine concluded, and the chain of reasons behind it.

Built from the engine's firing record, never from experta internals: each item keeps the rule that
concluded it, the case facts that rule read and the earlier items it matched, so the chain from a
recommendation back to the stated facts is a plain tree of these objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from innoproc.case import Case
from innoproc.engine import Firing
from innoproc.ontology import FactValue, Vocabulary
from innoproc.rules import RuleSpec
from innoproc.rules.model import FindingKind, Kind, Severity


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
            "facts": {key: _plain(value) for key, value in self.facts},
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

    @property
    def items(self) -> tuple[AdviceItem, ...]:
        return self.findings + self.recommendations

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``innoproc advise --format json``."""
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
            "knowledge_base": {
                "fingerprint": self.kb_fingerprint,
                "ontology_version": self.vocabulary.version(),
            },
        }


def build_advice(
    case: Case,
    firings: list[Firing],
    rules: dict[str, RuleSpec],
    fingerprint: str,
    vocab: Vocabulary,
) -> Advice:
    """Turn the firing record into advice items linked to their premises."""
    items: dict[str, AdviceItem] = {}
    for firing in firings:
        rule = rules[firing.rule_id]
        then = rule.then
        items[then.id] = AdviceItem(
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
        )
    ordered = list(items.values())
    return Advice(
        case=case,
        findings=tuple(i for i in ordered if i.kind == "finding"),
        recommendations=tuple(i for i in ordered if i.kind == "recommendation"),
        kb_fingerprint=fingerprint,
        firings=tuple(firings),
        vocabulary=vocab,
    )


def _plain(value: FactValue | None) -> Any:
    return list(value) if isinstance(value, tuple) else value

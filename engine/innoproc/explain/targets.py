"""What an id given to ``explain``, ``why-not`` or ``what-if`` names: a conclusion, a rule or a
clause of the source, and the conclusions it stands for.

One reading for every command, so ``why-not REC-2`` and ``what-if --to-obtain REC-2`` mean the
same thing: "some item grounded on REC-2".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from innoproc.errors import InnoprocError, did_you_mean
from innoproc.ontology import Vocabulary
from innoproc.rules import RuleSpec

TargetKind = Literal["conclusion", "rule", "clause"]


@dataclass(frozen=True)
class Target:
    """An id resolved against a knowledge base."""

    id: str
    kind: TargetKind
    #: the rules able to conclude what the id names
    rules: tuple[RuleSpec, ...]
    #: words for the reader: the item's or rule's title, or the clause's title
    title: str

    @property
    def conclusions(self) -> frozenset[str]:
        """The conclusion ids that count as "obtained" for this target."""
        return frozenset(r.then.id for r in self.rules)

    def describe(self) -> str:
        if self.kind == "clause":
            return f"an item resting on clause {self.id} ({self.title})"
        return f"{self.kind} {self.title} ({self.id})"


class UnknownTargetError(InnoprocError, ValueError):
    """An id that names no conclusion, rule or clause of the knowledge base (also a
    ``ValueError``: the argument has the right type and a wrong value)."""

    code = "explain/unknown-id"


def resolve_target(given: str, rules: tuple[RuleSpec, ...], vocab: Vocabulary) -> Target:
    """The conclusion, rule or clause ``given`` names (in that order of preference)."""
    producing = [r for r in rules if r.then.id == given]
    if producing:
        return Target(given, "conclusion", tuple(producing), producing[0].title)
    rule = next((r for r in rules if r.id == given), None)
    if rule is not None:
        return Target(given, "rule", (rule,), rule.title)
    if given in vocab.clauses:
        citing = tuple(r for r in rules if given in r.clauses)
        return Target(given, "clause", citing, vocab.clause_title(given))
    known = sorted({r.then.id for r in rules} | {r.id for r in rules} | set(vocab.clauses))
    raise UnknownTargetError(
        f"{given!r} names no conclusion, rule or clause of this knowledge base"
        + did_you_mean(given, known)
    )

"""Verify a whole knowledge base, as Drools' verifier does: what can be known without a case.

Each finding is a :class:`~innoproc.errors.Problem` with a stable code, severity ``warning``:

- ``kb/redundant`` and ``kb/subsumed``: whenever one rule fires another fires too (its condition
  implies the other's), and its conclusion adds nothing (same kind, no clause the other does not
  cite, read by no other rule);
- ``kb/conflict``: two rules that can fire on the same case propose courses of action that the
  ontology declares exclusive (``ipo:excludesCourse``), shown with a witness case on which both
  fire (checked with the reference semantics); courses of one class marked
  ``ipo:oneChosenAmong`` are not a conflict, since the advice chooses one and lists the others
  as its alternatives;
- ``kb/fires-on-unknown``: a rule that can fire although the only facts it reads are unstated;
- ``kb/unimplemented-clause``: a clause of the source no rule cites;
- ``kb/unread-value``: a value of a case key that no rule reads where sibling values are read.

Implication and conflicts are decided by search over the small space of cases that the tests
involved can tell apart (:mod:`innoproc.rules.cases_space`); where that space is too large, the
check says nothing rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from innoproc.errors import Problem
from innoproc.ontology import FactValue, Vocabulary

from .cases_space import ABSENT, conjunct_holds, points
from .model import ConclusionTest, Condition, FactTest, RuleSpec, leaves, producers
from .normalform import Conjunct, dnf
from .semantics import forward_chain

#: points tried per implication or conflict question before the check gives up on it
SEARCH_LIMIT = 20_000


def verify(rules: list[RuleSpec], vocab: Vocabulary, source: str) -> list[Problem]:
    """Every warning about ``rules``; ``source`` names the KB for KB-wide warnings."""
    return (
        overlapping(rules, vocab)
        + conflicts(rules, vocab)
        + fires_on_unknown(rules)
        + gaps(rules, vocab, source)
    )


def _warning(rule: RuleSpec, message: str, code: str) -> Problem:
    return Problem(
        rule.source, f"rule {rule.id}: {message}", rule.line, code=code, severity="warning"
    )


# -- implication ---------------------------------------------------------------------------
def implies(first: Condition, second: Condition, vocab: Vocabulary) -> bool:
    """Whether ``second`` is true on every case on which ``first`` is (False when unsure)."""
    then = dnf(second)
    for conjunct in dnf(first):
        found = points(conjunct, then, vocab, SEARCH_LIMIT)
        if found is None:
            return False
        for point, reached in found:
            if not any(conjunct_holds(c, point, reached) for c in then):
                return False
    return True


def overlapping(rules: list[RuleSpec], vocab: Vocabulary) -> list[Problem]:
    read_by_id = {t.id for r in rules for t in leaves(r.when) if isinstance(t, ConclusionTest)}
    problems = []
    for rule in rules:
        if rule.then.id in read_by_id:
            continue  # another rule builds on it: it adds that
        for other in rules:
            if other is rule or not _adds_nothing(rule, other):
                continue
            if not implies(rule.when, other.when, vocab):
                continue
            if implies(other.when, rule.when, vocab):
                if other.then.id not in read_by_id and other.ordinal > rule.ordinal:
                    continue  # equivalent pair: reported once, on the later rule
                problems.append(
                    _warning(
                        rule,
                        f"redundant: it fires exactly when rule {other.id} "
                        f"({other.source}:{other.line}) fires, and adds nothing to it",
                        "kb/redundant",
                    )
                )
            else:
                problems.append(
                    _warning(
                        rule,
                        f"subsumed by rule {other.id} ({other.source}:{other.line}): whenever "
                        "it fires, that rule fires too, and it adds nothing to it",
                        "kb/subsumed",
                    )
                )
            break
    return problems


def _adds_nothing(rule: RuleSpec, other: RuleSpec) -> bool:
    mine, theirs = rule.then, other.then
    return (
        mine.kind == theirs.kind
        and mine.finding_kind == theirs.finding_kind
        and set(rule.clauses) <= set(other.clauses)
        and (mine.course is None or mine.course == theirs.course)
    )


# -- conflicts -----------------------------------------------------------------------------
def conflicts(rules: list[RuleSpec], vocab: Vocabulary) -> list[Problem]:
    proposing = [r for r in rules if r.then.course is not None]
    problems = []
    for i, rule in enumerate(proposing):
        for other in proposing[i + 1 :]:
            if frozenset((rule.then.course, other.then.course)) not in vocab.excluded_courses:
                continue
            group = vocab.choice_groups.get(rule.then.course or "")
            if group is not None and group == vocab.choice_groups.get(other.then.course or ""):
                continue  # the advice chooses one of them and lists the other as an alternative
            case = witness([rule, other], rules, vocab)
            if case is None:
                continue
            problems.append(
                _warning(
                    other,
                    f"conflicts with rule {rule.id} ({rule.source}:{rule.line}): it proposes "
                    f"'{other.then.course}', which excludes '{rule.then.course}', and both fire "
                    f"on the case {_show_case(case)}",
                    "kb/conflict",
                )
            )
    return problems


def witness(
    wanted: list[RuleSpec], rules: list[RuleSpec], vocab: Vocabulary
) -> dict[str, FactValue] | None:
    """A case (its facts) on which every rule of ``wanted`` fires, or None if none was found."""
    for facts in _candidates([dnf(r.when) for r in wanted], rules, vocab, depth=3):
        reached = forward_chain(rules, facts)
        if all(r.then.id in reached for r in wanted):
            return facts
    return None


def _candidates(
    alternatives: list[list[Conjunct]], rules: list[RuleSpec], vocab: Vocabulary, depth: int
) -> Iterator[dict[str, FactValue]]:
    """Cases meeting one conjunction of each condition, premises met through their producers."""
    tried = 0
    for choice in _choices(alternatives):
        merged: Conjunct = tuple(lit for conjunct in choice for lit in conjunct)
        found = points(merged, [], vocab, SEARCH_LIMIT)
        if found is None:
            continue
        for point, _ in found:
            tried += 1
            if tried > 200:
                return
            facts = {k: v for k, v in point.items() if v is not ABSENT}
            premises = [
                lit.test
                for lit in merged
                if isinstance(lit.test, ConclusionTest) and not lit.negated
            ]
            if not premises or depth == 0:
                yield facts
                continue
            makers = [[dnf(p.when) for p in producers(rules, t)][:1] for t in premises]
            for extra in _candidates([m[0] for m in makers if m], rules, vocab, depth - 1):
                if all(facts.get(k, v) == v for k, v in extra.items()):
                    yield {**extra, **facts}
                    break
            break  # one point per conjunction is enough to try


def _choices(alternatives: list[list[Conjunct]]) -> Iterator[tuple[Conjunct, ...]]:
    if not alternatives:
        yield ()
        return
    first, *rest = alternatives
    for conjunct in first[:20]:
        for tail in _choices(rest):
            yield (conjunct, *tail)


def _show_case(facts: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, tuple):
            return "[" + ", ".join(value) + "]"
        return str(value).replace("\0", "")

    return "{" + ", ".join(f"{k}: {show(v)}" for k, v in sorted(facts.items())) + "}"


# -- unknown facts as reasons --------------------------------------------------------------
def fires_on_unknown(rules: list[RuleSpec]) -> list[Problem]:
    problems = []
    for rule in rules:
        for conjunct in dnf(rule.when):
            facts = [lit for lit in conjunct if isinstance(lit.test, FactTest)]
            if facts and all(lit.wants_stated is False for lit in facts):
                keys = ", ".join(sorted({lit.test.key for lit in facts}))  # type: ignore[union-attr]
                problems.append(
                    _warning(
                        rule,
                        f"can fire when the only facts it reads are not stated ({keys}): an "
                        "unknown fact is a question to ask, not a reason for advice",
                        "kb/fires-on-unknown",
                    )
                )
                break
    return problems


# -- gaps ----------------------------------------------------------------------------------
def gaps(rules: list[RuleSpec], vocab: Vocabulary, source: str) -> list[Problem]:
    cited = {c for r in rules for c in r.clauses}
    problems = [
        Problem(
            source,
            f"clause {clause.id} ({clause.title}) is cited by no rule",
            key=clause.id,
            code="kb/unimplemented-clause",
            severity="warning",
        )
        for clause in vocab.clauses.values()
        if clause.id not in cited
    ]
    read: dict[str, set[Any]] = {}
    for rule in rules:
        for test in leaves(rule.when):
            if isinstance(test, FactTest) and test.values:
                read.setdefault(test.key, set()).update(test.values)
    for name, values in read.items():
        key = vocab.keys[name]
        if not key.is_choice:
            continue
        unread = [v for v in key.value_iris if v not in values]
        if unread and len(unread) < len(key.value_iris):
            problems.append(
                Problem(
                    source,
                    f"no rule reads {', '.join(unread)}, while rules read "
                    f"{', '.join(v for v in key.value_iris if v in values)}",
                    key=f"{name}",
                    code="kb/unread-value",
                    severity="warning",
                )
            )
    return problems

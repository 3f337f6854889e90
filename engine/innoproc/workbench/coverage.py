"""Coverage of a KB by its test scenarios: which rules, clauses and case values they exercise.

Passing scenarios say nothing about a rule no scenario makes fire, a clause no fired rule cites,
or a value a rule reads that no scenario's case states. Coverage lists those gaps from the rule
model and the scenario results alone (nothing is run again), in three tables:

- rules: the scenarios whose case makes each rule fire; rules fired by none come first;
- clauses: the rules citing each clause, and the scenarios in which one of them fired;
- values: for every case key a rule reads, each value, comparison or ``known``/``unknown`` test
  the rules read (and each value a scenario's case states for a choice or true/false key), the
  rules reading it and the scenarios whose case exercises it.

A scenario exercises a value when its case states it (for a list key: lists it), a comparison
(``ge 7``) when its case's value passes it, ``known`` when its case states the key at all and
``unknown`` when it leaves the key out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from innoproc.explain import KnowledgeBase
from innoproc.ontology import CaseKey, FactValue
from innoproc.rules import FactTest, RuleSpec, leaves
from innoproc.rules.model import FactOp

from .scenarios_run import ScenarioResult, SuiteResult

#: the columns of the CSV form: one row per rule, clause or key value (lists joined by "; ")
CSV_COLUMNS = ("table", "item", "value", "rules", "count", "scenarios")
_COMPARISONS: tuple[FactOp, ...] = ("lt", "le", "gt", "ge")


@dataclass(frozen=True)
class RuleCoverage:
    """One rule, what it concludes, and the scenarios in which it fired."""

    rule: str
    concludes: str
    scenarios: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "concludes": self.concludes,
            "count": len(self.scenarios),
            "scenarios": list(self.scenarios),
        }


@dataclass(frozen=True)
class ClauseCoverage:
    """One clause of the source document, the rules citing it and the scenarios covering it."""

    clause: str
    title: str
    rules: tuple[str, ...]
    scenarios: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "title": self.title,
            "rules": list(self.rules),
            "count": len(self.scenarios),
            "scenarios": list(self.scenarios),
        }


@dataclass(frozen=True)
class ValueCoverage:
    """One value (or comparison, or known/unknown) of a case key: who reads it, who states it."""

    key: str
    value: str
    rules: tuple[str, ...]
    scenarios: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "rules": list(self.rules),
            "count": len(self.scenarios),
            "scenarios": list(self.scenarios),
        }


@dataclass(frozen=True)
class Coverage:
    """The three tables of coverage."""

    rules: tuple[RuleCoverage, ...]
    clauses: tuple[ClauseCoverage, ...]
    values: tuple[ValueCoverage, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": [r.to_dict() for r in self.rules],
            "clauses": [c.to_dict() for c in self.clauses],
            "values": [v.to_dict() for v in self.values],
        }

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """The tables as rows of :data:`CSV_COLUMNS`."""
        rows = [
            ("rule", r.rule, "", "", str(len(r.scenarios)), _joined(r.scenarios))
            for r in self.rules
        ]
        rows += [
            ("clause", c.clause, "", _joined(c.rules), str(len(c.scenarios)), _joined(c.scenarios))
            for c in self.clauses
        ]
        rows += [
            ("value", v.key, v.value, _joined(v.rules), str(len(v.scenarios)), _joined(v.scenarios))
            for v in self.values
        ]
        return rows

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(self.rows())
        return out.getvalue()


def coverage(kb: KnowledgeBase, suite: SuiteResult) -> Coverage:
    """Coverage of ``kb`` by the scenario results in ``suite``."""
    return Coverage(_rules(kb, suite), _clauses(kb, suite), _values(kb, suite))


def _rules(kb: KnowledgeBase, suite: SuiteResult) -> tuple[RuleCoverage, ...]:
    rows = [
        RuleCoverage(
            rule.id,
            rule.then.id,
            tuple(r.scenario.name for r in suite.results if rule.id in r.fired),
        )
        for rule in kb.rules
    ]
    # the fewest scenarios first, rules fired by none at the top; then in KB order
    return tuple(sorted(rows, key=lambda row: len(row.scenarios)))


def _clauses(kb: KnowledgeBase, suite: SuiteResult) -> tuple[ClauseCoverage, ...]:
    rows = []
    for clause in kb.vocabulary.clauses.values():
        citing = tuple(rule.id for rule in kb.rules if clause.id in rule.clauses)
        scenarios = tuple(r.scenario.name for r in suite.results if r.fired.intersection(citing))
        rows.append(ClauseCoverage(clause.id, clause.title, citing, scenarios))
    return tuple(rows)


@dataclass(frozen=True)
class _Slot:
    """What a rule reads of a key: a value, a comparison, or whether the key is stated."""

    kind: Literal["value", "compare", "presence"]
    value: FactValue | None = None
    op: FactOp = "in"
    number: float | None = None


def _values(kb: KnowledgeBase, suite: SuiteResult) -> tuple[ValueCoverage, ...]:
    tests = [
        (rule, test)
        for rule in kb.rules
        for test in leaves(rule.when)
        if isinstance(test, FactTest)
    ]
    rows = []
    for key in kb.vocabulary.keys.values():
        on_key = [(rule, test) for rule, test in tests if test.key == key.name]
        if not on_key:
            continue
        readers: dict[_Slot, list[str]] = {}
        for rule, test in on_key:
            for slot in _slots(test):
                _add(readers.setdefault(slot, []), rule)
        if key.is_choice or key.kind == "boolean":
            for result in suite.results:
                for value in _stated(result.scenario.case.facts.get(key.name)):
                    readers.setdefault(_Slot("value", value), [])
        for slot in sorted(readers, key=lambda s: _order(key, s)):
            rows.append(
                ValueCoverage(
                    key.name,
                    _written(slot),
                    tuple(readers[slot]),
                    tuple(r.scenario.name for r in suite.results if _exercises(r, key, slot)),
                )
            )
    return tuple(rows)


def _slots(test: FactTest) -> list[_Slot]:
    """What a fact test reads: its values, its comparison, or the key's presence."""
    if test.presence is not None:
        return [_Slot("presence", op=test.op)]
    if test.op in _COMPARISONS:
        return [_Slot("compare", op=test.op, number=test.number)]
    return [_Slot("value", value) for value in test.values]


def _add(rules: list[str], rule: RuleSpec) -> None:
    if rule.id not in rules:
        rules.append(rule.id)


def _stated(fact: FactValue | None) -> tuple[FactValue, ...]:
    if fact is None:
        return ()
    return fact if isinstance(fact, tuple) else (fact,)


def _order(key: CaseKey, slot: _Slot) -> tuple[int, int, str, float]:
    """Values in the ontology's order (true before false), then comparisons, then presence."""
    if slot.kind == "value":
        if isinstance(slot.value, bool):
            return (0, 0 if slot.value else 1, "", 0.0)
        known: list[FactValue] = list(key.values)
        rank = known.index(slot.value) if slot.value in known else len(known)
        return (0, rank, str(slot.value), 0.0)
    if slot.kind == "compare":
        return (1, _COMPARISONS.index(slot.op), "", slot.number or 0.0)
    return (2, 0 if slot.op == "known" else 1, "", 0.0)


def _written(slot: _Slot) -> str:
    """A slot in the rule language's words: ``lowest-price``, ``true``, ``ge 7``, ``unknown``."""
    if slot.kind == "presence":
        return slot.op
    if slot.kind == "compare":
        number = float(slot.number or 0)
        return f"{slot.op} {int(number) if number.is_integer() else number}"
    if isinstance(slot.value, bool):
        return "true" if slot.value else "false"
    return str(slot.value)


def _exercises(result: ScenarioResult, key: CaseKey, slot: _Slot) -> bool:
    facts: Mapping[str, FactValue] = result.scenario.case.facts
    if slot.kind == "presence":
        return (key.name in facts) == (slot.op == "known")
    fact = facts.get(key.name)
    if fact is None:
        return False
    if slot.kind == "compare":
        test = FactTest(key.name, slot.op, number=slot.number)
        return isinstance(fact, int | float) and not isinstance(fact, bool) and test.holds(fact)
    if isinstance(fact, tuple):
        return slot.value in fact
    return type(fact) is type(slot.value) and fact == slot.value


def _joined(items: tuple[str, ...]) -> str:
    return "; ".join(items)

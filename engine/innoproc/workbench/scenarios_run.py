"""Running test scenarios: each scenario's case through its KB, compared with what it expects.

A result keeps everything the KB concluded (which rule concluded which id), not just the verdict:
coverage reads the same results, and a failure can say exactly what differs instead of "failed".
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from innoproc.explain import AdviceItem, KnowledgeBase

from .scenarios import Scenario

#: the columns of the CSV form of the results
RESULT_COLUMNS = ("name", "status", "file", "line", "case", "missing", "unexpected", "wrong_rule")


@dataclass(frozen=True)
class Concluded:
    """An id concluded in a scenario, and the rule that concluded it."""

    id: str
    rule: str


@dataclass(frozen=True)
class WrongRule:
    """An expected id that was concluded, but not by the rule the scenario requires."""

    id: str
    expected: str
    found: str


@dataclass(frozen=True)
class ScenarioResult:
    """What one scenario's case gave, and how that differs from what the scenario expects."""

    scenario: Scenario
    concluded: tuple[Concluded, ...]
    missing: tuple[str, ...] = ()
    unexpected: tuple[Concluded, ...] = ()
    wrong_rule: tuple[WrongRule, ...] = ()
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not (self.missing or self.unexpected or self.wrong_rule)

    @property
    def fired(self) -> frozenset[str]:
        """The rules that concluded something for this scenario's case."""
        return frozenset(c.rule for c in self.concluded)

    def differences(self) -> list[str]:
        """What differs, one phrase per kind: ``missing: a, b``, ``unexpected: c (rule r)`` ..."""
        found = []
        if self.missing:
            found.append("missing: " + ", ".join(self.missing))
        if self.unexpected:
            found.append("unexpected: " + ", ".join(_unexpected(c) for c in self.unexpected))
        if self.wrong_rule:
            found.append("wrong rule: " + ", ".join(_wrong(w) for w in self.wrong_rule))
        return found

    def to_dict(self) -> dict[str, Any]:
        scenario = self.scenario
        return {
            "name": scenario.name,
            "status": "pass" if self.passed else "fail",
            "file": scenario.source,
            "line": scenario.line,
            "case": scenario.case_ref,
            "concluded": [{"id": c.id, "rule": c.rule} for c in self.concluded],
            "missing": list(self.missing),
            "unexpected": [{"id": c.id, "rule": c.rule} for c in self.unexpected],
            "wrong_rule": [
                {"id": w.id, "expected": w.expected, "found": w.found} for w in self.wrong_rule
            ],
        }


@dataclass(frozen=True)
class SuiteResult:
    """The results of every scenario of a KB, in the order the files give them."""

    results: tuple[ScenarioResult, ...]

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    def summary(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"

    def to_csv(self) -> str:
        """One row per scenario; lists joined by "; "."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RESULT_COLUMNS)
        for result in self.results:
            scenario = result.scenario
            writer.writerow(
                (
                    scenario.name,
                    "pass" if result.passed else "fail",
                    scenario.source,
                    "" if scenario.line is None else scenario.line,
                    scenario.case_ref,
                    "; ".join(result.missing),
                    "; ".join(_unexpected(c) for c in result.unexpected),
                    "; ".join(_wrong(w) for w in result.wrong_rule),
                )
            )
        return out.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "scenarios": [r.to_dict() for r in self.results],
        }


def run_scenario(kb: KnowledgeBase, scenario: Scenario) -> ScenarioResult:
    """Advise on the scenario's case and compare the advice with its expectations."""
    start = time.perf_counter()
    advice = kb.advise(scenario.case)
    seconds = time.perf_counter() - start
    concluded = tuple(_concluded(advice.items))
    by_id = {c.id: c for c in concluded}
    expected = {e.id for e in scenario.expect}
    missing = tuple(e.id for e in scenario.expect if e.id not in by_id)
    wrong = tuple(
        WrongRule(e.id, e.rule, by_id[e.id].rule)
        for e in scenario.expect
        if e.rule is not None and e.id in by_id and by_id[e.id].rule != e.rule
    )
    forbidden = set(scenario.absent)
    unexpected = tuple(
        c for c in concluded if c.id in forbidden or (scenario.exactly and c.id not in expected)
    )
    return ScenarioResult(scenario, concluded, missing, unexpected, wrong, seconds)


def _concluded(items: Iterable[AdviceItem]) -> Iterator[Concluded]:
    """Every item concluded, the alternatives listed under a chosen recommendation included: a
    scenario tests what the rules conclude, not which of several fitting courses advice puts
    first."""
    for item in items:
        yield Concluded(item.id, item.rule)
        yield from _concluded(item.alternatives)


def run_scenarios(kb: KnowledgeBase, scenarios: Iterable[Scenario]) -> SuiteResult:
    """Run every scenario against ``kb``."""
    kb.backend.prepare()  # built once up front, so that no scenario's time includes it
    return SuiteResult(tuple(run_scenario(kb, s) for s in scenarios))


def _unexpected(concluded: Concluded) -> str:
    return f"{concluded.id} (rule {concluded.rule})"


def _wrong(wrong: WrongRule) -> str:
    return f"{wrong.id} by {wrong.found}, expected {wrong.expected}"

"""Test scenarios: the tests a knowledge base carries with it, as data in ``tests/*.yaml``.

A scenario pairs a case with what the rules must conclude for it, in the manner of a Drools test
scenario or an OPA test: the knowledge engineer who changes a rule sees at once which promised
behaviour moved, and the promise travels and is reviewed with the rules it is about. The files
are read under the reading policy and checked as strictly as rule files: every problem of every
file (an unknown key, an id no rule concludes, a case that cannot be found or read) is collected
with its file, line and a ``kbtest/...`` code before any scenario runs, so a wrong expectation
is never mistaken for a failing rule.

A file holds a list of scenarios, or a mapping whose ``scenarios`` is that list; each scenario
has ``name``, ``case`` (a case file relative to the test file, or a case-form mapping written
inline) and at least one of ``expect`` (ids that must be concluded, each optionally
``{id: ..., rule: ...}`` to require the rule concluding it), ``absent`` (ids that must not be)
and ``exactly: true`` (nothing but the expected ids may be concluded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from innoproc.case import Case
from innoproc.errors import CaseError, KnowledgeBaseError, Problem, did_you_mean
from innoproc.explain import KnowledgeBase
from innoproc.reading.limits import current_limits

from .scenarios_file import Draft, Expected, ScenarioFileReader

__all__ = ["INLINE_CASE", "Expected", "Scenario", "load_scenarios", "scenario_files"]

#: how a scenario whose case is written inline names its case in reports
INLINE_CASE = "<inline>"


@dataclass(frozen=True)
class Scenario:
    """One scenario, checked against its KB and with its case loaded in that KB's vocabulary."""

    name: str
    source: str
    line: int | None
    case: Case = field(compare=False)
    #: the case as the scenario names it: its path as written, or ``<inline>``
    case_ref: str
    expect: tuple[Expected, ...] = ()
    absent: tuple[str, ...] = ()
    exactly: bool = False

    @property
    def where(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"


def scenario_files(kb_folder: Path) -> list[Path]:
    """The test files of a KB folder, in the order they are read."""
    tests = kb_folder / "tests"
    return sorted(tests.glob("*.yaml")) + sorted(tests.glob("*.yml"))


def load_scenarios(kb: KnowledgeBase) -> tuple[Scenario, ...]:
    """Every scenario of ``kb``'s folder, checked and with its case loaded.

    Raises :class:`KnowledgeBaseError` with every problem of every file (and of every case the
    scenarios name) when there is one, or when the folder holds no scenario at all: a KB test
    run that tests nothing is a mistake, not a success.
    """
    limits = current_limits()
    files = scenario_files(kb.folder)
    problems: list[Problem] = []
    drafts: list[Draft] = []
    for path in files:
        reader = ScenarioFileReader(path, kb.folder, limits)
        drafts.extend(reader.read())
        problems.extend(reader.problems)
    problems.extend(_duplicate_names(drafts))
    problems.extend(_unknown_ids(drafts, kb))
    cases = _CaseLoader(kb)
    scenarios = [cases.scenario(draft) for draft in drafts]
    problems.extend(cases.problems)
    if not drafts and not problems:
        problems.append(
            Problem(
                str(kb.folder / "tests"),
                "found no scenarios; allowed: test files (tests/*.yaml) holding at least one "
                "scenario (see kb/README.md, Test scenarios)",
                code="kbtest/no-scenarios",
            )
        )
    if problems:
        # file by file, top to bottom: the order a knowledge engineer fixes them in
        order = {str(path): index for index, path in enumerate(files)}
        problems.sort(key=lambda p: (order.get(p.source, len(order)), p.source, p.line or 0))
        raise KnowledgeBaseError(problems)
    return tuple(s for s in scenarios if s is not None)


def _duplicate_names(drafts: list[Draft]) -> list[Problem]:
    """Names identify scenarios in reports and in JUnit: one name, one scenario, in the KB."""
    first: dict[str, Draft] = {}
    problems = []
    for draft in drafts:
        earlier = first.setdefault(draft.name, draft)
        if earlier is not draft:
            where = earlier.source if earlier.line is None else f"{earlier.source}:{earlier.line}"
            problems.append(
                Problem(
                    draft.source,
                    f"scenario {draft.name}: the name is already used at {where}; allowed: a "
                    "name no other scenario of the KB has",
                    draft.line,
                    code="kbtest/duplicate-name",
                )
            )
    return problems


def _unknown_ids(drafts: list[Draft], kb: KnowledgeBase) -> list[Problem]:
    """Ids no rule concludes and rules the KB does not have: a typo would otherwise pass as
    ``absent`` for ever, or fail as ``missing`` without saying why."""
    concluded = [rule.then.id for rule in kb.rules]
    known = set(concluded)
    problems = []
    for draft in drafts:
        written = [(e.id, e.line, "expect") for e in draft.expect]
        written += [(id_, line, "absent") for id_, line in draft.absent]
        for id_, line, key in written:
            if id_ not in known:
                problems.append(
                    Problem(
                        draft.source,
                        f"scenario {draft.name}: {key}: found {id_!r}, which no rule of the KB "
                        "concludes; allowed: a finding or recommendation id a rule concludes "
                        "(innoproc kb rules lists them)" + did_you_mean(id_, concluded),
                        line,
                        code="kbtest/unknown-conclusion",
                    )
                )
        for expected in draft.expect:
            if expected.rule is not None and expected.rule not in kb.by_id:
                problems.append(
                    Problem(
                        draft.source,
                        f"scenario {draft.name}: expect: found rule {expected.rule!r}, which "
                        "the KB does not have; allowed: a rule id (innoproc kb rules lists them)"
                        + did_you_mean(expected.rule, list(kb.by_id)),
                        expected.line,
                        code="kbtest/unknown-rule",
                    )
                )
    return problems


class _CaseLoader:
    """Loads the case of each draft in the KB's vocabulary, each case file once."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.problems: list[Problem] = []
        self._files: dict[Path, Case | None] = {}

    def scenario(self, draft: Draft) -> Scenario | None:
        if isinstance(draft.case, str):
            case = self._from_file(draft, draft.case)
            ref = draft.case
        elif draft.case is not None:
            case = self._inline(draft, draft.case)
            ref = INLINE_CASE
        else:
            return None
        if case is None:
            return None
        return Scenario(
            draft.name,
            draft.source,
            draft.line,
            case,
            ref,
            tuple(draft.expect),
            tuple(id_ for id_, _ in draft.absent),
            draft.exactly,
        )

    def _from_file(self, draft: Draft, written: str) -> Case | None:
        path = (Path(draft.source).parent / written).resolve()
        if path not in self._files:
            if not path.is_file():
                self.problems.append(
                    Problem(
                        draft.source,
                        f"scenario {draft.name}: case: found no case file at {path}; allowed: "
                        "a case file (YAML, JSON or RDF), its path relative to this test file",
                        draft.case_line,
                        code="kbtest/missing-case",
                    )
                )
                return None
            try:
                self._files[path] = self.kb.load_case(path)
            except CaseError as exc:
                self._files[path] = None
                self.problems.extend(exc.problems)
        return self._files[path]

    def _inline(self, draft: Draft, data: Mapping[str, Any]) -> Case | None:
        """The inline case, its problems placed at their lines in the test file."""
        try:
            return self.kb.load_case(data)
        except CaseError as exc:
            lines: Mapping[str, int] = getattr(data, "key_lines", {})
            self.problems.extend(
                Problem(
                    draft.source,
                    f"scenario {draft.name}: case: "
                    + (f"{problem.key}: " if problem.key else "")
                    + problem.message,
                    lines.get(problem.key or "", draft.case_line),
                    code=problem.code,
                    severity=problem.severity,
                )
                for problem in exc.problems
            )
            return None

"""``innoproc kb check``: everything that can be known about a KB without a case.

Errors (a rule that cannot be read, an unknown term, a cycle, a rule that can never fire ...)
refuse the KB. Warnings (redundant, subsumed or conflicting rules, rules acting on unknown facts,
gaps, undefined terms) are reported and may be accepted, each with its reason, in the KB's
``checks.yaml``: a warning that was reviewed and found right stays visible there, with why,
instead of being fixed by a change that makes the KB worse. An acceptance that no longer
matches any warning is itself reported, so the file never goes stale unnoticed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from innoproc.engine import BACKENDS, make_backend
from innoproc.errors import InputError, KnowledgeBaseError, Problem
from innoproc.explain import KnowledgeBase
from innoproc.ontology.reasoner import ReasonerReport, run_hermit
from innoproc.ontology.terms import undefined_terms
from innoproc.reading.files import read_text
from innoproc.reading.yaml_lines import YamlSyntaxError, load_yaml
from innoproc.rules.verify import verify

ACCEPTED_FILE = "checks.yaml"


@dataclass(frozen=True)
class Acceptance:
    """A warning reviewed and accepted: its code, what it is about, and why it stands."""

    code: str
    subject: str
    reason: str
    line: int | None = None

    def matches(self, problem: Problem) -> bool:
        return problem.code == self.code and self.subject in _subjects(problem)


def _subjects(problem: Problem) -> set[str]:
    """What a warning is about: its key, and the rule ids it names."""
    found = {problem.key} if problem.key else set()
    words = problem.message.replace(",", " ").replace(":", " ").split()
    found |= {words[i + 1] for i, word in enumerate(words[:-1]) if word == "rule"}
    return found


@dataclass
class CheckReport:
    """The outcome of checking one KB."""

    kb: KnowledgeBase
    #: what is reported: warnings not accepted, and errors found by the reasoner
    problems: list[Problem] = field(default_factory=list)
    accepted: list[tuple[Problem, Acceptance]] = field(default_factory=list)
    seconds: float = 0.0
    reasoner: ReasonerReport | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def summary(self) -> str:
        files = len({r.source for r in self.kb.rules})
        warnings = len(self.problems) - len(self.errors)
        parts = [f"{len(self.kb.rules)} rules in {files} files"]
        if not self.problems:
            parts.append("no problems found")
        else:
            parts.append(f"{len(self.errors)} error(s), {warnings} warning(s)")
        if self.accepted:
            parts.append(f"{len(self.accepted)} warning(s) accepted in {ACCEPTED_FILE}")
        return (
            ": ".join(parts[:2])
            + "".join(f"; {p}" for p in parts[2:])
            + (f" ({self.seconds:.2f} s)")
        )


def check_kb(folder: Path | None = None, reasoner: bool = False) -> CheckReport:
    """Load (which raises on errors), verify and, if asked, reason over the KB in ``folder``."""
    start = time.perf_counter()
    kb = KnowledgeBase.load(folder)
    kb.backend.prepare()  # compiling proves the rules map onto the engine, and onto the others
    for engine in BACKENDS:
        if engine != kb.engine_name:
            make_backend(engine, kb.rules).prepare()
    source = str(kb.folder / "rules")
    found = verify(list(kb.rules), kb.vocabulary, source) + undefined_terms(kb.vocabulary)
    acceptances = load_acceptances(kb.folder)
    report = CheckReport(kb)
    used: set[Acceptance] = set()
    for problem in found:
        accepted = next((a for a in acceptances if a.matches(problem)), None)
        if accepted is None:
            report.problems.append(problem)
        else:
            report.accepted.append((problem, accepted))
            used.add(accepted)
    report.problems += [
        Problem(
            str(kb.folder / ACCEPTED_FILE),
            f"accepts {a.code} for {a.subject}, but no such warning is reported any more; "
            "remove the entry",
            a.line,
            code="kb/stale-acceptance",
            severity="warning",
        )
        for a in acceptances
        if a not in used
    ]
    report.seconds = time.perf_counter() - start
    if reasoner:
        report.reasoner = run_hermit(kb.vocabulary)
        if report.reasoner.consistent is False:
            report.problems.append(
                Problem(
                    str(kb.folder),
                    "the ontology is inconsistent (HermiT)",
                    code="kb/ontology-inconsistent",
                )
            )
        report.problems += [
            Problem(
                str(kb.folder),
                f"class {iri} is unsatisfiable (HermiT)",
                code="kb/unsatisfiable-class",
            )
            for iri in report.reasoner.unsatisfiable
        ]
    return report


def load_acceptances(folder: Path) -> list[Acceptance]:
    """The accepted warnings of a KB folder (none when it has no ``checks.yaml``)."""
    path = folder / ACCEPTED_FILE
    if not path.exists():
        return []
    source = str(path)
    try:
        data, problems = load_yaml(read_text(path, folder=folder), source)
    except (InputError, YamlSyntaxError) as exc:
        raise KnowledgeBaseError(exc.problems) from None
    entries = data.get("accepted") if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        problems.append(
            Problem(
                source,
                "expected a mapping with `accepted:`, a list of code, subject and reason",
                getattr(data, "line", None),
                code="kb/acceptance",
            )
        )
        raise KnowledgeBaseError(problems)
    found = []
    lines = getattr(entries, "item_lines", [])
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        fields = {"code", "subject", "reason"}
        if (
            not isinstance(entry, Mapping)
            or set(entry) != fields
            or not all(isinstance(entry[k], str) and entry[k].strip() for k in fields)
        ):
            problems.append(
                Problem(
                    source,
                    "each accepted warning has exactly code, subject and a non-empty reason",
                    line,
                    code="kb/acceptance",
                )
            )
            continue
        found.append(Acceptance(entry["code"], entry["subject"], entry["reason"], line))
    if problems:
        raise KnowledgeBaseError(problems)
    return found

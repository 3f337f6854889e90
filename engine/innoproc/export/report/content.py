"""What a report says, gathered once from the advice, for the HTML and the Markdown templates.

Both templates show the same content; keeping the gathering here (and out of the templates)
means they only lay it out, and the tests can check the content without parsing either.
Everything is in the ontology's words with the ids beside them: an officer reads the labels, a
knowledge engineer checks the ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from innoproc.explain import Advice, AdviceItem
from innoproc.explain.questions import OpenQuestion
from innoproc.ontology import FactValue, Vocabulary

from .graph import Layout, justification_dot, layout

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Word:
    """One value in words (the ontology's label) and its id in the case form, if it has one."""

    words: str
    id: str | None = None


@dataclass(frozen=True)
class FactRow:
    """A stated fact of the case: its label, key, value in words and where the file states it."""

    key: str
    label: str
    values: tuple[Word, ...]
    line: int | None
    #: ids of the items whose chain of reasons reads this fact
    read_by: tuple[str, ...]
    #: False for an unstated fact that a reason read
    stated: bool = True


@dataclass(frozen=True)
class ChallengeRow:
    """The findings about one challenge (or key conclusion), by severity."""

    clause: str
    title: str
    findings: tuple[AdviceItem, ...]

    def by_severity(self, severity: str) -> tuple[AdviceItem, ...]:
        return tuple(f for f in self.findings if f.severity == severity)


@dataclass(frozen=True)
class ClauseRow:
    """A clause the advice cites, its title and the items citing it."""

    id: str
    title: str
    cited_by: tuple[AdviceItem, ...]


@dataclass(frozen=True)
class Report:
    """Everything a report shows."""

    advice: Advice
    title: str | None
    organisation: str | None
    source: str
    facts: tuple[FactRow, ...]
    unstated: int
    challenges: tuple[ChallengeRow, ...]
    clauses: tuple[ClauseRow, ...]
    questions: tuple[OpenQuestion, ...]
    dot: str | None
    picture: Layout | None
    version: str

    @property
    def case_id(self) -> str:
        return self.advice.case.id

    @property
    def stated(self) -> int:
        """How many facts the case states (``id`` aside)."""
        return sum(1 for row in self.facts if row.stated)

    def severity_count(self, severity: str) -> int:
        return sum(1 for f in self.advice.findings if f.severity == severity)


def gather(advice: Advice, programs: list[str] | None = None, graph: bool = True) -> Report:
    """The content of the report on ``advice``; ``programs`` chooses the layout programs
    (default: those installed), ``graph=False`` leaves the layout out (Markdown needs only
    the DOT text)."""
    from innoproc import __version__

    vocab = advice.vocabulary
    facts = advice.case.facts
    dot = justification_dot(advice)
    picture = layout(dot, programs) if graph and dot is not None else None
    title = facts.get("title")
    organisation = facts.get("organisation")
    return Report(
        advice=advice,
        title=str(title) if title is not None else None,
        organisation=str(organisation) if organisation is not None else None,
        source=Path(advice.case.source).name if advice.case.source else "",
        facts=fact_rows(advice),
        unstated=sum(1 for key in vocab.keys if key not in facts),
        challenges=challenge_rows(advice),
        clauses=clause_rows(advice),
        questions=advice.open_questions,
        dot=dot,
        picture=picture,
        version=__version__,
    )


def value_words(vocab: Vocabulary, key: str, value: FactValue | None) -> tuple[Word, ...]:
    """A fact's value in words: each chosen value by its label with its id, a yes/no, a
    number or a text as stated."""
    case_key = vocab.keys.get(key)
    if value is None:
        return (Word("not stated"),)
    if isinstance(value, bool):
        return (Word("yes" if value else "no"),)
    if case_key is not None and case_key.is_choice:
        chosen = value if isinstance(value, tuple) else (str(value),)
        if not chosen:
            return (Word("none"),)
        return tuple(
            Word(vocab.label(case_key.value_iris[v]), v) if v in case_key.value_iris else Word(v, v)
            for v in chosen
        )
    if isinstance(value, tuple):
        return tuple(Word(str(v)) for v in value) or (Word("none"),)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return (Word(f"{value:,}".replace(",", " ")),)
    return (Word(str(value)),)


def fact_rows(advice: Advice) -> tuple[FactRow, ...]:
    """The case's facts in the order of the case form (``id`` is the report's title): those
    stated, then those a reason read although the case does not state them."""
    vocab = advice.vocabulary
    facts = advice.case.facts
    readers: dict[str, list[str]] = {}
    for item in advice.all_items():
        for key, _ in item.because.facts:
            readers.setdefault(key, []).append(item.id)
    # stated facts, then the unstated ones a reason read ("nothing known against it"), so that
    # every fact of a chain of reasons, and of the graph, has its row
    order = [k for k in vocab.keys if k in facts] + sorted(k for k in facts if k not in vocab.keys)
    order += [k for k in vocab.keys if k in readers and k not in facts]
    rows = []
    for key in order:
        if key == "id":
            continue
        case_key = vocab.keys.get(key)
        rows.append(
            FactRow(
                key,
                case_key.label if case_key is not None else key,
                value_words(vocab, key, facts.get(key)),
                advice.case.lines.get(key),
                tuple(dict.fromkeys(readers.get(key, []))),
                key in facts,
            )
        )
    return tuple(rows)


def challenge_of(item: AdviceItem, vocab: Vocabulary) -> str:
    """The clause a finding is filed under: the challenge it names, else its first clause
    (a KC-6 risk is filed under KC-6)."""
    for clause in item.clauses:
        found = vocab.clauses.get(clause)
        if found is not None and "challenge-finding" in found.grounds:
            return clause
    return item.clauses[0] if item.clauses else ""


def challenge_rows(advice: Advice) -> tuple[ChallengeRow, ...]:
    """The findings grouped by challenge, in the order of the source document."""
    vocab = advice.vocabulary
    groups: dict[str, list[AdviceItem]] = {}
    for finding in advice.findings:
        groups.setdefault(challenge_of(finding, vocab), []).append(finding)
    order = {clause: index for index, clause in enumerate(vocab.clauses)}
    return tuple(
        ChallengeRow(clause, vocab.clause_title(clause), tuple(found))
        for clause, found in sorted(groups.items(), key=lambda g: (order.get(g[0], 999), g[0]))
    )


def clause_rows(advice: Advice) -> tuple[ClauseRow, ...]:
    """Every clause cited by an item of the advice (alternatives included), in document order."""
    vocab = advice.vocabulary
    citing: dict[str, list[AdviceItem]] = {}
    for item in advice.all_items():
        for clause in item.clauses:
            citing.setdefault(clause, []).append(item)
    order = {clause: index for index, clause in enumerate(vocab.clauses)}
    return tuple(
        ClauseRow(clause, vocab.clause_title(clause), tuple(items))
        for clause, items in sorted(citing.items(), key=lambda c: (order.get(c[0], 999), c[0]))
    )

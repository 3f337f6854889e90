"""Explanations in words: why an item, why not, what if, and the open questions of a case.

Each explanation is first laid out as indented lines (:class:`Line`), then written as plain
text (two spaces per level) or as a Markdown nested list, so both say exactly the same thing.
Things are named as a procurement officer reads them (labels from the ontology, the rules'
titles), with the ids beside them for the knowledge engineer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from innoproc.explain import Advice
from innoproc.explain.explanation import Explanation
from innoproc.explain.questions import OpenQuestion
from innoproc.ontology import FactValue, Vocabulary
from innoproc.rules import RuleSpec
from innoproc.rules.model import All, AnyOf, AtLeast, ConclusionTest, FactTest, Not
from innoproc.rules.trace import NodeTrace, RuleTrace

from .words import fact_in_words, markdown_text, printable

if TYPE_CHECKING:  # named in annotations only: the what-if search is not loaded for advice
    from innoproc.explain.what_if import ChangeSearch, WhatIf
    from innoproc.explain.why_not import WhyNot

_SYMBOL = {"lt": "less than", "le": "at most", "gt": "more than", "ge": "at least"}
_OPPOSITE = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}


@dataclass(frozen=True)
class Line:
    depth: int
    text: str


def as_text(lines: Iterable[Line]) -> str:
    return "".join(f"{'  ' * line.depth}{printable(line.text)}\n" for line in lines)


def as_markdown(lines: Iterable[Line]) -> str:
    out = []
    for line in lines:
        if line.depth == 0:
            out.append(f"\n{markdown_text(line.text, line_start=True)}\n\n")
        else:
            out.append(f"{'  ' * (line.depth - 1)}- {markdown_text(line.text)}\n")
    return "".join(out).lstrip("\n")


# -- words for tests ------------------------------------------------------------------------
def value_words(vocab: Vocabulary, key: str, values: Iterable[FactValue]) -> str:
    spec = vocab.keys.get(key)
    words = []
    for value in values:
        if spec is not None and spec.is_choice and str(value) in spec.value_iris:
            words.append(f"{vocab.label(spec.value_iris[str(value)])} ({value})")
        elif isinstance(value, bool):
            words.append("yes (true)" if value else "no (false)")
        else:
            words.append(str(value))
    return ", ".join(words)


def passing_values(test: FactTest, wanted: bool, vocab: Vocabulary) -> str:
    """The values with which ``test`` gives ``wanted``, in words."""
    if test.presence is not None:
        stated = test.presence == wanted
        return "the fact stated" if stated else "the fact left unstated"
    if test.number is not None:
        op = test.op if wanted else _OPPOSITE[test.op]
        return f"{_SYMBOL[op]} {test.number:g}"
    spec = vocab.keys.get(test.key)
    named = sorted(test.values, key=str)
    if test.op == "all_of":
        prefix = "a list with all of" if wanted else "a list missing one of"
        return f"{prefix}: {value_words(vocab, test.key, named)}"
    if test.multi:
        prefix = "a list with one of" if wanted else "a list with none of"
        return f"{prefix}: {value_words(vocab, test.key, named)}"
    if wanted:
        return value_words(vocab, test.key, named)
    others = [v for v in (spec.value_iris if spec else []) if v not in test.values]
    if spec is not None and spec.kind == "boolean":
        others = [v for v in (True, False) if v not in test.values]  # type: ignore[misc]
    return value_words(vocab, test.key, others) if others else "no other value"


def _mark(node: NodeTrace | RuleTrace, wanted: bool = True) -> str:
    if node.truth is None:
        return "?"
    return "✓" if node.truth is wanted else "✗"


def _titles(rules: tuple[RuleSpec, ...]) -> dict[str, RuleSpec]:
    first: dict[str, RuleSpec] = {}
    for rule in rules:
        first.setdefault(rule.then.id, rule)
    return first


def _conclusion_words(
    test: ConclusionTest, by_conclusion: dict[str, RuleSpec], vocab: Vocabulary
) -> str:
    if test.id is not None:
        rule = by_conclusion.get(test.id)
        title = rule.title if rule else test.id
        return f"{test.kind} “{title}” ({test.id})"
    about = test.about or ""
    return f"a {test.kind} resting on {about} ({vocab.clause_title(about)})"


def rule_lines(
    trace: RuleTrace, depth: int, rules: tuple[RuleSpec, ...], vocab: Vocabulary
) -> list[Line]:
    """A rule's evaluation as lines: a heading, then its condition tree."""
    rule = trace.rule
    state = (
        "fired"
        if trace.fired
        else {
            None: "could not be decided: a fact it needs is not stated",
            False: "did not fire: its condition is false",
            True: "its condition holds, but another rule drew the same conclusion first",
        }[trace.truth]
    )
    heading = f"{_mark(trace)} rule “{rule.title}” ({rule.id}; {', '.join(rule.clauses)}): {state}"
    lines = [Line(depth, heading)]
    if trace.repeated:
        lines.append(Line(depth + 1, "(explained above)"))
        return lines
    lines += _node_lines(trace.condition, depth + 1, rules, vocab, _titles(rules))
    return lines


def _node_lines(
    node: NodeTrace,
    depth: int,
    rules: tuple[RuleSpec, ...],
    vocab: Vocabulary,
    by_conclusion: dict[str, RuleSpec],
) -> list[Line]:
    condition = node.condition
    mark = _mark(node, node.wanted)
    if isinstance(condition, FactTest):
        stated = fact_in_words(vocab, condition.key, node.found if node.stated else None)
        text = f"{mark} {stated} [{condition.key}]"
        if node.blocking:
            text += f" — needs {passing_values(condition, node.wanted, vocab)}"
        return [Line(depth, text)]
    if isinstance(condition, ConclusionTest):
        words = _conclusion_words(condition, by_conclusion, vocab)
        if node.wanted:
            if node.satisfied_by is not None:
                return [Line(depth, f"{mark} {words} was reached")]
            lines = [Line(depth, f"{mark} needs {words}, which was not reached")]
            for producer in node.producers:
                lines += rule_lines(producer, depth + 1, rules, vocab)
            return lines
        if node.satisfied_by is not None:
            return [Line(depth, f"{mark} needs no {words}, but it was reached")]
        return [Line(depth, f"{mark} needs no {words}, and none was reached")]
    if isinstance(condition, Not):
        return _node_lines(node.children[0], depth, rules, vocab, by_conclusion)
    if isinstance(condition, AtLeast):
        head = f"{mark} at least {condition.count} of:"
    elif isinstance(condition, All):
        head = f"{mark} all of:"
    else:
        assert isinstance(condition, AnyOf)
        head = f"{mark} one of:"
    if not node.wanted:
        head = f"{mark} not {head[2:]}"
    lines = [Line(depth, head)]
    for child in node.children:
        lines += _node_lines(child, depth + 1, rules, vocab, by_conclusion)
    return lines


# -- explain --------------------------------------------------------------------------------
def explanation_lines(explanation: Explanation, advice: Advice) -> list[Line]:
    vocab = advice.vocabulary
    item = explanation.item
    lines = [Line(0, f"Why {item.kind} “{item.title}” ({item.id}) on case {advice.case.id}")]
    for depth, link in explanation.steps():
        if depth > 0:
            lines.append(Line(depth, f"which rests on {link.kind} “{link.title}” ({link.id})"))
        rule = advice.knowledge_base.by_id[link.rule]
        clauses = "; ".join(
            f"{c} {t}" for c, t in zip(link.clauses, link.clause_titles, strict=True)
        )
        origin = f"{Path(rule.source).name}:{rule.line}" if rule.source else rule.id
        lines.append(Line(depth + 1, f"rule “{rule.title}” ({rule.id}, {origin})"))
        lines.append(Line(depth + 2, f"clauses: {clauses}"))
        lines.append(Line(depth + 2, f"rationale: {link.rationale}"))
        for key, value in link.because.facts:
            where = explanation.located(key)
            at = f" — {where.where()}" if where else ""
            lines.append(Line(depth + 2, f"fact: {fact_in_words(vocab, key, value)} [{key}]{at}"))
        for absent in link.because.absent:
            lines.append(Line(depth + 2, f"and {absent}"))
    return lines


# -- why not --------------------------------------------------------------------------------
def why_not_lines(answer: WhyNot, advice: Advice) -> list[Line]:
    target = answer.target
    lines = [Line(0, f"Why not {target.describe()} on case {advice.case.id}?")]
    if answer.concluded:
        given = "; ".join(f"“{i.title}” ({i.id})" for i in answer.concluded)
        lines.append(Line(1, f"Concluded all the same: {given}."))
    if not answer.traces:
        if not target.rules:
            lines.append(Line(1, "No rule of this knowledge base concludes it."))
        else:
            lines.append(Line(1, "Every rule that can conclude it fired."))
        return lines
    for trace in answer.traces:
        lines += rule_lines(trace, 1, advice.rules, advice.vocabulary)
    return lines


# -- what if --------------------------------------------------------------------------------
def _change_words(advice: Advice, key: str, after: FactValue | None) -> str:
    vocab = advice.vocabulary
    before = advice.case.facts.get(key)
    if isinstance(after, list):
        after = tuple(after)
    old = fact_in_words(vocab, key, before)
    new = fact_in_words(vocab, key, after)
    label = old.split(":", 1)[0]
    return f"{label}: {old.split(': ', 1)[-1]} → {new.split(': ', 1)[-1]} [{key}]"


def what_if_lines(result: WhatIf) -> list[Line]:
    advice = result.before
    lines = [Line(0, f"What if, on case {advice.case.id}:")]
    for key, value in result.changes:
        lines.append(Line(1, _change_words(advice, key, value)))
    if not result.items:
        lines.append(Line(0, "The advice does not change."))
        return lines
    titles = {"appears": "Appears", "disappears": "Disappears", "changes": "Changes"}
    for effect in ("appears", "disappears", "changes"):
        changed = [c for c in result.items if c.effect == effect]
        if not changed:
            continue
        lines.append(Line(0, f"{titles[effect]} ({len(changed)})"))
        for change in changed:
            item = change.item
            sign = {"appears": "+", "disappears": "−", "changes": "~"}[effect]
            severity = f"[{item.severity}] " if item.severity else ""
            lines.append(Line(1, f"{sign} {severity}{item.kind} “{item.title}” ({item.id})"))
            if effect == "appears":
                facts = "; ".join(
                    fact_in_words(advice.vocabulary, k, v) for k, v in item.because.facts
                )
                lines.append(Line(2, f"because rule {item.rule}" + (f": {facts}" if facts else "")))
            elif effect == "disappears" and change.why_not is not None:
                lines += _blocking_lines(change.why_not, result.after)
            for difference in change.differences:
                lines.append(Line(2, difference))
    return lines


def _blocking_lines(answer: WhyNot, advice: Advice) -> list[Line]:
    """The conditions that now fail, in one line each (the full tree is ``why-not``)."""
    lines = []
    for trace in answer.traces:
        leaves = [leaf for leaf in trace.condition.leaves() if leaf.blocking]
        for leaf in leaves:
            lines += _node_lines(leaf, 2, advice.rules, advice.vocabulary, {})[:1]
    return lines or [Line(2, "no rule concludes it any more")]


def search_lines(search: ChangeSearch, advice: Advice) -> list[Line]:
    verb = "avoid" if search.goal == "avoid" else "obtain"
    target = search.target.describe()
    lines = [Line(0, f"To {verb} {target} on case {advice.case.id}:")]
    result = search.result
    if result.already:
        state = "is not concluded" if search.goal == "avoid" else "is already concluded"
        lines.append(Line(1, f"Nothing to change: it {state}."))
        return lines
    if not search.keys:
        lines.append(Line(1, "None of the buyer's decisions bears on it."))
        return lines
    for number, solution in enumerate(result.solutions, start=1):
        changes = "; and ".join(_change_words(advice, k, v) for k, v in solution)
        lines.append(Line(1, f"{number}. {changes}"))
    if not result.solutions:
        lines.append(Line(1, "No set of changes to the buyer's decisions found."))
    largest = max((len(s) for s in result.solutions), default=0)
    if result.complete_up_to >= result.max_size:
        reach = f"every set of up to {result.max_size} changes was tried"
    elif result.complete_up_to >= largest - 1 and len(result.solutions) >= 5:
        reach = "the search stopped at the first five answers"
    else:
        reach = (
            f"every set of up to {result.complete_up_to} change(s) was tried before the "
            "time allowed ran out"
        )
    lines.append(
        Line(
            0,
            f"Smallest first; each set is minimal; {reach}. Decisions searched: "
            + ", ".join(search.keys)
            + ".",
        )
    )
    return lines


# -- open questions -------------------------------------------------------------------------
def question_lines(questions: tuple[OpenQuestion, ...]) -> list[Line]:
    if not questions:
        return []
    lines = [
        Line(
            0,
            f"Open questions ({len(questions)}): facts not stated that could change this advice",
        )
    ]
    for question in questions:
        lines.append(Line(1, f"{question.question} ({question.label} [{question.key}])"))
        adds = [i for i in question.items if i.adds]
        removes = [i for i in question.items if i.removes]
        if adds:
            lines.append(Line(2, "could add: " + "; ".join(f"{i.title} ({i.id})" for i in adds)))
        if removes:
            lines.append(
                Line(2, "could remove: " + "; ".join(f"{i.title} ({i.id})" for i in removes))
            )
    return lines

"""Advice as terminal text: each finding and recommendation with the clauses it rests on and
its chain of reasons down to the stated facts, drawn as a tree with rich."""

from __future__ import annotations

from io import StringIO

from rich.console import Console, Group
from rich.text import Text
from rich.tree import Tree

from innoproc.explain import Advice, AdviceItem, Reason
from innoproc.ontology import Vocabulary

from .explanations import as_text, question_lines
from .registry import ExportOptions
from .words import facts_line, printable, summary_lines

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def _heading(item: AdviceItem) -> Text:
    text = Text()
    if item.kind == "finding":
        text.append(f"[{item.severity}] ", style=_SEVERITY_STYLE.get(item.severity or "", ""))
    text.append(item.title, style="bold")
    text.append(f"  {', '.join(item.clauses)}", style="magenta")
    text.append(f"  ({item.id})", style="dim")
    return text


def _add_reason(node: Tree, reason: Reason, vocab: Vocabulary) -> None:
    branch = node.add(Text.assemble(("because ", "dim"), ("rule ", "dim"), (reason.rule, "green")))
    if reason.facts:
        branch.add(Text.assemble(("facts: ", "dim"), printable(facts_line(reason, vocab))))
    for absent in reason.absent:
        branch.add(Text.assemble(("and ", "dim"), absent))
    for premise in reason.premises:
        sub = branch.add(Text.assemble((f"{premise.kind}: ", "dim"), _heading(premise)))
        _add_reason(sub, premise.because, vocab)


def _item_tree(item: AdviceItem, vocab: Vocabulary) -> Tree:
    tree = Tree(_heading(item))
    tree.add(Text(item.summary, style="italic"))
    if item.actions:
        actions = tree.add(Text("actions", style="bold"))
        for action in item.actions:
            actions.add(Text(action))
    _add_reason(tree, item.because, vocab)
    if item.alternatives:
        others = tree.add(Text("alternatives, if this course is ruled out", style="bold"))
        for other in item.alternatives:
            alternative = others.add(_heading(other))
            alternative.add(Text(other.summary, style="italic"))
            _add_reason(alternative, other.because, vocab)
    return tree


def to_text(advice: Advice, width: int = 100, color: bool = False, questions: bool = True) -> str:
    buffer = StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system=None if not color else "standard",
        highlight=False,
    )
    print_text(advice, console, questions)
    return buffer.getvalue()


def export_text(advice: Advice, options: ExportOptions) -> str:
    return to_text(advice, width=options.width, color=options.color, questions=options.questions)


def print_text(advice: Advice, console: Console, questions: bool = True) -> None:
    facts = advice.case.facts
    console.print(
        Text.assemble(
            ("Case ", "bold"),
            (printable(advice.case.id), "bold cyan"),
            f" — {printable(str(facts.get('title', '')))}",
            f" ({printable(str(facts['organisation']))})" if "organisation" in facts else "",
        )
    )
    if not advice.items:
        console.print("No findings and no recommendations: the stated facts trigger no rule.")
        return
    console.print(Text("\nIn short", style="bold underline"))
    for line in summary_lines(advice):
        console.print(Text(line))
    for label, items in (
        ("Findings", advice.findings),
        ("Recommendations", advice.recommendations),
    ):
        if items:
            console.print(Text(f"\n{label} ({len(items)})", style="bold underline"))
            console.print(Group(*(_item_tree(i, advice.vocabulary) for i in items)))
    if advice.in_place:
        console.print(Text(f"\nAlready in place ({len(advice.in_place)})", style="bold underline"))
        for item in advice.in_place:
            console.print(
                Text.assemble("✓ ", (item.title, "bold"), f" ({item.id}): ", item.summary)
            )
    if questions and advice.open_questions:
        lines = question_lines(advice.open_questions)
        console.print(Text(f"\n{lines[0].text}", style="bold underline"))
        console.print(Text(as_text(lines[1:]), end=""))

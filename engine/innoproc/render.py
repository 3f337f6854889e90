"""Render advice for people (text, Markdown) and programs (JSON).

Every renderer shows the same thing: each finding and recommendation with the clauses it rests on
and its chain of reasons down to the stated facts. The Turtle export with PROV-O provenance is in
:mod:`innoproc.provenance`.
"""

from __future__ import annotations

import json
from io import StringIO

from rich.console import Console, Group
from rich.text import Text
from rich.tree import Tree

from .advice import Advice, AdviceItem, Reason
from .rulemodel import FactValue
from .vocabulary import vocabulary

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def show_value(value: FactValue | None) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return str(value)


def _facts_line(reason: Reason) -> str:
    return ", ".join(f"{key} = {show_value(value)}" for key, value in reason.facts)


# -- JSON --------------------------------------------------------------------------------
def to_json(advice: Advice) -> str:
    return json.dumps(advice.to_dict(), indent=2, ensure_ascii=False)


# -- text (rich) -------------------------------------------------------------------------
def _heading(item: AdviceItem) -> Text:
    text = Text()
    if item.kind == "finding":
        text.append(f"[{item.severity}] ", style=_SEVERITY_STYLE.get(item.severity or "", ""))
    text.append(item.title, style="bold")
    text.append(f"  {', '.join(item.clauses)}", style="magenta")
    text.append(f"  ({item.id})", style="dim")
    return text


def _add_reason(node: Tree, reason: Reason) -> None:
    branch = node.add(Text.assemble(("because ", "dim"), ("rule ", "dim"), (reason.rule, "green")))
    if reason.facts:
        branch.add(Text.assemble(("facts: ", "dim"), _facts_line(reason)))
    for absent in reason.absent:
        branch.add(Text.assemble(("and ", "dim"), absent))
    for premise in reason.premises:
        sub = branch.add(Text.assemble((f"{premise.kind}: ", "dim"), _heading(premise)))
        _add_reason(sub, premise.because)


def _item_tree(item: AdviceItem) -> Tree:
    tree = Tree(_heading(item))
    tree.add(Text(item.summary, style="italic"))
    if item.actions:
        actions = tree.add(Text("actions", style="bold"))
        for action in item.actions:
            actions.add(Text(action))
    _add_reason(tree, item.because)
    return tree


def to_text(advice: Advice, width: int = 100, color: bool = False) -> str:
    buffer = StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system=None if not color else "standard",
        highlight=False,
    )
    print_text(advice, console)
    return buffer.getvalue()


def print_text(advice: Advice, console: Console) -> None:
    facts = advice.case.facts
    console.print(
        Text.assemble(
            ("Case ", "bold"),
            (advice.case.id, "bold cyan"),
            f" — {facts.get('title', '')}",
            f" ({facts['organisation']})" if "organisation" in facts else "",
        )
    )
    if not advice.items:
        console.print("No findings and no recommendations: the stated facts trigger no rule.")
        return
    for label, items in (
        ("Findings", advice.findings),
        ("Recommendations", advice.recommendations),
    ):
        if items:
            console.print(Text(f"\n{label} ({len(items)})", style="bold underline"))
            console.print(Group(*(_item_tree(i) for i in items)))


# -- Markdown ----------------------------------------------------------------------------
def _md_reason(reason: Reason, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [
        f"{pad}- because rule `{reason.rule}`"
        + (f" read {_facts_line(reason)}" if reason.facts else "")
    ]
    lines += [f"{pad}  - and {absent}" for absent in reason.absent]
    for premise in reason.premises:
        lines.append(
            f"{pad}  - {premise.kind} **{premise.title}** ({', '.join(premise.clauses)}, "
            f"`{premise.id}`)"
        )
        lines += _md_reason(premise.because, depth + 2)
    return lines


def to_markdown(advice: Advice) -> str:
    vocab = vocabulary()
    facts = advice.case.facts
    out = [f"# Advice for {advice.case.id}", ""]
    if "title" in facts:
        out += [
            f"{facts['title']}"
            + (f" ({facts['organisation']})" if "organisation" in facts else ""),
            "",
        ]
    if not advice.items:
        out.append("No findings and no recommendations: the stated facts trigger no rule.")
    for label, items in (
        ("Findings", advice.findings),
        ("Recommendations", advice.recommendations),
    ):
        if not items:
            continue
        out += [f"## {label}", ""]
        for item in items:
            severity = f" — severity {item.severity}" if item.severity else ""
            clauses = "; ".join(f"{c} ({vocab.clause_title(c)})" for c in item.clauses)
            out += [
                f"### {item.title}",
                "",
                f"`{item.id}` · rests on {clauses}{severity}",
                "",
                item.summary,
                "",
            ]
            if item.actions:
                out += ["Actions:", ""] + [f"1. {a}" for a in item.actions] + [""]
            out += ["Reasons:", ""] + _md_reason(item.because, 0) + [""]
    out.append(f"_Knowledge base {advice.kb_fingerprint}._")
    return "\n".join(out) + "\n"

"""Advice as a Markdown report: items with the titles of the clauses they rest on, and their
chain of reasons as nested lists."""

from __future__ import annotations

from innoproc.explain import Advice, Reason
from innoproc.ontology import Vocabulary

from .explanations import as_markdown, question_lines
from .registry import ExportOptions
from .words import facts_line, markdown_text, summary_lines


def _md_reason(reason: Reason, depth: int, vocab: Vocabulary) -> list[str]:
    pad = "  " * depth
    lines = [
        f"{pad}- because rule `{reason.rule}`"
        + (f" read {markdown_text(facts_line(reason, vocab))}" if reason.facts else "")
    ]
    lines += [f"{pad}  - and {absent}" for absent in reason.absent]
    for premise in reason.premises:
        lines.append(
            f"{pad}  - {premise.kind} **{premise.title}** ({', '.join(premise.clauses)}, "
            f"`{premise.id}`)"
        )
        lines += _md_reason(premise.because, depth + 2, vocab)
    return lines


def to_markdown(advice: Advice, questions: bool = True) -> str:
    vocab = advice.vocabulary
    facts = advice.case.facts
    out = [f"# Advice for {markdown_text(advice.case.id)}", ""]
    if "title" in facts:
        out += [
            markdown_text(str(facts["title"]), line_start=True)
            + (
                f" ({markdown_text(str(facts['organisation']))})" if "organisation" in facts else ""
            ),
            "",
        ]
    if not advice.items:
        out.append("No findings and no recommendations: the stated facts trigger no rule.")
    else:
        first, *ranked = summary_lines(advice)
        out += ["## In short", "", first, ""] + ranked + ([""] if ranked else [])
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
            out += ["Reasons:", ""] + _md_reason(item.because, 0, vocab) + [""]
            if item.alternatives:
                out += ["Alternatives, if this course is ruled out:", ""]
                for other in item.alternatives:
                    out += [f"- **{other.title}** (`{other.id}`): {other.summary}"]
                    out += _md_reason(other.because, 1, vocab)
                out += [""]
    if advice.in_place:
        out += ["## Already in place", ""]
        out += [f"- **{item.title}** (`{item.id}`): {item.summary}" for item in advice.in_place]
        out += [""]
    if questions and advice.open_questions:
        out += ["## Open questions", "", as_markdown(question_lines(advice.open_questions))]
    out.append(f"_Knowledge base {advice.kb_fingerprint}._")
    return "\n".join(out) + "\n"


def export_markdown(advice: Advice, options: ExportOptions) -> str:
    return to_markdown(advice, options.questions)

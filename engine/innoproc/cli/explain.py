"""``innoproc explain``, ``why-not`` and ``what-if``: the questions asked of advice after "what?".

All three read the case as ``advise`` does and answer from the same rules with the same
semantics; the words come from :mod:`innoproc.export.explanations`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import INPUT_ERROR, KbOption, app, err, guarded, load_kb

if TYPE_CHECKING:
    from innoproc.explain import Advice


class ExplanationFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


FormatOption = Annotated[ExplanationFormat, typer.Option("--format", "-f", help="Output format.")]
CaseArgument = Annotated[Path, typer.Argument(help="A case file (YAML, JSON or RDF).")]
IdArgument = Annotated[
    str, typer.Argument(help="An item (conclusion) id, a rule id or a clause id such as REC-2.")
]


def _advice(case: Path, kb: Path | None) -> Advice:
    knowledge = load_kb(kb)
    return knowledge.advise(knowledge.load_case(case))


def _emit(fmt: ExplanationFormat, lines: list[Any], data: dict[str, Any]) -> None:
    from innoproc.export.explanations import as_markdown, as_text

    if fmt is ExplanationFormat.json:
        import json

        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt is ExplanationFormat.markdown:
        print(as_markdown(lines), end="")
    else:
        print(as_text(lines), end="")


@app.command()
@guarded
def explain(
    case: CaseArgument,
    item: Annotated[str, typer.Argument(help="The id of a concluded item, or of its rule.")],
    fmt: FormatOption = ExplanationFormat.text,
    kb: KbOption = None,
) -> None:
    """Why an item was concluded: its full chain down to the facts, each fact with the file and
    line that states it, each rule with its clauses and rationale."""
    from innoproc.export.explanations import explanation_lines

    advice = _advice(case, kb)
    explanation = advice.explain(item)
    _emit(fmt, explanation_lines(explanation, advice), explanation.to_dict())


@app.command("why-not")
@guarded
def why_not(
    case: CaseArgument,
    target: IdArgument,
    fmt: FormatOption = ExplanationFormat.text,
    kb: KbOption = None,
) -> None:
    """Why something was not concluded: for each rule that could conclude it, which conditions
    held (✓), failed (✗, with the values that would pass) or could not be decided (?)."""
    from innoproc.export.explanations import why_not_lines

    advice = _advice(case, kb)
    answer = advice.why_not(target)
    _emit(fmt, why_not_lines(answer, advice), answer.to_dict())


@app.command("what-if")
@guarded
def what_if(
    case: CaseArgument,
    changes: Annotated[
        list[str] | None,
        typer.Argument(
            help="Changes as key=value (YAML values: a list as [a, b]); key=unknown unstates it.",
            show_default=False,
        ),
    ] = None,
    to_avoid: Annotated[
        str | None,
        typer.Option("--to-avoid", help="Find the smallest changes that avoid this id."),
    ] = None,
    to_obtain: Annotated[
        str | None,
        typer.Option("--to-obtain", help="Find the smallest changes that obtain this id."),
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            min=0.01,
            max=600,
            help="Seconds the search for changes may take (it reports how far it got).",
        ),
    ] = 1.5,
    fmt: FormatOption = ExplanationFormat.text,
    kb: KbOption = None,
) -> None:
    """Re-run a case with changed facts and show what appears, disappears or changes; or search
    the buyer's decisions for the smallest changes that avoid or obtain an item."""
    from innoproc.export.explanations import search_lines, what_if_lines

    given = [x for x in (changes or [], to_avoid, to_obtain) if x]
    if len(given) != 1:
        err(
            "innoproc what-if: found "
            + ("nothing to do" if not given else "more than one request")
            + "; allowed: key=value changes, or --to-avoid ID, or --to-obtain ID"
        )
        raise typer.Exit(INPUT_ERROR)
    advice = _advice(case, kb)
    if changes:
        result = advice.what_if(parse_changes(changes, advice))
        _emit(fmt, what_if_lines(result), result.to_dict())
        return
    goal, target = ("avoid", to_avoid) if to_avoid else ("obtain", to_obtain)
    assert target is not None
    search = advice.search_changes(target, goal, time_limit)  # type: ignore[arg-type]
    _emit(fmt, search_lines(search, advice), search.to_dict())


def parse_changes(given: list[str], advice: Advice) -> dict[str, Any]:
    """``key=value`` arguments as a mapping; values are read as YAML scalars or flow lists,
    ``unknown`` unstates the fact. Every malformed argument is reported, then exit 2."""
    from innoproc.errors import InputError, Problem, did_you_mean
    from innoproc.reading.yaml_lines import YamlSyntaxError, load_yaml

    keys = list(advice.vocabulary.keys)
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    for argument in given:
        key, sep, text = argument.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(
                Problem(
                    "what-if",
                    f"found {argument!r}; allowed: key=value (for example award_basis=best-value)",
                    code="explain/change",
                )
            )
            continue
        if key not in advice.vocabulary.keys:
            problems.append(
                Problem(
                    "what-if",
                    f"found key {key!r}; allowed: a case-form key{did_you_mean(key, keys)}",
                    key=key,
                    code="explain/change",
                )
            )
            continue
        if text.strip() == "unknown":
            changes[key] = None
            continue
        try:
            data, _ = load_yaml(f"value: {text}\n", "what-if")
        except YamlSyntaxError:
            problems.append(
                Problem(
                    "what-if",
                    f"found {text!r}; allowed: one value (a word, a number, true or false) "
                    "or a list written [a, b]",
                    key=key,
                    code="explain/change",
                )
            )
            continue
        changes[key] = data["value"] if isinstance(data, dict) else text
    if changes:  # the values are checked as the case form checks them, with the key errors
        from innoproc.errors import CaseError
        from innoproc.explain.what_if import changed_mapping

        try:
            advice.knowledge_base.load_case(changed_mapping(advice, changes))
        except CaseError as exc:
            from dataclasses import replace

            problems.extend(replace(p, source="what-if", line=None) for p in exc.problems)
    if problems:
        raise InputError(problems)
    return changes

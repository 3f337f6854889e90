"""``innoproc interview``: build a case by answering only the questions that can change the advice.

A thin terminal front end on :class:`innoproc.explain.interview.Interview`: it asks with
arrow-key choice lists (questionary) when both standard input and output are a terminal, and
reads typed answers line by line otherwise; ``--answers FILE`` takes the answers from a YAML
file instead (a key the file leaves out is answered "I don't know"; its ``id`` names a new
case, since the id is never a question). After each answer it shows
which findings and recommendations that answer settled; it stops when the advice is settled or
when asked to (the "stop" choice, ``q``, or the end of the input), saves the case in the case
form and prints the advice. Ctrl-C saves what was answered first, then ends with one line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from innoproc.entry import on_interrupt

from .app import INPUT_ERROR, KbOption, app, err, guarded, load_kb

if TYPE_CHECKING:
    from innoproc.explain.interview import Interview, Progress, Question
    from innoproc.ontology import FactValue

#: what a typed reply or a menu choice can mean besides an answer (questionary takes a choice
#: whose value is None to mean its title, hence a marker for "I don't know" too)
_STOP = object()
_UNKNOWN = object()
_STOP_WORDS = frozenset({"q", "quit", "stop"})


@app.command()
@guarded
def interview(
    case: Annotated[
        Path | None,
        typer.Argument(help="A partial case to start from (YAML, JSON or RDF); none: a new case."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to save the case (YAML). Default: <id>.yaml here, never overwriting.",
            show_default=False,
        ),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help="Answer from this YAML file (key: value) instead of the terminal; a key it "
            "leaves out is answered 'unknown'.",
            show_default=False,
        ),
    ] = None,
    kb: KbOption = None,
) -> None:
    """Ask, one at a time, only the questions whose answer can still change the advice.

    The most decisive question comes first; "unknown" is always an answer. The case is saved
    (a comment header says when and how it was made) and the advice printed at the end.
    """
    from innoproc.explain.interview import Interview

    knowledge = load_kb(kb)
    given = _read_answers(answers) if answers is not None else None
    start: Any = knowledge.load_case(case) if case is not None else None
    if start is None and given is not None and isinstance(given.get("id"), str):
        start = {"id": given["id"]}  # the answers name the case: it is never a question
    session = Interview(start, kb=knowledge)
    if given is not None and answers is not None:
        _check_keys(given, answers, session)
    target = output if output is not None else _default_output(session.loaded.id, case)

    def save() -> str:
        session.save(target)
        return f"the answers so far are saved in {target}"

    ask: Callable[[Question], Any]
    if given is not None:
        ask = _from_file(given)
    elif sys.stdin.isatty() and sys.stdout.isatty():
        ask = _arrow_keys
    else:
        ask = _typed
    with on_interrupt(save):
        stopped = _run(session, ask, bad_answer_ends=given is not None)
    session.save(target)
    print(f"\nThe case is saved in {target}.")
    if stopped:
        print("The interview was stopped before the advice was settled.")
    _print_advice(session)


def _run(session: Interview, ask: Callable[[Question], Any], bad_answer_ends: bool) -> bool:
    """Ask until settled; True if stopped on request first."""
    from innoproc.errors import CaseError

    number = 0
    while (question := session.next_question()) is not None:
        number += 1
        _show(question, number)
        while True:
            reply = ask(question)
            if reply is _STOP:
                return True
            try:
                progress = session.answer(question.key, reply)
            except CaseError as exc:
                if bad_answer_ends:
                    raise
                for problem in exc.problems:
                    print(f"  not accepted: {problem.message}")
                continue
            break
        _show_progress(progress)
    print("\nThe advice is settled: no answer left unknown can change it.")
    return False


# -- showing -------------------------------------------------------------------------------------
def _show(question: Question, number: int) -> None:
    print(f"\n{number}. {question.label} ({question.key})", flush=True)
    if question.reasons:
        print("   asked because the answer can still decide:")
        for item in question.reasons:
            print(f"   - {item.title} ({item.id})")


def _show_progress(progress: Progress) -> None:
    value = progress.answer.value
    shown = "unknown" if value is None else _words(value)
    print(f"   answer: {shown}")
    for item in progress.concluded:
        print(f"   settled, in the advice: {item.title} ({item.id})")
    for item in progress.ruled_out:
        print(f"   settled, not in the advice: {item.title} ({item.id})")


def _words(value: FactValue) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "none"
    return str(value)


def _print_advice(session: Interview) -> None:
    from rich.console import Console

    from innoproc.export import ExportOptions, export

    terminal = Console()
    options = ExportOptions(color=terminal.is_terminal, width=terminal.width)
    print()
    print(export(session.advice, "text", options), end="")


# -- asking --------------------------------------------------------------------------------------
def _arrow_keys(question: Question) -> Any:
    """A choice list moved with the arrow keys (a checkbox list for a list key); a typed
    answer for a number or text."""
    import questionary

    unknown = questionary.Choice("I don't know", value=_UNKNOWN, description="Leave it unknown.")
    stop = questionary.Choice("Stop here", value=_STOP, description="Save the case and advise.")
    if question.multi:
        choices = [
            questionary.Choice(c.label, value=c.value, description=c.help) for c in question.choices
        ]
        picked = questionary.checkbox(
            question.text,
            choices=[*choices, unknown, stop],
            instruction="(space to tick, enter to confirm"
            + (", nothing ticked: none)" if question.allows_empty else ")"),
        ).unsafe_ask()
        if _STOP in picked:
            return _STOP
        if _UNKNOWN in picked:
            return None
        return tuple(picked)
    if question.choices:
        chosen = questionary.select(
            question.text,
            choices=[
                *(
                    questionary.Choice(c.label, value=c.value, description=c.help)
                    for c in question.choices
                ),
                unknown,
                stop,
            ],
        ).unsafe_ask()
        return None if chosen is _UNKNOWN else chosen
    reply = questionary.text(
        f"{question.text} ({question.allowed}; empty: I don't know; q: stop)"
    ).unsafe_ask()
    return _STOP if reply.strip().lower() in _STOP_WORDS else question.read(reply)


def _typed(question: Question) -> Any:
    """A typed answer, one line from standard input: a value, its label or its number in the
    list; empty or ``?`` for "I don't know"; ``q`` or the end of the input to stop."""
    print(f"   {question.text}")
    for index, choice in enumerate(question.choices, 1):
        print(f"     {index}. {choice.label} [{_words(choice.value)}]: {choice.help}")
    hint = "numbers or values, separated by commas" if question.multi else question.allowed
    print(f"   ({hint}; empty or ?: I don't know; q: stop)")
    print("   > ", end="", flush=True)
    line = sys.stdin.readline()
    if not line or line.strip().lower() in _STOP_WORDS:
        return _STOP
    reply = line.strip()
    if question.choices:
        parts = [p.strip() for p in reply.split(",")] if question.multi else [reply]
        if all(p.isdigit() and 1 <= int(p) <= len(question.choices) for p in parts):
            values = [question.choices[int(p) - 1].value for p in parts]
            return tuple(str(v) for v in values) if question.multi else values[0]
    return question.read(reply)


def _from_file(given: Mapping[str, Any]) -> Callable[[Question], Any]:
    def ask(question: Question) -> Any:
        value = given.get(question.key)
        print(f"   {question.text}")
        return tuple(value) if isinstance(value, list) else value

    return ask


# -- files ---------------------------------------------------------------------------------------
def _read_answers(path: Path) -> Mapping[str, Any]:
    """The answers file: a YAML mapping of case-form keys to values, read under the reading
    policy (line numbers kept for messages)."""
    from innoproc.errors import InputError, Problem
    from innoproc.reading.files import read_text
    from innoproc.reading.yaml_lines import YamlSyntaxError, load_yaml

    try:
        data, problems = load_yaml(read_text(path), str(path))
    except YamlSyntaxError as exc:
        raise InputError(exc.problems) from None
    if problems:
        raise InputError(problems)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InputError(
            [
                Problem(
                    str(path),
                    "found no mapping at the top level; expected key: value answers",
                    code="case/top-level",
                )
            ]
        )
    return data


def _check_keys(given: Mapping[str, Any], path: Path, session: Interview) -> None:
    """Every key of the answers file must be a key of the case form, and every value one the
    form accepts: checked at once, before any question, with the file's lines."""
    from innoproc.errors import CaseError, Problem

    lines: Mapping[str, int] = getattr(given, "key_lines", {})
    answered = {k: v for k, v in given.items() if v is not None and v != "unknown"}
    try:
        session.kb.load_case({**session.case, **answered})
    except CaseError as exc:
        for problem in exc.problems:
            err(
                str(
                    Problem(
                        str(path),
                        problem.message,
                        lines.get(problem.key or ""),
                        problem.key,
                        code=problem.code,
                    )
                )
            )
        raise typer.Exit(INPUT_ERROR) from None


def _default_output(case_id: str, given: Path | None) -> Path:
    """``<id>.yaml`` in the current folder, or ``<id>-1.yaml`` ... if that file exists (the
    case started from included): a default never overwrites a file."""
    candidate = Path(f"{case_id}.yaml")
    number = 0
    while candidate.exists() or (given is not None and candidate.resolve() == given.resolve()):
        number += 1
        candidate = Path(f"{case_id}-{number}.yaml")
    return candidate

"""``innoproc validate`` and ``innoproc advise``: check case files, advise on a case."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from innoproc.export.registry import formats

from .app import INPUT_ERROR, EngineOption, KbOption, app, err, guarded, load_kb

#: the export formats, as registered (text, json, markdown, turtle ...)
Format = StrEnum("Format", [(f.name, f.name) for f in formats()])  # type: ignore[misc]
TEXT = Format("text")


@app.command()
@guarded
def validate(
    cases: Annotated[list[Path], typer.Argument(help="Case files (YAML, JSON or RDF).")],
) -> None:
    """Check case files against the case form; exit 0 when all conform, 2 otherwise."""
    from innoproc.case import load_case
    from innoproc.errors import CaseError

    failed = 0
    for path in cases:
        try:
            load_case(path)
        except CaseError as exc:
            failed += 1
            for problem in exc.problems:
                err(str(problem))
        else:
            print(f"{path}: ok")
    if failed:
        err(f"{failed} of {len(cases)} case file(s) do not conform")
        raise typer.Exit(INPUT_ERROR)


@app.command()
@guarded
def advise(
    cases: Annotated[
        list[Path],
        typer.Argument(help="Case files (YAML, JSON or RDF), or folders of them."),
    ],
    fmt: Annotated[
        Format,
        typer.Option("--format", "-f", help="Output format."),
    ] = TEXT,
    kb: KbOption = None,
    no_questions: Annotated[
        bool,
        typer.Option(
            "--no-questions",
            help="Leave out the open questions (faster on large batches).",
        ),
    ] = False,
    engine: EngineOption = "experta",
) -> None:
    """Advise on cases: findings and recommendations, each with its chain of reasons, and the
    open questions: facts not stated that could change the advice.

    One case is shown in full; several (or a folder) as one line each in text, one JSON
    document per line with --format jsonl, a JSON array with json, one report after another in
    markdown, one graph in turtle. Cases that do not conform are reported and skipped; the
    exit status is then 2.
    """
    from rich.console import Console

    from innoproc.errors import CaseError
    from innoproc.export import ExportOptions, export

    knowledge = load_kb(kb, engine)
    paths = case_paths(cases)
    terminal = Console()
    options = ExportOptions(
        color=terminal.is_terminal, width=terminal.width, questions=not no_questions
    )
    if len(paths) == 1 and paths == cases:
        print(export(knowledge.advise(knowledge.load_case(paths[0])), fmt.value, options), end="")
        return
    advices = []
    failed = 0
    for path in paths:
        try:
            advices.append(knowledge.advise(knowledge.load_case(path)))
        except CaseError as exc:
            failed += 1
            for problem in exc.problems:
                err(str(problem))
    print(_many(advices, fmt.value, options), end="")
    if failed:
        err(f"{failed} of {len(paths)} case file(s) do not conform and were skipped")
        raise typer.Exit(INPUT_ERROR)


#: file suffixes taken from a folder of cases
CASE_SUFFIXES = (".yaml", ".yml", ".json", ".ttl", ".jsonld", ".nt", ".rdf", ".n3")


def case_paths(given: list[Path]) -> list[Path]:
    """The case files named, with each folder replaced by the case files in it."""
    found: list[Path] = []
    for path in given:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in CASE_SUFFIXES and p.is_file())
        else:
            found.append(path)
    return found


def _many(advices: list[Any], fmt: str, options: Any) -> str:
    from innoproc.export import export

    if fmt == "text":
        return _summary_table(advices, options)
    if fmt == "json":
        import json

        data = [a.to_dict(options.questions) for a in advices]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "turtle":
        from rdflib import Graph

        from innoproc.export.provenance import advice_graph

        union = Graph()
        for advice in advices:
            union += advice_graph(advice)
            for prefix, namespace in advice_graph(advice).namespaces():
                union.bind(prefix, namespace)
        return str(union.serialize(format="turtle"))
    separator = "\n---\n\n" if fmt == "markdown" else ""
    return separator.join(export(a, fmt, options) for a in advices)


def _summary_table(advices: list[Any], options: Any) -> str:
    """One line per case: its findings by severity, its recommendations and the first of them."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    from innoproc.export.words import printable

    table = Table("case", "findings (high/medium/low)", "recommendations", "first recommendation")
    for advice in advices:
        counts = [
            sum(1 for f in advice.findings if f.severity == s) for s in ("high", "medium", "low")
        ]
        first = advice.recommendations[0].title if advice.recommendations else ""
        table.add_row(
            printable(advice.case.id),
            "/".join(map(str, counts)),
            str(len(advice.recommendations)),
            first,
        )
    buffer = StringIO()
    Console(file=buffer, width=max(options.width, 120), force_terminal=options.color).print(table)
    return buffer.getvalue()

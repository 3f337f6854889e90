"""``innoproc query``: SPARQL over the case library, from a file, a text or a saved query."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .app import INPUT_ERROR, app, err, guarded
from .store import StoreOption, opened

if TYPE_CHECKING:
    from innoproc.store.queries import Parameter


class ResultFormat(StrEnum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    turtle = "turtle"


@app.command()
@guarded
def query(
    source: Annotated[
        str | None,
        typer.Argument(help="A .rq file, or the name of a saved query (see --list)."),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--query", "-q", help="The SPARQL query itself.")
    ] = None,
    params: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="name=value: fix the query's ?name to this value (repeatable)."
        ),
    ] = None,
    fmt: Annotated[
        ResultFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ResultFormat.table,
    list_saved: Annotated[
        bool, typer.Option("--list", help="List the saved queries with their parameters.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """Run a SPARQL SELECT, ASK, CONSTRUCT or DESCRIBE query on the store (updates are refused).

    The default graph is the union of every case, advice, rule and ontology graph.
    """
    from rich.console import Console

    from innoproc.store.queries import find_saved, parse_params, read_saved, run_query
    from innoproc.store.results import render

    if list_saved:
        _list()
        return
    if (source is None) == (text is None):
        err("innoproc query: give a .rq file or saved query name, or --query TEXT (one of them)")
        raise typer.Exit(INPUT_ERROR)
    declared: tuple[Parameter, ...] = ()
    if text is None:
        assert source is not None
        path = Path(source)
        saved = read_saved(path) if path.suffix == ".rq" and path.is_file() else None
        if saved is None:
            if path.suffix == ".rq":
                err(f"{source}: no such file")
                raise typer.Exit(INPUT_ERROR)
            saved = find_saved(source)
        text, declared = saved.text, saved.parameters
    bindings = parse_params(params or [], declared)
    with opened(store) as target:
        result = run_query(target, text, bindings)
    terminal = Console()
    print(render(result, fmt.value, terminal.width, terminal.is_terminal), end="")


def _list() -> None:
    from innoproc.store.queries import saved_queries

    for saved in saved_queries():
        print(f"{saved.name}: {saved.title}")
        if saved.description:
            print(f"    {saved.description}")
        for param in saved.parameters:
            print(f"    --param {param.name}=... ({param.kind}) {param.description}")

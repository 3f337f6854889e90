"""Query results as a table, CSV, TSV, SPARQL JSON or Turtle, from the store-neutral rows."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .protocol import QueryResult, Rows, Term, Triples
from .queries import PREFIXES, QueryError

FORMATS = ("table", "csv", "tsv", "json", "turtle")


def render(result: QueryResult, fmt: str, width: int = 120, color: bool = False) -> str:
    """``result`` in format ``fmt``; Turtle is for CONSTRUCT and DESCRIBE only."""
    if fmt == "turtle":
        if not isinstance(result, Triples):
            raise QueryError(
                "--format turtle is for CONSTRUCT and DESCRIBE queries; use table, csv, tsv "
                "or json for SELECT and ASK"
            )
        return _turtle(result)
    if fmt == "json":
        return json.dumps(_json(result), ensure_ascii=False, indent=1) + "\n"
    if isinstance(result, bool):
        return ("true" if result else "false") + "\n"
    rows = _as_rows(result)
    if fmt in ("csv", "tsv"):
        return _delimited(rows, fmt)
    return _table(rows, width, color)


def _as_rows(result: Rows | Triples) -> Rows:
    if isinstance(result, Rows):
        return result
    return Rows(("subject", "predicate", "object"), tuple(tuple(t) for t in result.triples))


def short(term: Term | None) -> str:
    """A term as a person reads it: prefixed IRIs, literals as their text."""
    if term is None:
        return ""
    if term.kind == "iri":
        for prefix, namespace in PREFIXES.items():
            if term.value.startswith(namespace) and len(term.value) > len(namespace):
                return f"{prefix}:{term.value[len(namespace) :]}"
        return term.value
    return str(term)


def _table(rows: Rows, width: int, color: bool) -> str:
    from rich.console import Console
    from rich.table import Table

    from innoproc.export.words import printable

    table = Table()
    for variable in rows.variables:
        table.add_column(variable, overflow="fold")
    for row in rows.rows:
        table.add_row(*(printable(short(t)) for t in row))
    buffer = io.StringIO()
    Console(file=buffer, width=max(width, 80), force_terminal=color).print(table)
    return buffer.getvalue() + f"{len(rows.rows)} row(s)\n"


def _delimited(rows: Rows, fmt: str) -> str:
    buffer = io.StringIO()
    if fmt == "csv":  # SPARQL 1.1 CSV: plain values
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(rows.variables)
        for row in rows.rows:
            writer.writerow(["" if t is None else str(t) if t.kind != "bnode" else "_:" + t.value
                             for t in row])  # fmt: skip
        return buffer.getvalue()
    # SPARQL 1.1 TSV: terms in their SPARQL syntax, a header of ?variables
    lines = ["\t".join("?" + v for v in rows.variables)]
    lines += ["\t".join("" if t is None else t.n3() for t in row) for row in rows.rows]
    return "\n".join(lines) + "\n"


def _json_term(term: Term) -> dict[str, str]:
    if term.kind == "iri":
        return {"type": "uri", "value": term.value}
    if term.kind == "bnode":
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype != PREFIXES["xsd"] + "string":
        out["datatype"] = term.datatype
    return out


def _json(result: QueryResult) -> dict[str, Any]:
    """SPARQL 1.1 Query Results JSON (triples of CONSTRUCT as s/p/o bindings)."""
    if isinstance(result, bool):
        return {"head": {}, "boolean": result}
    rows = _as_rows(result)
    return {
        "head": {"vars": list(rows.variables)},
        "results": {
            "bindings": [
                {v: _json_term(t) for v, t in zip(rows.variables, row, strict=True) if t}
                for row in rows.rows
            ]
        },
    }


def _turtle(result: Triples) -> str:
    from rdflib import Graph

    text = "\n".join(" ".join(t.n3() for t in triple) + " ." for triple in result.triples)
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.parse(data=text, format="nt")
    return str(graph.serialize(format="turtle"))

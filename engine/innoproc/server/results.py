"""Query results in the formats of the SPARQL 1.1 Protocol, chosen by content negotiation.

SELECT and ASK answer SPARQL JSON, SPARQL XML, CSV or TSV; CONSTRUCT and DESCRIBE answer Turtle,
N-Triples or RDF/XML. The writers work on the store-neutral rows of
:mod:`innoproc.store.protocol`, so an embedded store and a remote one answer byte for byte alike.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from innoproc.store.protocol import XSD_STRING, QueryResult, Rows, Term, Triples
from innoproc.store.queries import PREFIXES  # the prefixes of the library, one list

from .errors import Refused


@dataclass(frozen=True)
class ResultFormat:
    """One answer format: its short name (``?format=``), media type and the aliases it answers."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()


SOLUTION_FORMATS = (
    ResultFormat(
        "json",
        "application/sparql-results+json",
        ("application/json", "text/javascript", "application/javascript"),
    ),
    ResultFormat("xml", "application/sparql-results+xml", ("application/xml", "text/xml")),
    ResultFormat("csv", "text/csv"),
    ResultFormat("tsv", "text/tab-separated-values"),
)
BOOLEAN_FORMATS = SOLUTION_FORMATS[:2]
GRAPH_FORMATS = (
    ResultFormat("turtle", "text/turtle", ("application/turtle", "application/x-turtle")),
    ResultFormat("ntriples", "application/n-triples", ("text/plain",)),
    ResultFormat("rdfxml", "application/rdf+xml", ("application/xml", "text/xml")),
)


def formats_for(form: str) -> tuple[ResultFormat, ...]:
    if form == "ASK":
        return BOOLEAN_FORMATS
    return SOLUTION_FORMATS if form == "SELECT" else GRAPH_FORMATS


def negotiate(form: str, accept: str | None, named: str | None = None) -> ResultFormat:
    """The format to answer a query of ``form`` in: ``named`` (the ``format`` parameter) if
    given, else the acceptable one the client prefers (``Accept``), else the first one."""
    offered = formats_for(form)
    allowed = ", ".join(f"{f.name} ({f.media_type})" for f in offered)
    if named:
        for fmt in offered:
            if named.strip().lower() in (fmt.name, fmt.media_type):
                return fmt
        raise Refused(
            406,
            "server/not-acceptable",
            f"format={named!r} cannot answer a {form} query; allowed: {allowed}",
        )
    wanted = _accepted(accept or "*/*")
    best: tuple[float, int, ResultFormat] | None = None
    for rank, fmt in enumerate(offered):
        quality = max((q for pattern, q in wanted if _matches(pattern, fmt)), default=0.0)
        if quality > 0 and (best is None or (quality, -rank) > (best[0], best[1])):
            best = (quality, -rank, fmt)
    if best is None:
        raise Refused(
            406,
            "server/not-acceptable",
            f"no format the request accepts ({(accept or '')[:120]!r}) can answer a {form} "
            f"query; allowed: {allowed}",
        )
    return best[2]


def _accepted(header: str) -> list[tuple[str, float]]:
    """``Accept`` as (media range, quality) pairs; a malformed quality counts as 1."""
    pairs = []
    for part in header.split(",")[:64]:
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 1.0
        if media:
            pairs.append((media.lower(), quality))
    return pairs


def _matches(pattern: str, fmt: ResultFormat) -> bool:
    if pattern in ("*/*", "*"):
        return True
    types = (fmt.media_type, *fmt.aliases)
    if pattern.endswith("/*"):
        return any(t.startswith(pattern[:-1]) for t in types)
    return pattern in types


def write(result: QueryResult, fmt: ResultFormat) -> bytes:
    """``result`` as the bytes of ``fmt``."""
    if isinstance(result, bool):
        if fmt.name == "xml":
            return _xml_boolean(result)
        return json.dumps({"head": {}, "boolean": result}).encode()
    if isinstance(result, Triples):
        return _graph(result, fmt.name)
    if fmt.name == "json":
        return _json(result)
    if fmt.name == "xml":
        return _xml(result)
    return _delimited(result, fmt.name)


def _json(rows: Rows) -> bytes:
    bindings = [
        {var: _json_term(term) for var, term in zip(rows.variables, row, strict=True) if term}
        for row in rows.rows
    ]
    document = {"head": {"vars": list(rows.variables)}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False).encode()


def _json_term(term: Term) -> dict[str, str]:
    if term.kind == "iri":
        return {"type": "uri", "value": term.value}
    if term.kind == "bnode":
        return {"type": "bnode", "value": term.value}
    if term.kind == "triple":
        return {"type": "literal", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype != XSD_STRING:
        out["datatype"] = term.datatype
    return out


_XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'


def _xml_boolean(value: bool) -> bytes:
    return (_XML_HEAD + f"<head/>\n<boolean>{str(value).lower()}</boolean>\n</sparql>\n").encode()


def _xml(rows: Rows) -> bytes:
    out = [_XML_HEAD, "<head>"]
    out += [f"<variable name={quoteattr(v)}/>" for v in rows.variables]
    out.append("</head>\n<results>\n")
    for row in rows.rows:
        out.append("<result>")
        for var, term in zip(rows.variables, row, strict=True):
            if term is not None:
                out.append(f"<binding name={quoteattr(var)}>{_xml_term(term)}</binding>")
        out.append("</result>\n")
    out.append("</results>\n</sparql>\n")
    return "".join(out).encode()


def _xml_term(term: Term) -> str:
    if term.kind == "iri":
        return f"<uri>{escape(term.value)}</uri>"
    if term.kind == "bnode":
        return f"<bnode>{escape(term.value)}</bnode>"
    attribute = ""
    if term.language:
        attribute = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype and term.datatype != XSD_STRING and term.kind == "literal":
        attribute = f" datatype={quoteattr(term.datatype)}"
    return f"<literal{attribute}>{escape(term.value)}</literal>"


def _delimited(rows: Rows, name: str) -> bytes:
    if name == "tsv":  # terms in SPARQL/N-Triples syntax, one line per solution
        lines = ["\t".join(f"?{v}" for v in rows.variables)]
        lines += ["\t".join(t.n3() if t else "" for t in row) for row in rows.rows]
        return ("\n".join(lines) + "\n").encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(rows.variables)
    for row in rows.rows:
        writer.writerow([_csv_value(t) for t in row])
    return buffer.getvalue().encode()


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    return f"_:{term.value}" if term.kind == "bnode" else term.value


def _graph(result: Triples, name: str) -> bytes:
    import pyoxigraph as ox

    formats = {
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "rdfxml": ox.RdfFormat.RDF_XML,
    }
    triples = [ox.Triple(*(_to_ox(term) for term in triple)) for triple in result.triples]
    prefixes = PREFIXES if name == "turtle" else None
    written = ox.serialize(triples, format=formats[name], prefixes=prefixes)
    assert written is not None
    return written


def _to_ox(term: Term) -> Any:
    import pyoxigraph as ox

    if term.kind == "iri":
        return ox.NamedNode(term.value)
    if term.kind == "bnode":
        return ox.BlankNode(term.value)
    if term.kind == "literal":
        if term.language:
            return ox.Literal(term.value, language=term.language)
        return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype or XSD_STRING))
    raise Refused(
        500,
        "server/unwritable",
        "the answer holds a quoted triple, which this server cannot write as RDF",
    )

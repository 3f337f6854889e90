"""Which requests the endpoint runs: a query is parsed before anything is run.

The query is parsed by rdflib's SPARQL 1.1 grammar (pyoxigraph parses only to run), so the form
(SELECT, ASK, CONSTRUCT, DESCRIBE) is read from the parse tree, an update is known as an update
whatever its spelling, and a ``SERVICE`` is found as a graph pattern, not as a word. A second,
lexical look for the keyword ``SERVICE`` outside strings, IRIs and comments backs the parse up: if
the two grammars ever disagree on a text, the query is refused rather than sent to Oxigraph, which
would call the other server. This runs in the query worker, under its time limit, so a query that
is slow to parse is stopped like one that is slow to run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from innoproc.store.sparql_text import mentions_keyword

from .errors import bad_query, load_refused, service_refused, update_refused

#: rdflib's parse-tree name of each query form
_FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


def mentions_service(text: str) -> bool:
    """Whether ``SERVICE`` stands in the text as a keyword."""
    return mentions_keyword(text, "SERVICE")


@dataclass(frozen=True)
class Checked:
    """What running a query needs to know: its form, and whether it names its own dataset
    (``FROM``/``FROM NAMED``), which then replaces the union default graph."""

    form: str
    has_dataset: bool


@lru_cache(maxsize=512)
def check_query(text: str) -> Checked:
    """The query's form; a :class:`~.errors.Refused` for an update, ``LOAD``, ``SERVICE`` or a
    text that is not a SPARQL 1.1 query. Parsing takes milliseconds and clients (dashboards,
    saved queries) send the same texts again, so each worker remembers the last 512 accepted."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        tree = parseQuery(text)
    except ParseException as query_error:
        try:
            update = parseUpdate(text)
        except (ParseException, RecursionError, ValueError):
            raise bad_query(f"the query is not valid SPARQL: {_one_line(query_error)}") from None
        if "Load" in set(_names(update)):
            raise load_refused() from None
        raise update_refused() from None
    except RecursionError:
        raise bad_query("the query is nested too deeply to be parsed") from None
    names = set(_names(tree))
    if "ServiceGraphPattern" in names or mentions_service(text):
        raise service_refused()
    forms = [_FORMS[name] for name in names if name in _FORMS]
    if len(forms) != 1:  # pragma: no cover - the grammar has exactly one form per query
        raise bad_query("the query has no SELECT, ASK, CONSTRUCT or DESCRIBE form")
    return Checked(forms[0], "DatasetClause" in names)


def _names(node: Any) -> Iterator[str]:
    """Every rule name in an rdflib parse tree."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item.name
            stack.extend(item.values())
        elif isinstance(item, list | ParseResults):
            stack.extend(item)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]

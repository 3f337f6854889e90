"""Read-only SPARQL for analysts: saved queries, parameters bound as RDF terms, updates refused.

A saved query is a ``.rq`` file in the KB's ``queries/`` folder whose header comment says what it
answers and which parameters it takes::

    # Cases per challenge per organisation.
    # How many stored cases got a finding on each challenge clause, organisation by organisation.
    # param organisation: string, the organisation as the cases state it (default: all)

The first comment line is its title; the following ones, up to an empty comment line or the
first ``param`` line, its description. A parameter is a variable of the query:
``--param organisation=CERN`` fixes ``?organisation`` to that term everywhere in the query
(SPARQL-dev SEP-0007 substitution), so a value can never change the query's text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from innoproc.errors import InnoprocError, InputError, Problem

from .protocol import QueryResult, Term, TripleStore

#: kinds of parameter values and how text becomes a term of that kind
PARAM_KINDS = ("iri", "string", "integer", "decimal", "case", "clause", "rule", "term")

#: prefixes a parameter value (and the table output) may use
PREFIXES = {
    "ipo": "https://w3id.org/innoproc/ontology#",
    "clause": "https://w3id.org/innoproc/clause/",
    "case": "https://w3id.org/innoproc/case/",
    "rule": "https://w3id.org/innoproc/kb/rule/",
    "advice": "https://w3id.org/innoproc/advice/",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class QueryError(InnoprocError):
    code = "query/invalid"


class UpdateRefused(QueryError):
    code = "query/update"


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class SavedQuery:
    """One ``.rq`` file: its name (the file stem), title, description, parameters and text."""

    name: str
    path: Path
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str


_PARAM = re.compile(r"^#\s*param\s+(\w+)\s*:\s*(\w+)\s*,?\s*(.*)$")


def read_saved(path: Path) -> SavedQuery:
    """A saved query with what its header says."""
    text = path.read_text(encoding="utf-8")
    title = ""
    description: list[str] = []
    params: list[Parameter] = []
    described = False  # an empty comment line ends the description; notes may follow
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _PARAM.match(line)
        if match:
            params.append(Parameter(match[1], match[2], match[3].strip()))
        elif not title:
            title = line.lstrip("# ").strip()
        elif not line.strip("# "):
            described = bool(description)
        elif not params and not described:
            description.append(line.lstrip("# ").strip())
    return SavedQuery(path.stem, path, title, " ".join(description), tuple(params), text)


def queries_dir(kb_folder: Path | None = None) -> Path:
    """The saved queries of a KB folder (default: the bundled KB's)."""
    from innoproc.ontology.resources import kb_dir

    return (kb_folder or kb_dir()) / "queries"


def saved_queries(folder: Path | None = None) -> list[SavedQuery]:
    """Every saved query, by name."""
    where = folder or queries_dir()
    return [read_saved(p) for p in sorted(where.glob("*.rq"))] if where.is_dir() else []


def find_saved(name: str, folder: Path | None = None) -> SavedQuery:
    for query in saved_queries(folder):
        if query.name == name:
            return query
    from innoproc.errors import did_you_mean

    names = [q.name for q in saved_queries(folder)]
    raise QueryError(
        f"{name}: no such saved query or .rq file; saved queries: {', '.join(names)}"
        + did_you_mean(name, names)
    )


# -- checking and running ------------------------------------------------------------------

_COMMENT_OR_STRING = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
)
_PROLOGUE = re.compile(r"^\s*(?:(?:PREFIX\s+[\w.-]*:|BASE)\s*(?:<>)?\s*)*", re.IGNORECASE)
_UPDATE_WORDS = {
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH",
}  # fmt: skip
_READ_WORDS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


def query_form(text: str) -> str:
    """The query's form (SELECT, ASK, CONSTRUCT, DESCRIBE); updates and anything else refused."""
    # IRIs, strings and comments blanked, so a keyword inside them is not taken for the form
    bare = _COMMENT_OR_STRING.sub(
        lambda m: "<>" if m[0].startswith("<") else ('""' if m[0][0] in "\"'" else " "), text
    )
    rest = _PROLOGUE.sub("", bare, count=1)
    word = re.match(r"\s*([A-Za-z]+)", rest)
    first = word[1].upper() if word else ""
    if first in _READ_WORDS and not _updates_within(bare):
        return first
    if first in _UPDATE_WORDS or _updates_within(bare):
        raise UpdateRefused(
            "the query is a SPARQL update; innoproc query only reads the store "
            "(SELECT, ASK, CONSTRUCT, DESCRIBE); change the library with `innoproc store ...`"
        )
    raise QueryError(
        f"the query starts with {first or 'nothing'!r}; allowed: SELECT, ASK, CONSTRUCT or "
        "DESCRIBE after any PREFIX and BASE lines"
    )


def _updates_within(bare: str) -> bool:
    """An update operation after a ``;`` (a request of several operations)."""
    return bool(
        re.search(r";\s*(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY)\b", bare, re.I)
    )


def parse_params(given: Sequence[str], declared: Sequence[Parameter] = ()) -> dict[str, Term]:
    """``key=value`` strings as RDF terms, by the kind the saved query declares for ``key``."""
    kinds = {p.name: p.kind for p in declared}
    terms: dict[str, Term] = {}
    problems: list[Problem] = []
    for item in given:
        key, sep, value = item.partition("=")
        key = key.strip().lstrip("?$")
        if not sep or not re.fullmatch(r"\w+", key):
            problems.append(
                Problem(
                    "--param",
                    f"found {item!r}; allowed: name=value, e.g. organisation=CERN",
                    code="query/param",
                )
            )
            continue
        if declared and key not in kinds:
            problems.append(
                Problem(
                    "--param",
                    f"{key}: the query takes no such parameter; it takes "
                    + (", ".join(kinds) or "none"),
                    code="query/param",
                )
            )
            continue
        try:
            terms[key] = to_term(value, kinds.get(key, "term"))
        except ValueError as exc:
            problems.append(Problem("--param", f"{key}: {exc}", code="query/param"))
    if problems:
        raise InputError(problems)
    return terms


def to_term(value: str, kind: str) -> Term:
    """Text given on the command line as a term of ``kind`` (``term``: guess from its shape)."""
    from urllib.parse import quote

    if kind == "case":
        return Term.iri(PREFIXES["case"] + quote(value, safe=""))
    if kind == "rule":
        return Term.iri(PREFIXES["rule"] + quote(value, safe=""))
    if kind == "clause":
        return Term.iri(PREFIXES["clause"] + quote(value.removeprefix("clause:"), safe=""))
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d{1,30}", value):
            raise ValueError(f"found {value!r}; allowed: a whole number")
        return Term.literal(value, PREFIXES["xsd"] + "integer")
    if kind == "decimal":
        if not re.fullmatch(r"[+-]?\d{1,30}(\.\d{1,30})?", value):
            raise ValueError(f"found {value!r}; allowed: a number such as 4 or 2.5")
        return Term.literal(value, PREFIXES["xsd"] + "decimal")
    if kind == "string":
        return Term.literal(value)
    iri = _as_iri(value)
    if kind == "iri":
        if iri is None:
            raise ValueError(
                f"found {value!r}; allowed: an IRI as <...>, http(s)://... or a prefixed name "
                f"({', '.join(p + ':' for p in PREFIXES)})"
            )
        return iri
    if iri is not None:
        return iri
    if re.fullmatch(r"[+-]?\d{1,30}", value):
        return Term.literal(value, PREFIXES["xsd"] + "integer")
    return Term.literal(value)


def _as_iri(value: str) -> Term | None:
    if value.startswith("<") and value.endswith(">"):
        return Term.iri(value[1:-1])
    if value.startswith(("http://", "https://", "urn:")):
        return Term.iri(value)
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and re.fullmatch(r"[\w.\-%]*", local):
        return Term.iri(PREFIXES[prefix] + local)
    return None


def run_query(store: TripleStore, text: str, bindings: Mapping[str, Term]) -> QueryResult:
    """Run a read query; a syntax error or a query the store cannot answer is one line."""
    query_form(text)
    try:
        return store.query(text, bindings)
    except SyntaxError as exc:
        raise QueryError(f"the query is not valid SPARQL: {_one_line(exc)}") from None
    except (RuntimeError, ValueError) as exc:
        raise QueryError(f"the store cannot run the query: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())

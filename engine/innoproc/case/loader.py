"""Read a case from a file, a mapping or an RDF graph, and validate it.

Whatever the input, the result is a :class:`Case`: one named graph in the ontology's terms that
has passed the SHACL shapes, and the same facts as plain values for the engine. Every problem of
an input is collected and raised together as a :class:`~innoproc.errors.CaseError`.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from innoproc.errors import CaseError, InputError, Problem, wrong_argument
from innoproc.ontology import FactValue, Vocabulary, bundled_vocabulary
from innoproc.ontology.namespaces import case_iri_text
from innoproc.reading.files import read_text
from innoproc.reading.json_strict import load_json
from innoproc.reading.limits import Limits, current_limits
from innoproc.reading.values import check_structure
from innoproc.reading.yaml_lines import YamlSyntaxError, load_yaml
from innoproc.reading.yaml_quick import read_plain_mapping

from .plain_check import fast_path_enabled, plain_form, plain_path_enabled

if TYPE_CHECKING:  # rdflib and the checks on its terms are imported when a case needs them
    from rdflib import Graph, URIRef
    from rdflib.term import Node

    from .known_values import Terms

CaseSource: TypeAlias = "str | Path | Mapping[str, Any] | Graph"


def _empty_graph() -> Graph:
    from rdflib import Graph

    return Graph()


#: builds the lazily made graphs of cases checked by the fast path, one at a time
_GRAPH_LOCK = threading.Lock()


@dataclass(frozen=True)
class Case:
    """A validated procurement case.

    ``graph`` is the case's named graph in the ontology's terms. A YAML or JSON case checked by
    the fast path (:mod:`innoproc.case.fast_check`) builds it only when first asked for: the
    engine reads ``facts``, and building the graph costs more than everything else in loading.
    """

    id: str
    facts: Mapping[str, FactValue] = field(compare=False)
    source: str = "<mapping>"
    #: the line of the source file where each key is stated (YAML and JSON files), for
    #: explanations that point a reader at the fact
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    #: the graph, or a function that builds it on first use
    graph_or_builder: Graph | Callable[[], Graph] = field(
        default_factory=_empty_graph, repr=False, compare=False, kw_only=True
    )

    @cached_property
    def iri(self) -> URIRef:
        """The case's IRI, also the name of its graph (the loader checks that an RDF case is
        named after its id)."""
        from rdflib import URIRef

        return URIRef(case_iri_text(self.id))

    @property
    def graph(self) -> Graph:
        from rdflib import Graph

        built = self.graph_or_builder
        if isinstance(built, Graph):
            return built
        with _GRAPH_LOCK:
            built = self.graph_or_builder
            if not isinstance(built, Graph):
                built = built()
                object.__setattr__(self, "graph_or_builder", built)
        return built

    def __getstate__(self) -> dict[str, object]:
        """A case copied or sent to another process takes its graph, not the means to build it."""
        return {**self.__dict__, "graph_or_builder": self.graph}

    @property
    def title(self) -> str | None:
        value = self.facts.get("title")
        return str(value) if value is not None else None


def load_case(source: CaseSource, vocab: Vocabulary | None = None) -> Case:
    """Load and validate one case.

    ``source`` is a path to a YAML (``.yaml``/``.yml``), JSON (``.json``) or RDF file (any syntax
    rdflib reads, chosen by extension: ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf`` ...), a mapping in
    the case form, or an rdflib Graph holding one ``ipo:ProcurementCase``. ``vocab`` is the
    vocabulary that defines the form (default: the bundled ontology).
    """
    vocab = vocab or bundled_vocabulary()
    limits = current_limits()
    try:
        if "rdflib" in sys.modules:  # a graph given means rdflib is loaded (or loading) already
            from rdflib import Graph  # (an import waits for another thread that is loading it)

            if isinstance(source, Graph):
                return _from_graph(source, "<graph>", vocab, limits)
        if isinstance(source, Mapping):
            check_structure(source, "<mapping>", limits)
            return _from_mapping(source, "<mapping>", {}, vocab)
        if not isinstance(source, str | Path):
            raise wrong_argument(
                "load_case(source)",
                source,
                "a path (str or Path), a case-form mapping or an rdflib Graph",
            )
        return _from_file(Path(source), str(source), vocab, limits)
    except CaseError:
        raise
    except InputError as exc:  # the reading policy refused it
        raise CaseError(exc.problems) from None


#: the errors of looking at a file that pathlib takes to mean it is not there (no such file, a
#: file where a folder was expected, a loop of links ...), as errno and as Windows error codes
_NOT_THERE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)
_NOT_THERE_WIN = (21, 123, 1921)


def _from_file(path: Path, name: str, vocab: Vocabulary, limits: Limits) -> Case:
    try:  # one look at the file for what Path.is_dir() and Path.exists() would both say
        is_dir, exists = stat.S_ISDIR(os.stat(path).st_mode), True
    except ValueError:  # a NUL in the name
        is_dir, exists = False, False
    except OSError as exc:
        if exc.errno not in _NOT_THERE and getattr(exc, "winerror", None) not in _NOT_THERE_WIN:
            raise CaseError(  # a name too long, no permission ...
                [Problem(name[:200], f"cannot be read ({exc.strerror})", code="input/unreadable")]
            ) from None
        is_dir, exists = False, False
    if is_dir:
        raise CaseError(
            [Problem(name, "is a folder; expected a case file", code="input/not-regular-file")]
        )
    if not exists:
        raise CaseError([Problem(name, "no such file", code="input/not-a-file")])
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        text = read_text(path, limits)
        return _from_text(text, "json" if suffix == ".json" else "yaml", name, vocab, limits)
    from .rdf_input import SYNTAXES, parse_rdf, rdf_syntax

    syntax = rdf_syntax(name)
    if syntax is None:
        raise CaseError(
            [
                Problem(
                    name,
                    f"unknown file type {suffix!r}; allowed: .yaml, .yml, .json, or an RDF "
                    f"syntax: {', '.join(SYNTAXES.values())}",
                    code="case/file-type",
                )
            ]
        )
    text = read_text(path, limits)
    if not text.strip():
        raise CaseError([Problem(name, "empty file; expected one case", code="case/empty")])
    return _from_graph(parse_rdf(text, name, syntax, limits), name, vocab, limits)


def load_case_text(
    text: str, syntax: str, source: str = "<text>", vocab: Vocabulary | None = None
) -> Case:
    """Load and validate one case given as YAML or JSON text (``syntax`` ``"yaml"`` or
    ``"json"``), as a file of that type would be read: the same reading policy and the same
    problems, each naming ``source`` and the line (the server's ``POST /advise`` reads its
    request body with it)."""
    try:
        return _from_text(text, syntax, source, vocab or bundled_vocabulary(), current_limits())
    except CaseError:
        raise
    except InputError as exc:
        raise CaseError(exc.problems) from None


def _from_text(text: str, syntax: str, name: str, vocab: Vocabulary, limits: Limits) -> Case:
    if not text.strip():
        raise CaseError([Problem(name, "empty file; expected one case", code="case/empty")])
    if syntax == "yaml":
        plain = read_plain_mapping(text, limits)  # None: read it the full way, for the messages
        if plain is not None:
            return _from_mapping(plain, name, plain.key_lines, vocab)
        try:
            data, problems = load_yaml(text, name, limits)
        except YamlSyntaxError as exc:
            raise CaseError(exc.problems) from None
        check_structure(data, name, limits)
        return _from_mapping(data, name, getattr(data, "key_lines", {}), vocab, problems)
    if syntax != "json":
        raise wrong_argument("syntax", syntax, "'yaml' or 'json'")
    data, lines, duplicates = load_json(text, name, limits)
    return _from_mapping(data, name, lines, vocab, duplicates)


def _from_mapping(
    data: Any,
    source: str,
    lines: Mapping[str, int],
    vocab: Vocabulary,
    problems: list[Problem] | None = None,
) -> Case:
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list) else f"{data!r}"
        raise CaseError(
            [
                Problem(
                    source,
                    f"found {kind} at the top level; expected a mapping of "
                    "case-form keys to values",
                    code="case/top-level",
                )
            ]
        )
    if not problems and plain_path_enabled():
        facts = plain_form(vocab).accept(data)  # None: not sure, the usual way decides
        if facts is not None:
            copied = {k: list(v) if isinstance(v, list) else v for k, v in data.items()}
            return Case(
                id=str(facts["id"]),
                facts=facts,
                source=source,
                lines=dict(lines),
                graph_or_builder=partial(_mapping_graph, copied, vocab),
            )
    from .case_graph import case_iri, mapping_statements, statements_graph
    from .fast_check import check_values, facts_of, form_check, values_by_key
    from .known_values import known_facts

    form = form_check(vocab)
    known = None
    values: Mapping[str, Terms]
    if not problems and form.supported and fast_path_enabled():
        known = known_facts(data, vocab, form)  # None: some value is new to the table, or wrong
    if known is not None:
        values, facts = known
        case_id = data.get("id")
        subject = case_iri(case_id if isinstance(case_id, str) and case_id else "unnamed")
    else:
        subject, statements, found = mapping_statements(data, vocab, source, lines)
        problems = (problems or []) + found
        if not form.supported or not fast_path_enabled():
            graph = statements_graph(subject, statements, vocab)
            return _validated(graph, subject, source, lines, problems, vocab)
        checked = values_by_key(statements, vocab)
        problems += check_values(form, checked, source, vocab, lines)
        if problems:
            raise CaseError(sorted(problems, key=lambda p: p.line or 0))
        values, facts = checked, facts_of(checked, vocab)
    return Case(
        id=str(facts["id"]),
        facts=facts,
        source=source,
        lines=dict(lines),
        graph_or_builder=partial(_checked_graph, subject, values, vocab),
    )


def _mapping_graph(data: Mapping[str, Any], vocab: Vocabulary) -> Graph:
    """The graph of a case checked on its plain values, built when first asked for: from the
    terms remembered for values met before (:mod:`.known_values`, which saves making them again
    case after case in ``store add``), else from the mapping."""
    from .case_graph import case_iri, mapping_statements, statements_graph
    from .fast_check import form_check
    from .known_values import known_facts

    form = form_check(vocab)
    known = known_facts(data, vocab, form) if form.supported else None
    if known is not None:
        return _checked_graph(case_iri(str(data["id"])), known[0], vocab)
    subject, statements, _ = mapping_statements(data, vocab, "", {})
    return statements_graph(subject, statements, vocab)


def _checked_graph(subject: URIRef, values: Mapping[str, Terms], vocab: Vocabulary) -> Graph:
    """The graph of a case checked by the fast path, built when first asked for."""
    from .case_graph import statements_graph
    from .known_values import terms_of

    checked = [
        (vocab.keys[name], term) for name, terms in values.items() for term in terms_of(terms)
    ]
    return statements_graph(subject, checked, vocab)


def _from_graph(data: Graph, source: str, vocab: Vocabulary, limits: Limits) -> Case:
    from rdflib import RDF, Graph, Literal, URIRef

    from innoproc.ontology.namespaces import CASE, IPO

    from .case_graph import case_iri, literal_problems, normalise
    if len(data) > limits.max_triples:
        raise CaseError(
            [
                Problem(
                    source,
                    f"found {len(data):,} statements; allowed: at most {limits.max_triples:,}",
                    code="input/too-many",
                )
            ]
        )
    cases = sorted(set(data.subjects(RDF.type, IPO.ProcurementCase)), key=str)
    if len(cases) != 1:
        found = "no ipo:ProcurementCase" if not cases else f"{len(cases)} cases"
        raise CaseError(
            [
                Problem(
                    source,
                    f"found {found}; expected exactly one ipo:ProcurementCase",
                    code="case/count",
                )
            ]
        )
    subject = cases[0]
    if not isinstance(subject, URIRef):
        raise CaseError(
            [
                Problem(
                    source,
                    "found the case as a blank node; allowed: a case named by its IRI "
                    f"<{CASE}<id>>",
                    code="case/blank-node",
                )
            ]
        )
    problems = [
        Problem(
            source,
            f"found a statement about <{s}>; allowed: statements about the case <{subject}> only",
            code="case/foreign-subject",
        )
        for s in sorted({s for s in data.subjects() if s != subject}, key=str)
    ]
    case_id = data.value(subject, IPO.caseId)
    if (
        isinstance(case_id, Literal)
        and isinstance(subject, URIRef)
        and subject != case_iri(str(case_id))
    ):
        problems.append(
            Problem(
                source,
                f"found case IRI <{subject}> with id {str(case_id)!r}; "
                f"allowed: <{case_iri(str(case_id))}>",
                key="id",
                code="case/iri-mismatch",
            )
        )
    graph = Graph(identifier=subject)
    for triple in data.triples((subject, None, None)):
        graph.add(triple)
    problems += literal_problems(graph, vocab, source, limits)
    return _validated(normalise(graph, vocab), subject, source, {}, problems, vocab)


def _validated(
    graph: Graph,
    subject: Node,
    source: str,
    lines: Mapping[str, int],
    problems: list[Problem],
    vocab: Vocabulary,
) -> Case:
    from .case_graph import graph_to_facts
    from .validation import check_graph

    problems = problems + check_graph(graph, subject, source, vocab, lines)
    if problems:
        raise CaseError(sorted(problems, key=lambda p: p.line or 0))
    facts = graph_to_facts(graph, subject, vocab)
    return Case(
        id=str(facts["id"]),
        facts=facts,
        source=source,
        lines=dict(lines),
        graph_or_builder=graph,
    )

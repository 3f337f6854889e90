"""Read a case from a file, a mapping or an RDF graph, and validate it.

Whatever the input, the result is a :class:`Case`: one named graph in the ontology's terms that
has passed the SHACL shapes, and the same facts as plain values for the engine. Every problem of
an input is collected and raised together as a :class:`~innoproc.errors.CaseError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node
from rdflib.util import guess_format

from innoproc.errors import CaseError, Problem, wrong_argument
from innoproc.ontology import IPO, FactValue, Vocabulary, bundled_vocabulary
from innoproc.reading.yaml_lines import YamlSyntaxError, load_yaml

from .case_graph import case_iri, graph_to_facts, mapping_to_graph, normalise
from .validation import check_graph

CaseSource = str | Path | Mapping[str, Any] | Graph


@dataclass(frozen=True)
class Case:
    """A validated procurement case."""

    id: str
    iri: URIRef
    graph: Graph = field(repr=False, compare=False)
    facts: Mapping[str, FactValue] = field(compare=False)
    source: str = "<mapping>"

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
    if isinstance(source, Graph):
        return _from_graph(source, "<graph>", vocab)
    if isinstance(source, Mapping):
        return _from_mapping(source, "<mapping>", {}, vocab)
    if not isinstance(source, str | Path):
        raise wrong_argument(
            "load_case(source)",
            source,
            "a path (str or Path), a case-form mapping or an rdflib Graph",
        )
    path = Path(source)
    name = str(source)
    if path.is_dir():
        raise CaseError(
            [Problem(name, "is a folder; expected a case file", code="case/not-a-file")]
        )
    if not path.is_file():
        raise CaseError([Problem(name, "no such file", code="case/not-a-file")])
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise CaseError([Problem(name, "empty file; expected one case", code="case/empty")])
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            data, problems = load_yaml(text, name)
        except YamlSyntaxError as exc:
            raise CaseError(exc.problems) from None
        return _from_mapping(data, name, getattr(data, "key_lines", {}), vocab, problems)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaseError(
                [Problem(name, f"malformed JSON: {exc.msg}", exc.lineno, code="input/syntax")]
            ) from None
        return _from_mapping(data, name, _json_key_lines(text, data), vocab)
    rdf_format = guess_format(name)
    if rdf_format is None:
        raise CaseError(
            [
                Problem(
                    name,
                    f"unknown file type {suffix!r}; allowed: .yaml, .yml, "
                    ".json, or an RDF syntax (.ttl, .jsonld, .nt, .rdf ...)",
                    code="case/file-type",
                )
            ]
        )
    graph = Graph()
    try:
        graph.parse(data=text, format=rdf_format)
    except Exception as exc:  # rdflib raises many unrelated types for bad syntax
        raise CaseError([_rdf_syntax_problem(name, rdf_format, exc)]) from None
    return _from_graph(graph, name, vocab)


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
    graph, found = mapping_to_graph(data, vocab, source, lines)
    subject = next(graph.subjects(RDF.type, IPO.ProcurementCase))
    return _validated(graph, subject, source, lines, (problems or []) + found, vocab)


def _from_graph(data: Graph, source: str, vocab: Vocabulary) -> Case:
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
    graph = Graph(identifier=subject if isinstance(subject, URIRef) else str(subject))
    for triple in data.triples((subject, None, None)):
        graph.add(triple)
    return _validated(normalise(graph, vocab), subject, source, {}, problems, vocab)


def _validated(
    graph: Graph,
    subject: Node,
    source: str,
    lines: Mapping[str, int],
    problems: list[Problem],
    vocab: Vocabulary,
) -> Case:
    problems = problems + check_graph(graph, subject, source, vocab, lines)
    if problems:
        raise CaseError(sorted(problems, key=lambda p: p.line or 0))
    facts = graph_to_facts(graph, subject, vocab)
    iri = subject if isinstance(subject, URIRef) else URIRef(str(subject))
    return Case(id=str(facts["id"]), iri=iri, graph=graph, facts=facts, source=source)


def _json_key_lines(text: str, data: Any) -> dict[str, int]:
    """Line of each top-level key of a JSON case (json keeps no positions; keys are unique)."""
    if not isinstance(data, Mapping):
        return {}
    lines = {}
    for key in data:
        match = re.search(r'"' + re.escape(json.dumps(key)[1:-1]) + r'"\s*:', text)
        if match:
            lines[key] = text.count("\n", 0, match.start()) + 1
    return lines


def _rdf_syntax_problem(source: str, rdf_format: str, exc: Exception) -> Problem:
    """One line for an rdflib parse error (its messages span lines and quote the input)."""
    why = getattr(exc, "_why", None)  # rdflib's Turtle/N3 BadSyntax
    if why is not None:
        line = getattr(exc, "lines", 0) + 1
        return Problem(source, f"malformed {rdf_format}: {why}", line, code="input/syntax")
    text = " ".join(str(exc).split())
    match = re.search(r"line:?\s*(\d+)", text, re.IGNORECASE)
    return Problem(
        source,
        f"malformed {rdf_format}: {text[:200]}",
        int(match.group(1)) if match else None,
        code="input/syntax",
    )

"""``innoproc kb docs``: a static HTML catalogue of a knowledge base, to browse offline.

A reviewer of the rules should not need the rule language, a terminal or a network: the
catalogue shows every rule (its clauses with their titles, rationale, condition in words, what
it concludes, references, theme and source line) on a page of its own, groups the rules by
theme and by clause, and documents the ontology they are written in with pyLODE, so that every
case key, value and clause a rule names links to its definition.

The folder it writes::

    index.html            themes, clauses (with how many rules cite each) and the ontology
    catalogue.css         the one stylesheet, local
    themes/<theme>.html   the rules of one theme, in file order
    rules/<id>.html       one rule
    clauses/<id>.html     one clause: the rules citing it and the rules asking about it
    ontology/index.html   the ontology, documented by pyLODE

Nothing is loaded from the internet: the stylesheet is local, pyLODE's is inlined and its icons
are data URIs. The pages are rendered by Jinja2 with autoescaping on, because every text in them
comes from rule files and ontology extensions written by other people. Output is the same for
the same KB (no dates), so two catalogues can be compared with ``diff``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined
from rdflib import DCTERMS, OWL, RDF, RDFS, SKOS, Graph, URIRef
from rdflib.term import Node

from innoproc.errors import InnoprocError
from innoproc.explain import KnowledgeBase
from innoproc.ontology import ONTOLOGY_IRI, Vocabulary
from innoproc.reading.files import read_text
from innoproc.rules import ConclusionTest, RuleSpec, leaves
from innoproc.rules.dependencies import dependencies

from .wording import Group, Term, Wording, word

ONTOLOGY_PAGE = "ontology/index.html"
STYLESHEET = "catalogue.css"
#: characters left as they are in a link's fragment (RFC 3986 ``fragment``, less ``/`` ``?``)
_FRAGMENT_SAFE = "!$&'()*+,;=:@-._~"
_SAFE_STEM = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
_RESERVED_STEMS = {"con", "prn", "aux", "nul"} | {
    f"{p}{n}" for p in ("com", "lpt") for n in "123456789"
}
_WEB = re.compile(r"https?://", re.IGNORECASE)


class DocsError(InnoprocError):
    """The catalogue cannot be written where it was asked to go."""

    code = "docs/output"


@dataclass(frozen=True)
class Written:
    """What :func:`write_docs` wrote: the folder and how many entries of each kind."""

    folder: Path
    rules: int
    themes: int
    clauses: int
    files: int

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


def write_docs(kb: KnowledgeBase, folder: Path) -> Written:
    """Write the catalogue of ``kb`` into ``folder`` (created if missing).

    Files of an earlier catalogue are overwritten; nothing else in the folder is touched, so a
    rule that was removed since keeps its old page, unlinked from the new index.
    """
    ontology = document_ontology(kb.vocabulary)
    site = Site(kb, ontology.anchors)
    files = dict(site.pages())
    files[ONTOLOGY_PAGE] = ontology.html
    _write_files(folder, files)
    return Written(folder, len(site.rules), len(site.themes), len(site.clauses), len(files))


# -- the ontology, documented by pyLODE -----------------------------------------------------
@dataclass(frozen=True)
class OntologyDoc:
    """pyLODE's page for an ontology, and the fragment id it gives each term it documents."""

    html: str
    #: term IRI -> id of the element documenting it (only ids that exist in ``html``)
    anchors: Mapping[str, str]


def document_ontology(vocab: Vocabulary, catalogue: str | None = "../index.html") -> OntologyDoc:
    """The ontology of ``vocab`` (bundled, plus the KB's own extensions) as one HTML page.

    pyLODE's OntPub profile documents classes and properties; this adds its "Named Individuals"
    section (pyLODE 3.3.4 has the legend entry but never builds the section), because the
    values of the case form and the clauses are individuals and the catalogue links to them.
    ``catalogue`` is the link back to the catalogue put at the top of the table of contents.
    """
    graph = Graph(bind_namespaces="core")
    graph += vocab.graph  # pyLODE adds its inferences to the graph it is given: give it a copy
    # only the prefixes the ontology uses: rdflib binds thirty more by default, and pyLODE
    # compares every term with every prefix (and would list them all)
    used = {str(n) for triple in vocab.graph for n in triple if isinstance(n, URIRef)}
    for prefix, namespace in vocab.graph.namespaces():
        if any(iri.startswith(str(namespace)) for iri in used):
            graph.bind(prefix, namespace, override=True)
    try:
        with _root_logging_kept():
            document = _ontology_document_class()(graph, catalogue)
            html = document.make_html()
    except PermissionError as exc:  # pyLODE caches its background ontologies in its own folder
        raise DocsError(
            f"pyLODE cannot write its cache {exc.filename}: {exc.strerror}; run "
            "`innoproc kb docs` once as the user who installed it"
        ) from None
    anchors = {iri: fid for iri, fid in document.fids.items() if fid in document.entities}
    return OntologyDoc(html, anchors)


@contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Undo what pyLODE does to logging.

    pyLODE 3.3.4 calls ``logging.basicConfig(level=DEBUG)`` when imported (in
    ``pylode/profiles/supermodel/loader.py``), which would print every debug line of rdflib and
    asyncio on the user's terminal for the rest of the command; and it logs through the
    module-level ``logging.info``, which configures the root logger when it has no handler.
    """
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


@functools.cache
def _ontology_document_class() -> type[Any]:
    """pyLODE's OntPub, extended with named individuals, unique ids and a way back.

    Built on first use: importing pyLODE costs half a second and touches logging.
    """
    with _root_logging_kept():
        from pylode import OntPub  # type: ignore[import-untyped]
        from pylode.utils import section_html  # type: ignore[import-untyped]
    from dominate.tags import a, h4, li, p, ul  # type: ignore[import-untyped]

    individual_props = [
        RDFS.isDefinedBy,
        DCTERMS.title,
        DCTERMS.description,
        SKOS.notation,
        RDF.type,
        DCTERMS.source,
        SKOS.note,
    ]

    class OntologyDocument(OntPub):  # type: ignore[misc]
        def __init__(self, graph: Graph, catalogue: str | None):
            super().__init__(graph, sort_subjects=True)  # sorted: the same page every time
            # pyLODE titles the page after the last ontology *or concept scheme* it finds
            ontologies = self.ont.subjects(RDF.type, OWL.Ontology)
            titles = [t for s in ontologies for t in self.ont.objects(s, DCTERMS.title)]
            if titles:
                self.doc.title = str(titles[0])
            self.catalogue = catalogue
            #: ids of the elements documenting a term (pyLODE also gives ids to parts of the page)
            self.entities: set[str] = set()
            # pyLODE names the properties it shows from its background ontologies; these two
            # it never shows for classes or properties, so it has not named them
            for prop in (RDF.type, SKOS.notation):
                self.props_labeled.setdefault(prop, self._labelled(prop))

        def _labelled(self, prop: URIRef) -> dict[str, Any]:
            titles = [t for iri, t in self.back_onts_titles.items() if str(prop).startswith(iri)]
            return {
                "title": self.back_onts.value(prop, DCTERMS.title) or str(prop),
                "description": self.back_onts.value(prop, DCTERMS.description) or "",
                "ont_title": titles[-1] if titles else "",
            }

        @contextmanager
        def _schemes_hidden(self) -> Iterator[None]:
            """Describe the ontology, not the clause scheme it contains.

            pyLODE takes the title and IRI of the page from every owl:Ontology *and* every
            skos:ConceptScheme it finds, so the clause scheme's title ran into the ontology's
            and its IRI replaced the ontology's. While pyLODE reads the page's subject, the
            scheme is not typed as one.
            """
            typed = list(self.ont.triples((None, RDF.type, SKOS.ConceptScheme)))
            for triple in typed:
                self.ont.remove(triple)
            try:
                yield
            finally:
                for triple in typed:
                    self.ont.add(triple)

        def _make_schema_org(self) -> Graph:
            with self._schemes_hidden():
                return super()._make_schema_org()  # type: ignore[no-any-return]

        def _make_metadata(self) -> None:
            with self._schemes_hidden():
                super()._make_metadata()

        def _make_main_sections(self) -> None:
            super()._make_main_sections()
            if (None, RDF.type, OWL.NamedIndividual) in self.ont:
                with self.content:
                    section_html(
                        "Named Individuals",
                        self.ont,
                        self.back_onts,
                        self.ns,
                        OWL.NamedIndividual,
                        individual_props,
                        self.toc,
                        "named_individuals",
                        self.fids,
                        self.props_labeled,
                    )

        def _make_toc(self) -> None:
            super()._make_toc()
            (toc,) = self.doc.get("div", id="toc")
            entries = self.toc.get("named_individuals") or []
            if entries:
                (first,) = toc.get("ul", _class="first")
                section = li(h4(a("Named Individuals", href="#named_individuals")))
                section.add(
                    ul([li(a(title, href=href)) for href, title in entries], _class="second")
                )
                at = [i for i, c in enumerate(first.children) if c.get("a", href="#namespaces")]
                first.children.insert(at[0] if at else len(first.children), section)
                section.parent = first
            if self.catalogue is not None:
                back = p(a("Back to the knowledge-base catalogue", href=self.catalogue))
                toc.children.insert(0, back)
                back.parent = toc
            # a property both functional and object (or datatype) is listed in both sections
            # under one id; keep the first, so that each id names one element
            _keep_first_ids(self.doc, set(), self.entities)

    return OntologyDocument


def _keep_first_ids(node: Any, seen: set[str], entities: set[str]) -> None:
    """Drop every id already used earlier in the page; note the ids of term entries kept."""
    attributes = getattr(node, "attributes", None)
    if isinstance(attributes, dict) and "id" in attributes:
        fid = str(attributes["id"])
        if fid in seen:
            del attributes["id"]
        else:
            seen.add(fid)
            if "entity" in str(attributes.get("class", "")).split():
                entities.add(fid)
    for child in getattr(node, "children", ()):
        _keep_first_ids(child, seen, entities)


# -- the catalogue --------------------------------------------------------------------------
@dataclass(frozen=True)
class Theme:
    name: str
    title: str
    page: str
    #: its rule files, relative to the KB folder
    files: tuple[str, ...]
    rules: tuple[RuleSpec, ...]


@dataclass(frozen=True)
class ClauseEntry:
    id: str
    title: str
    page: str
    section: str
    definition: str
    grounds: tuple[str, ...]
    ontology: str | None
    cited_by: tuple[RuleSpec, ...]
    asked_by: tuple[RuleSpec, ...]


@dataclass(frozen=True)
class Reference:
    text: str
    href: str | None  # only http(s) addresses become links


class Site:
    """Everything the pages show, with the links between them (relative to the folder's root).

    ``anchors`` maps ontology term IRIs to their fragment ids on the ontology page; a term that
    has none is linked to what documents it next best (a value to its class), or not at all.
    """

    def __init__(self, kb: KnowledgeBase, anchors: Mapping[str, str]):
        self.kb = kb
        self.vocab = kb.vocabulary
        self.anchors = anchors
        self.rules: tuple[RuleSpec, ...] = kb.rules
        self.by_conclusion = {r.then.id: r for r in self.rules}
        self._rule_files = _file_names(r.id for r in self.rules)
        themes = _unique(r.theme for r in self.rules)
        self._theme_files = _file_names(themes)
        clause_ids = _unique([*self.vocab.clauses, *(c for r in self.rules for c in r.clauses)])
        self._clause_files = _file_names(clause_ids)
        self.reads = {
            k: tuple(kb.by_id[i] for i in v) for k, v in dependencies(list(kb.rules)).items()
        }
        read_by: dict[str, list[RuleSpec]] = {r.id: [] for r in self.rules}
        for rule in self.rules:
            for premise in self.reads[rule.id]:
                read_by[premise.id].append(rule)
        self.read_by = {k: tuple(v) for k, v in read_by.items()}
        self.themes = tuple(self._theme(name) for name in themes)
        self.clauses = tuple(self._clause(c) for c in clause_ids)
        self.theme_of = {t.name: t for t in self.themes}
        self.clause_of = {c.id: c for c in self.clauses}

    # -- links -------------------------------------------------------------------------
    def rule_page(self, rule: RuleSpec) -> str:
        return f"rules/{self._rule_files[rule.id]}.html"

    def theme_page(self, name: str) -> str:
        return f"themes/{self._theme_files[name]}.html"

    def clause_page(self, clause_id: str) -> str:
        return f"clauses/{self._clause_files[clause_id]}.html"

    def ontology_link(self, term: Node | None) -> str | None:
        """The link to a term's entry on the ontology page, if pyLODE documented it."""
        fid = self.anchors.get(str(term)) if term is not None else None
        return f"{ONTOLOGY_PAGE}#{quote(fid, safe=_FRAGMENT_SAFE)}" if fid else None

    def href(self, term: Term) -> str | None:
        """Where a word of a condition links to: its definition, clause or concluding rule."""
        if term.kind == "clause":
            return self.clause_page(term.name) if term.name in self._clause_files else None
        if term.kind == "conclusion":
            producer = self.by_conclusion.get(term.name)
            return f"{self.rule_page(producer)}#conclusion" if producer else None
        key = self.vocab.keys.get(term.key)
        if key is None:
            return None
        if term.kind == "key":
            return self.ontology_link(key.prop)
        value = self.ontology_link(key.values.get(term.name))
        return value or self.ontology_link(key.value_class)

    def title(self, term: Term) -> str:
        """What a linked word's tooltip says: the name behind the label."""
        if term.kind == "key":
            return f"case key {term.key}"
        if term.kind == "value":
            return f"{term.key}: {term.name}"
        if term.kind == "clause":
            return self.vocab.clause_title(term.name)
        producer = self.by_conclusion.get(term.name)
        return f"concluded by {producer.id}: {producer.title}" if producer else term.name

    # -- entries -----------------------------------------------------------------------
    def wording(self, rule: RuleSpec) -> Wording:
        return word(rule.when, self.vocab)

    def source(self, rule: RuleSpec) -> str:
        """The rule's file, relative to the KB folder (as a knowledge engineer opens it)."""
        path = Path(rule.source)
        try:
            return path.relative_to(self.kb.folder).as_posix()
        except ValueError:
            return path.name

    def references(self, rule: RuleSpec) -> list[Reference]:
        return [Reference(r, r if _WEB.match(r) else None) for r in rule.references]

    def _theme(self, name: str) -> Theme:
        rules = tuple(r for r in self.rules if r.theme == name)
        sources = _unique(r.source for r in rules)
        title = next((t for t in map(self._file_title, sources) if t), name or "(no theme)")
        files = tuple(_unique(self.source(r) for r in rules))
        return Theme(name, title, self.theme_page(name), files, rules)

    def _file_title(self, source: str) -> str:
        """The ``title`` a rule file gives its theme (the rule model does not keep it).

        The file was accepted when the KB was loaded; this reads it again under the same policy
        (a regular file inside the folder, within the size limit) and composes it with the C
        parser, without constructing anything, to read one top-level value.
        """
        try:
            text = read_text(Path(source), folder=self.kb.folder / "rules")
            node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (InnoprocError, yaml.YAMLError):
            return ""
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == "title" and isinstance(value, yaml.ScalarNode):
                    return str(value.value)
        return ""

    def _clause(self, clause_id: str) -> ClauseEntry:
        clause = self.vocab.clauses.get(clause_id)
        iri = clause.iri if clause else None
        definition = self.vocab.graph.value(iri, SKOS.definition) if iri else None
        section = clause.section if clause else None
        asked = tuple(
            r
            for r in self.rules
            if any(isinstance(t, ConclusionTest) and t.about == clause_id for t in leaves(r.when))
        )
        return ClauseEntry(
            id=clause_id,
            title=self.vocab.clause_title(clause_id),
            page=self.clause_page(clause_id),
            section=self.vocab.label(section) if section is not None else "",
            definition=str(definition or ""),
            grounds=tuple(sorted(k.replace("-", " ") + "s" for k in clause.grounds))
            if clause
            else (),
            ontology=self.ontology_link(iri),
            cited_by=tuple(r for r in self.rules if clause_id in r.clauses),
            asked_by=asked,
        )

    # -- pages ---------------------------------------------------------------------------
    def pages(self) -> Iterator[tuple[str, str]]:
        """(path relative to the folder, text) for every file of the catalogue but pyLODE's."""
        env = _environment(self)
        yield STYLESHEET, env.get_template(STYLESHEET).render()
        yield "index.html", env.get_template("index.html").render(root="")
        for theme in self.themes:
            page = env.get_template("theme.html")
            yield theme.page, page.render(root="../", theme=theme)
        for rule in self.rules:
            page = env.get_template("rule.html")
            yield self.rule_page(rule), page.render(root="../", rule=rule)
        for clause in self.clauses:
            page = env.get_template("clause.html")
            yield clause.page, page.render(root="../", clause=clause)


def _environment(site: Site) -> Environment:
    """The Jinja2 environment of the catalogue's templates: autoescaped, strict about names."""
    from innoproc import __version__

    env = Environment(
        loader=PackageLoader("innoproc.workbench", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.tests["group"] = lambda value: isinstance(value, Group)
    env.tests["term"] = lambda value: isinstance(value, Term)
    env.globals.update(
        site=site,
        version=__version__,
        ontology_page=ONTOLOGY_PAGE,
        ontology_title=str(site.vocab.graph.value(ONTOLOGY_IRI, DCTERMS.title) or "ontology"),
        ontology_version=site.vocab.version(),
        stylesheet=STYLESHEET,
    )
    return env


# -- names and files ------------------------------------------------------------------------
def _unique(items: Iterable[str]) -> list[str]:
    """Items without repeats, in the order first seen."""
    return list(dict.fromkeys(items))


def _file_names(names: Iterable[str]) -> dict[str, str]:
    """A file name stem for each name: safe on any file system, unique even where case is not.

    Rule ids and theme names are slugs already and keep their spelling; a name a KB's own schema
    lets through (capitals, slashes, dots ...) gets a cleaned stem and a short hash of itself.
    """
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        stem = name.lower()
        if not _SAFE_STEM.fullmatch(stem) or stem in taken or stem in _RESERVED_STEMS:
            cleaned = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:60] or "entry"
            stem = f"{cleaned}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
        taken.add(stem)
        stems[name] = stem
    return stems


def _write_files(folder: Path, files: Mapping[str, str]) -> None:
    """Write each file under ``folder``; an unusable folder is one line, not a traceback."""
    if folder.exists() and not folder.is_dir():
        raise DocsError(f"{folder}: exists and is not a folder; give -o a folder to write into")
    try:
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except (PermissionError, FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
        raise DocsError(
            f"cannot write the catalogue into {folder}: {exc.filename}: {exc.strerror}"
        ) from None

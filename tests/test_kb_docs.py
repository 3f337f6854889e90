"""``innoproc kb docs``: the HTML catalogue of a knowledge base.

The catalogue of the bundled KB is written once (through the command line) and read back with
``html.parser``: one entry per rule, theme and clause, every internal link leading to a file and
an element that exists, every key and value of a condition linked to the very term on pyLODE's
page, nothing loaded from the network. The wording of conditions is checked sentence by
sentence on rules built here, and a headless Chromium loads two pages and takes screenshots.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
from typer.testing import CliRunner

from innoproc.cli import app
from innoproc.explain import KnowledgeBase, default_kb
from innoproc.ontology import bundled_vocabulary
from innoproc.rules import All, AnyOf, AtLeast, ConclusionTest, FactTest, Not, leaves
from innoproc.workbench.docs import write_docs
from innoproc.workbench.wording import describe

CHROMIUM = Path("/usr/bin/chromium")
EXTERNAL = ("http:", "https:", "mailto:", "data:")


# -- reading the written pages --------------------------------------------------------------
@dataclass
class Page:
    """What the tests need of one HTML page, read with the standard library's parser."""

    ids: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # every href of <a> and <link>
    loads: list[str] = field(default_factory=list)  # src=, and <link href> (loaded, not visited)
    entries: dict[str, list[str]] = field(default_factory=dict)  # "article.rule" -> data-rule
    terms: list[tuple[str, str, str]] = field(default_factory=list)  # (class, href, title)
    tags: Counter[str] = field(default_factory=Counter)
    styles: list[str] = field(default_factory=list)
    iri_of: dict[str, str] = field(default_factory=dict)  # pyLODE: element id -> term IRI
    text: dict[str, str] = field(default_factory=dict)  # data-rule of a .condition -> its text


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._entity: str | None = None  # pyLODE entity whose IRI <code> comes next
        self._in_code = False
        self._in_style = False
        self._condition_depth = 0
        self._depth = 0
        self._condition_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        page = self.page
        page.tags[tag] += 1
        self._depth += 1
        classes = a.get("class", "").split()
        if "id" in a:
            page.ids.append(a["id"])
            if tag == "div" and "entity" in classes:
                self._entity = a["id"]
        if tag in ("a", "link") and "href" in a:
            page.links.append(a["href"])
        if tag == "link" and "href" in a:
            page.loads.append(a["href"])
        if "src" in a:
            page.loads.append(a["src"])
        for kind in ("rule", "clause", "theme"):
            if f"data-{kind}" in a:
                name = ".".join([tag, *classes])
                page.entries.setdefault(name, []).append(a[f"data-{kind}"])
        if "term" in classes:
            page.terms.append((" ".join(classes), a.get("href", ""), a.get("title", "")))
        if tag == "code" and self._entity:
            self._in_code = True
        if tag == "style":
            self._in_style = True
        if tag == "div" and "condition" in classes:
            self._condition_depth = self._depth

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self._in_code = False
        if tag == "style":
            self._in_style = False
        if self._condition_depth and self._depth == self._condition_depth and tag == "div":
            self.page.text["condition"] = " ".join("".join(self._condition_text).split())
            self._condition_depth = 0
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_code and self._entity:
            self.page.iri_of[self._entity] = data.strip()
            self._entity = None
            self._in_code = False
        if self._in_style:
            self.page.styles.append(data)
        if self._condition_depth:
            self._condition_text.append(data)


def read(path: Path) -> Page:
    reader = _Reader()
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    return reader.page


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> Path:
    """The bundled KB's catalogue, written by the command as a user runs it."""
    folder = tmp_path_factory.mktemp("docs") / "kb-docs"
    result = CliRunner().invoke(app, ["kb", "docs", "-o", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    kb = default_kb()
    assert result.stdout.startswith(f"{len(kb.rules)} rules in ")
    assert str(folder / "index.html") in result.stdout
    return folder


@pytest.fixture(scope="module")
def pages(catalogue) -> dict[Path, Page]:
    return {p: read(p) for p in sorted(catalogue.rglob("*.html"))}


def _entries(pages: dict[Path, Page], folder: Path, entry: str) -> list[str]:
    return [i for p, page in pages.items() if p.parent == folder
            for i in page.entries.get(entry, [])]


# -- one entry per rule, theme and clause --------------------------------------------------
def test_every_rule_has_one_page_and_the_index_lists_every_rule(catalogue, pages):
    kb = default_kb()
    ids = {r.id for r in kb.rules}
    on_pages = _entries(pages, catalogue / "rules", "article.rule")
    assert sorted(on_pages) == sorted(ids)  # one article per rule, no repeats
    assert len(list((catalogue / "rules").glob("*.html"))) == len(ids)
    assert sorted(pages[catalogue / "index.html"].entries["li"]) == sorted(ids)


def test_every_clause_of_the_scheme_has_one_page_and_a_row_in_the_index(catalogue, pages):
    clauses = set(bundled_vocabulary().clauses)
    assert sorted(_entries(pages, catalogue / "clauses", "article.clause")) == sorted(clauses)
    index = pages[catalogue / "index.html"].entries
    rows = index["tr"] + index.get("tr.uncited", [])
    assert sorted(rows) == sorted(clauses)
    cited = {c for r in default_kb().rules for c in r.clauses}
    assert sorted(index.get("tr.uncited", [])) == sorted(clauses - cited)


def test_each_theme_page_lists_the_rules_of_its_theme_in_file_order(catalogue, pages):
    kb = default_kb()
    themes = list(dict.fromkeys(r.theme for r in kb.rules))
    assert sorted(_entries(pages, catalogue / "themes", "article.theme")) == sorted(themes)
    for path, page in pages.items():
        if path.parent == catalogue / "themes":
            (theme,) = page.entries["article.theme"]
            assert page.entries["li"] == [r.id for r in kb.rules if r.theme == theme]


def test_a_clause_page_lists_the_rules_citing_it(catalogue, pages):
    kb = default_kb()
    for path, page in pages.items():
        if path.parent == catalogue / "clauses":
            (clause,) = page.entries["article.clause"]
            cited = [r.id for r in kb.rules if clause in r.clauses]
            asked = [r.id for r in kb.rules if any(
                isinstance(t, ConclusionTest) and t.about == clause for t in leaves(r.when))]
            assert page.entries.get("li", []) == cited + asked


# -- links -----------------------------------------------------------------------------------
def test_every_internal_link_leads_to_a_file_and_an_element_that_exist(catalogue, pages):
    broken = []
    for path, page in pages.items():
        for href in page.links:
            if href.startswith(EXTERNAL):
                continue
            parts = urlsplit(href)
            target = Path(os.path.normpath(path.parent / unquote(parts.path))) if parts.path \
                else path
            if not target.is_file() or catalogue not in target.parents:
                broken.append(f"{path.relative_to(catalogue)}: {href} (no such file)")
            elif parts.fragment and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{path.relative_to(catalogue)}: {href} (no such id)")
    assert broken == []


def test_ids_are_unique_on_every_page_pylode_s_included(pages):
    for path, page in pages.items():
        repeated = [i for i, n in Counter(page.ids).items() if n > 1]
        assert repeated == [], path


def test_condition_keys_and_values_link_to_their_own_term_in_the_ontology(catalogue, pages):
    """Each key links to its property's entry, each value to its individual's entry on
    pyLODE's page, by the anchors pyLODE generated (no word of a condition is left unlinked)."""
    vocab = bundled_vocabulary()
    ontology = pages[catalogue / "ontology" / "index.html"]
    seen = Counter()
    for path, page in pages.items():
        if path.parent != catalogue / "rules":
            continue
        for classes, href, title in page.terms:
            kind = classes.split()[-1]
            assert href, f"{path.name}: {kind} {title!r} is not linked"
            if kind == "key":
                assert href.startswith("../ontology/index.html#")
                key = vocab.keys[title.removeprefix("case key ")]
                assert ontology.iri_of[unquote(href.split("#")[1])] == str(key.prop)
            elif kind == "value":
                assert href.startswith("../ontology/index.html#")
                name, notation = title.split(": ")
                individual = vocab.keys[name].values[notation]
                assert ontology.iri_of[unquote(href.split("#")[1])] == str(individual)
            elif kind == "clause":
                assert href.startswith("../clauses/")
            else:
                assert kind == "conclusion" and "#conclusion" in href
            seen[kind] += 1
    assert min(seen[k] for k in ("key", "value", "clause", "conclusion")) > 0


def test_a_clause_links_to_its_own_entry_in_the_ontology(catalogue, pages):
    vocab = bundled_vocabulary()
    ontology = pages[catalogue / "ontology" / "index.html"]
    for path, page in pages.items():
        if path.parent == catalogue / "clauses":
            (clause,) = page.entries["article.clause"]
            (link,) = [h for h in page.links if h.startswith("../ontology/index.html#")]
            assert ontology.iri_of[unquote(link.split("#")[1])] == str(vocab.clauses[clause].iri)


def test_the_catalogue_and_the_ontology_link_to_each_other(catalogue, pages):
    assert "ontology/index.html" in pages[catalogue / "index.html"].links
    assert "../index.html" in pages[catalogue / "ontology" / "index.html"].links


# -- self-contained, escaped, valid --------------------------------------------------------
def test_nothing_is_loaded_from_the_network(catalogue, pages):
    """No stylesheet, script, image or font comes from http(s): pyLODE's stylesheet is inline,
    its icons are data URIs, and the catalogue's stylesheet is a local file."""
    for path, page in pages.items():
        remote = [u for u in page.loads if u.lower().startswith(("http:", "https:", "//"))]
        assert remote == [], path
        assert page.tags["iframe"] == page.tags["img"] == page.tags["object"] == 0, path
        for css in page.styles:
            assert "@import" not in css and "url(http" not in css.replace(" ", ""), path
    css = (catalogue / "catalogue.css").read_text()
    assert "@import" not in css and "url(" not in css
    assert pages[catalogue / "index.html"].loads == ["catalogue.css"]


def test_catalogue_pages_run_no_script_and_parse_without_an_error(catalogue, pages):
    for path, page in pages.items():
        parser = html5lib.HTMLParser(strict=True)  # raises on the first parse error
        parser.parse(path.read_text(encoding="utf-8"))
        if "ontology" not in path.parts:
            assert page.tags["script"] == 0, path
            assert page.tags["html"] == page.tags["head"] == page.tags["body"] == 1


def test_the_same_kb_gives_the_same_catalogue(catalogue, tmp_path):
    again = write_docs(default_kb(), tmp_path / "again")
    for path in catalogue.rglob("*"):
        if path.is_file():
            assert (again.folder / path.relative_to(catalogue)).read_bytes() == path.read_bytes()


# -- the words of a condition -------------------------------------------------------------
def _in(key: str, *values: str | bool, multi: bool = False) -> FactTest:
    return FactTest(key, "in", frozenset(values), multi=multi)


@pytest.mark.parametrize("condition, words", [
    (All((_in("procedure", "restricted", "open"), FactTest("trl", "le", number=4),
          Not(ConclusionTest("finding", about="CH-3")))),
     "all of: the procedure is one of open procedure, restricted procedure; the technology "
     "readiness level is at most 4; not: a finding about CH-3 was reached"),
    (AtLeast(2, (_in("fair_return", True), FactTest("award_basis", "unknown"),
                 AnyOf((ConclusionTest("recommendation", id="stage-it"),
                        FactTest("estimated_value_eur", "ge", number=10_000_000))))),
     "at least 2 of: fair return applies is true; the award basis is not stated; (any of: the "
     "recommendation stage-it was reached; the estimated value in euro is at least 10,000,000)"),
    (AnyOf((_in("phases", "research", multi=True),
            FactTest("phases", "all_of", frozenset({"servicing", "development"}), multi=True),
            Not(All((FactTest("ip_ownership", "known"), _in("technical_risk", "high")))))),
     "any of: covers phase includes research; covers phase includes all of development, "
     "servicing; not: (all of: the IP ownership is stated; the technical risk is high risk)"),
    (FactTest("operational_lifetime_years", "gt", number=2.5),
     "the operational lifetime in years is more than 2.5"),
])
def test_a_condition_is_worded_in_the_ontology_s_labels(condition, words):
    assert describe(condition, bundled_vocabulary()) == words


RULES = """\
theme: trial
title: Trial rules <b>& co</b>
rules:
  - id: late
    title: Late engagement
    clauses: [CH-3]
    rationale: Late.
    priority: 50
    when: {industry_engagement: at-tender}
    then:
      finding: {id: late-x, kind: challenge, severity: low, summary: Late.}
  - id: rigid
    title: Rigid <script>alert("rigid")</script>
    clauses: [CH-1]
    rationale: Rigid & <i>narrow</i>.
    references: ["https://example.org/a?b=1&c=2"]
    priority: 50
    when:
      all:
        - procedure: {in: [open, restricted]}
        - trl: {le: 4}
        - not: {finding: {about: CH-3}}
    then:
      finding: {id: rigid-x, kind: risk, severity: high, summary: Rigid.}
  - id: fix
    title: Fix it
    clauses: [REC-4]
    rationale: Fix.
    priority: 40
    when:
      any:
        - finding: rigid-x
        - global_suppliers: {is_a: LimitedSupply}
        - all:
            - phases: {all_of: [research, development]}
            - in_house_know_how: {at_most: partial}
    then:
      recommendation: {id: fix-x, summary: Fix., actions: ["Do <this>."]}
"""


@pytest.fixture(scope="module")
def trial(tmp_path_factory) -> tuple[KnowledgeBase, Path]:
    folder = tmp_path_factory.mktemp("trial-kb")
    (folder / "rules").mkdir()
    (folder / "rules" / "trial.yaml").write_text(RULES)
    kb = KnowledgeBase.load(folder)
    return kb, write_docs(kb, tmp_path_factory.mktemp("trial-docs")).folder


def test_rules_written_in_the_rule_language_read_as_english(trial):
    kb, _ = trial
    assert describe(kb.by_id["rigid"].when, kb.vocabulary) == (
        "all of: the procedure is one of open procedure, restricted procedure; the technology "
        "readiness level is at most 4; not: a finding about CH-3 was reached")
    assert describe(kb.by_id["fix"].when, kb.vocabulary) == (
        "any of: the finding rigid-x was reached; the global suppliers is one of no supplier, one "
        "supplier, few suppliers; (all of: covers phase includes all of research, development; "
        "the in-house know-how is one of no know-how, partial know-how)")


def test_a_rule_page_shows_the_condition_in_words_and_the_text_escaped(trial):
    kb, folder = trial
    rigid = (folder / "rules" / "rigid.html").read_text()
    page = read(folder / "rules" / "rigid.html")
    assert page.text["condition"] == (
        "all of: the procedure is one of open procedure, restricted procedure the technology "
        "readiness level is at most 4 not: a finding about CH-3 was reached")
    assert "<script>" not in rigid and "<i>" not in rigid
    assert "Rigid &lt;script&gt;alert(&#34;rigid&#34;)&lt;/script&gt;" in rigid
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in rigid
    assert "Trial rules &lt;b&gt;&amp; co&lt;/b&gt;" in rigid  # the theme's title, from its file
    fix = read(folder / "rules" / "fix.html")
    assert ("term conclusion", "../rules/rigid.html#conclusion",
            'concluded by rigid: Rigid <script>alert("rigid")</script>') in fix.terms
    assert "Do &lt;this&gt;." in (folder / "rules" / "fix.html").read_text()
    assert "<code>rules/trial.yaml</code>, line 12" in rigid


def test_an_output_that_is_a_file_is_refused_in_one_line(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("")
    result = CliRunner().invoke(app, ["kb", "docs", "--output", str(taken)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"innoproc: {taken}: exists and is not a folder; give -o a folder to write into")


def test_documenting_the_ontology_prints_nothing_and_leaves_logging_alone():
    """Importing pyLODE 3.3.4 sets the root logger to DEBUG with a handler on stderr."""
    probe = ("import logging; from innoproc.ontology import bundled_vocabulary; "
             "from innoproc.workbench.docs import document_ontology; "
             "doc = document_ontology(bundled_vocabulary()); "
             "logging.getLogger('probe').info('not shown'); "
             "root = logging.getLogger(); print(logging.getLevelName(root.level), root.handlers)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("WARNING []\n", "")


# -- a real browser ------------------------------------------------------------------------
def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium): no browser check")
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """Where the screenshots go: INNOPROC_SCREENSHOTS if set (to keep them), else a tmp folder."""
    kept = os.environ.get("INNOPROC_SCREENSHOTS")
    folder = Path(kept) if kept else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _showcase() -> tuple[str, str, str]:
    """A rule whose condition tests a choice key: (rule id, key label, label of a value)."""
    kb = default_kb()
    for rule in kb.rules:
        for test in leaves(rule.when):
            if isinstance(test, FactTest) and test.op == "in" and test.values:
                key = kb.vocabulary.keys[test.key]
                if key.is_choice:
                    value = next(n for n in key.values if n in test.values)
                    return rule.id, key.label, kb.vocabulary.label(key.values[value])
    raise AssertionError("no rule of the bundled KB tests a choice key")


def _browse(catalogue: Path, page: str, screenshots: Path, tmp_path: Path) -> Page:
    """Load a page in headless Chromium: its DOM as the browser built it, and a screenshot."""
    url = (catalogue / page).resolve().as_uri()
    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    shot = screenshots / (Path(page).stem + ".png")
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", url)
    assert _png_size(shot) == (1280, 1600)
    assert shot.stat().st_size > 30_000  # a blank page is a few kilobytes
    loaded = read_dom(dom)
    assert loaded.tags["main"] == loaded.tags["header"] == loaded.tags["footer"] == 1
    return loaded


def test_a_headless_browser_shows_the_index_with_every_rule_and_clause(
    catalogue, screenshots, tmp_path
):
    loaded = _browse(catalogue, "index.html", screenshots, tmp_path)
    kb = default_kb()
    assert sorted(loaded.entries["li"]) == sorted(r.id for r in kb.rules)
    rows = loaded.entries["tr"] + loaded.entries.get("tr.uncited", [])
    assert sorted(rows) == sorted(kb.vocabulary.clauses)
    assert "ontology/index.html" in loaded.links


def test_a_headless_browser_shows_a_rule_with_its_condition_linked_to_the_ontology(
    catalogue, screenshots, tmp_path
):
    rule, key, value = _showcase()
    loaded = _browse(catalogue, f"rules/{rule}.html", screenshots, tmp_path)
    assert loaded.entries["article.rule"] == [rule]
    assert {"rationale", "condition", "conclusion"} <= set(loaded.ids)
    linked = {classes: href for classes, href, _ in loaded.terms}
    assert linked["term key"].startswith("../ontology/index.html#")
    assert linked["term value"].startswith("../ontology/index.html#")
    assert key in loaded.text["condition"] and value in loaded.text["condition"]


def read_dom(dom: str) -> Page:
    reader = _Reader()
    reader.feed(dom)
    reader.close()
    return reader.page

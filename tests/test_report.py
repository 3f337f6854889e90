"""``innoproc report``: a self-contained report on every library case, in HTML and Markdown.

Each library case's report is checked for what it must say (the case id, every item with its
title, every clause cited with its title, every open question, every stated fact, the graph
with one node per item and fact read), read back with the standard library's HTML parser; the
HTML loads nothing (no script, stylesheet, image or font from anywhere, checked in the markup
and in a real headless Chromium's network log); hostile case text is escaped in both formats and
in the graph; a report without a layout program still renders and says why.
"""

from __future__ import annotations

import os
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from browser import CHROMIUM, NO_BROWSER, Browser
from innoproc.case import load_case
from innoproc.cli import app
from innoproc.explain import Advice, default_kb
from innoproc.export.report import (
    find_programs,
    format_for,
    gather,
    justification_dot,
    layout,
    render_report,
    sanitise_svg,
)
from innoproc.export.report.graph import _label, dot_string
from innoproc.export.words import markdown_text

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p for p in (ROOT / "cases").iterdir() if p.suffix in (".yaml", ".json", ".ttl"))
SVG = "{http://www.w3.org/2000/svg}"


@cache
def advice_on(name: str) -> Advice:
    kb = default_kb()
    return kb.advise(kb.load_case(ROOT / "cases" / name))


@cache
def html_of(name: str) -> str:
    return render_report(advice_on(name), "html")


@cache
def markdown_of(name: str) -> str:
    return render_report(advice_on(name), "markdown")


# -- reading a report back ------------------------------------------------------------------
@dataclass
class Page:
    text: str = ""
    by_id: dict[str, str] = field(default_factory=dict)  # element id -> its text
    items: dict[str, str] = field(default_factory=dict)  # data-item -> its <h3> text
    clauses: dict[str, str] = field(default_factory=dict)  # #clauses row: id -> title cell
    questions: list[str] = field(default_factory=list)  # data-key of #questions items
    facts: list[str] = field(default_factory=list)  # data-key of #facts rows
    loads: list[str] = field(default_factory=list)  # src=, <link href>, url(...) and @import
    tags: set[str] = field(default_factory=set)
    anchors: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    """Keeps the text of every open element; fills a :class:`Page`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.open: list[tuple[str, dict[str, str], list[str]]] = []
        self.section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        page = self.page
        page.tags.add(tag)
        if tag == "section":
            self.section = a.get("id", "")
        if "id" in a:
            page.ids.append(a["id"])
        if "src" in a:
            page.loads.append(a["src"])
        if tag == "link":
            page.loads.append(a.get("href", ""))
        if tag == "a" and "href" in a:
            page.anchors.append(a["href"])
        if tag == "li" and self.section == "questions" and "data-key" in a:
            page.questions.append(a["data-key"])
        if tag == "tr" and self.section == "facts" and "data-key" in a:
            page.facts.append(a["data-key"])
        if tag in ("meta", "br", "img", "input", "link", "hr"):
            return
        self.open.append((tag, a, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, a, text = self.open.pop()
            joined = " ".join("".join(text).split())
            for _, _, outer in self.open:
                outer.append("".join(text))
            if "id" in a:
                self.page.by_id[a["id"]] = joined
            if name == "h3" and self._inside("article"):
                article = next(at for t, at, _ in reversed(self.open) if t == "article")
                self.page.items.setdefault(article["data-item"], joined)
            if name == "tr" and self.section == "clauses" and "data-clause" in a:
                cells = re.findall(r"\S.*", joined)
                self.page.clauses[a["data-clause"]] = cells[0] if cells else ""
            if name == tag:
                break

    def _inside(self, tag: str) -> bool:
        return any(t == tag for t, _, _ in self.open)

    def handle_data(self, data: str) -> None:
        self.page.text += data
        if self.open:
            self.open[-1][2].append(data)
        if self.open and self.open[-1][0] == "style":
            self.page.loads += re.findall(r"url\(([^)]*)\)|@import\s+(\S+)", data)  # type: ignore[arg-type]


def read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def expected_items(advice: Advice) -> list[tuple[str, str]]:
    return [(item.id, item.title) for item in advice.all_items()]


def fact_keys(advice: Advice) -> list[str]:
    """The rows of the facts table: the stated facts (but the id), then the unstated facts a
    reason read, each in the order of the case form."""
    keys = advice.vocabulary.keys
    read = {key for item in advice.all_items() for key, _ in item.because.facts}
    stated = advice.case.facts
    return [k for k in keys if k in stated and k != "id"] + [
        k for k in keys if k in read and k not in stated
    ]


def cited_clauses(advice: Advice) -> dict[str, str]:
    vocab = advice.vocabulary
    return {c: vocab.clause_title(c) for item in advice.all_items() for c in item.clauses}


# -- every library case ---------------------------------------------------------------------
def test_the_library_is_there():
    assert len(CASES) >= 40


def test_a_layout_program_is_installed_with_the_project():
    """graphviz-pure is a dependency: the report draws its graph without any system package."""
    assert any(Path(p).name in ("dot", "graphviz-pure") for p in find_programs())


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_html_report_of_every_library_case_says_what_it_must(path):
    advice = advice_on(path.name)
    page = read(html_of(path.name))
    assert page.by_id["case-id"] == advice.case.id
    assert sorted(page.items.items()) == sorted(expected_items(advice))
    for item in advice.all_items():
        for clause in item.clauses:
            assert f"#clause-{clause}" in page.anchors
    assert page.clauses.keys() == cited_clauses(advice).keys()
    for clause, title in cited_clauses(advice).items():
        assert title in page.by_id[f"clause-{clause}"]
    assert page.questions == [q.key for q in advice.open_questions]
    for question in advice.open_questions:
        assert question.question in page.by_id["questions"]
        for affected in question.items:
            assert affected.id in page.by_id["questions"]
    assert page.facts == fact_keys(advice)
    # the summary counts as the advice does
    summary = page.by_id["summary"]
    assert f"{len(advice.findings)} finding(s)" in summary
    assert f"{len(advice.recommendations)} recommendation(s)" in summary
    # every in-page link leads to an element that exists
    for anchor in page.anchors:
        if anchor.startswith("#"):
            assert anchor[1:] in page.ids, anchor


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_html_report_embeds_everything_and_loads_nothing(path):
    html = html_of(path.name)
    page = read(html)
    assert page.loads == []
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';" in html
    assert not {"script", "link", "img", "iframe", "object", "embed"} & page.tags
    assert not re.search(r"\son[a-z]+\s*=", html)  # no event handler attribute
    for anchor in page.anchors:  # links are to the page itself or sources to read
        assert anchor.startswith(("#", "https://", "http://")), anchor


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_graph_of_every_library_case_has_a_node_per_item_and_fact_read(path):
    advice = advice_on(path.name)
    report = gather(advice)
    items = advice.all_items()
    if not items:
        assert report.dot is None and report.picture is None
        assert "No item, so no graph." in html_of(path.name)
        return
    assert report.picture is not None and report.picture.svg is not None, report.picture
    svg = ET.fromstring(report.picture.svg)
    nodes = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "node"]
    facts = {key for item in items for key, _ in item.because.facts}
    assert len(nodes) == len(items) + len(facts)
    links = {a.get("href") for a in svg.iter(f"{SVG}a")}
    assert links == {f"#item-{i.id}" for i in items} | {f"#fact-{k}" for k in facts}
    edges = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"]
    wanted = {
        (k, i.id) for i in items for k, _ in i.because.facts
    } | {(p.id, i.id) for i in items for p in i.because.premises}
    assert len(edges) == len(wanted)
    assert report.picture.svg in html_of(path.name)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_markdown_report_of_every_library_case_says_what_it_must(path):
    advice = advice_on(path.name)
    text = markdown_of(path.name)
    assert f"`{advice.case.id}`" in text
    for item in advice.all_items():
        assert f"# {markdown_text(item.title)}\n" in text  # a heading of its own
        assert f"`{item.id}`" in text
    for clause, title in cited_clauses(advice).items():
        assert f"| `{clause}` | {markdown_text(title)} |" in text
    for question in advice.open_questions:
        asked = markdown_text(question.question)
        assert f"**{asked}** {markdown_text(question.label)} `{question.key}`" in text
    if advice.all_items():
        dot = justification_dot(advice)
        assert dot is not None and f"```dot\n{dot}```" in text
    else:
        assert "No item, so no graph." in text
    assert "<" not in text.replace("<http", "")  # no HTML: only autolinks to sources


# -- hostile text ---------------------------------------------------------------------------
HOSTILE = {
    "id": "hostile-case",
    "title": '<script>alert("t")</script> # not a heading & [x](javascript:alert(1)) `tick` *b*',
    "organisation": "<img src=x onerror=alert(1)>",
    "legal_regime": "own-rules",
    "procedure": "invitation-to-tender",
    "award_basis": "lowest-price",
    "co_development": True,
    "innovation_incentives": [],
}


def test_hostile_case_text_is_escaped_in_the_html_report():
    kb = default_kb()
    advice = kb.advise(load_case(HOSTILE))
    assert advice.items  # the title must reach a page with items and a graph
    html = render_report(advice, "html")
    page = read(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert page.by_id["case-title"] == " ".join(str(HOSTILE["title"]).split())
    assert str(HOSTILE["organisation"]) in page.text


def test_hostile_case_text_is_escaped_in_the_markdown_report():
    kb = default_kb()
    text = render_report(kb.advise(load_case(HOSTILE)), "markdown")
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    assert "\\[x\\](javascript:alert(1))" in text
    assert not re.search(r"^#+ not a heading", text, re.MULTILINE)


def test_labels_reach_the_picture_exactly_as_written():
    """Whatever a label holds (quotes, backslashes, DOT escapes, entities, markup, control
    characters), the SVG shows that text and nothing runs."""
    hostile = [
        '"quoted" \\ back\\slash \\n \\l \\N',
        "&amp; & &#60; <script>alert(1)</script>",
        "]; x -> y [label=\"injected\"",
        "bell\x07 and <b>bold</b>",
    ]
    nodes = "\n".join(f"  n{i} [label=\"{_label(t)}\"];" for i, t in enumerate(hostile))
    result = layout(f"digraph g {{\n{nodes}\n}}\n")
    assert result.svg is not None, result.problem
    svg = ET.fromstring(result.svg)
    shown = [
        "".join(t.text or "" for t in g.iter(f"{SVG}text"))
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "node"
    ]
    wanted = [" ".join(t.replace("\x07", "\\x07").split()) for t in hostile]
    assert ["".join(s.split()) for s in shown] == ["".join(w.split()) for w in wanted]
    assert not any(e.tag.endswith("script") for e in svg.iter())


def test_a_dot_string_cannot_end_early():
    assert dot_string('a"b\\') == '"a\\"b\\\\"'
    assert dot_string("x\ny") == '"x y"'


def test_the_svg_is_rebuilt_from_allowed_parts_only():
    dirty = (
        '<?xml version="1.0"?><!-- c --><svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)" width="10pt">'
        '<script>alert(2)</script><g class="node" style="x"><a xlink:href="https://evil.example/"'
        ' xlink:title="t"><text x="1" onclick="alert(3)">hi &amp; bye</text></a>'
        '<a href="#item-x"><path d="M0,0"/></a></g><foreignObject><div>html</div>'
        '</foreignObject><image href="https://evil.example/i.png"/></svg>'
    )
    clean = sanitise_svg(dirty)
    assert "alert" not in clean and "evil" not in clean and "foreignObject" not in clean
    assert "style=" not in clean and "image" not in clean and "<!--" not in clean
    assert 'href="#item-x"' in clean and "hi &amp; bye" in clean
    with pytest.raises(ValueError):
        sanitise_svg("<html>no svg</html>")
    with pytest.raises(ValueError):
        sanitise_svg('<svg xmlns="http://www.w3.org/2000/svg"><!DOCTYPE x></svg>')


# -- without a layout program ---------------------------------------------------------------
def _failing_program(tmp_path: Path, body: str) -> str:
    program = tmp_path / "fake-dot"
    program.write_text(f"#!/bin/sh\n{body}\n")
    program.chmod(0o755)
    return str(program)


@pytest.mark.parametrize("programs, said", [
    ([], "no Graphviz layout program is installed"),
    (["/nonexistent/dot"], "dot could not be run"),
])
def test_without_a_layout_program_the_report_says_why_and_still_renders(programs, said):
    name = "cern-prototype-abnormally-low-bid.yaml"
    html = render_report(advice_on(name), "html", programs=programs)
    page = read(html)
    assert said in page.by_id["no-graph"]
    assert "<svg" not in html
    assert sorted(page.items.items()) == sorted(expected_items(advice_on(name)))


def test_a_failing_or_slow_or_garbled_layout_program_is_named_and_skipped(tmp_path):
    dot = justification_dot(advice_on("cern-prototype-abnormally-low-bid.yaml"))
    assert dot is not None
    failing = _failing_program(tmp_path, "echo 'syntax error in line 1' >&2; exit 3")
    result = layout(dot, [failing])
    assert result.svg is None and result.problem == (
        "fake-dot failed with status 3: syntax error in line 1"
    )
    garbled = _failing_program(tmp_path, "cat >/dev/null; echo '<svg><unclosed'")
    assert "fake-dot wrote an unusable SVG" in (layout(dot, [garbled]).problem or "")
    slow = _failing_program(tmp_path, "exec sleep 30")
    assert layout(dot, [slow], timeout=0.5).problem == "fake-dot took longer than 0.5 s"
    # a working program after a broken one is used
    working = find_programs()
    assert layout(dot, ["/nonexistent/dot", *working]).svg is not None


def test_debian_dot_is_preferred_when_installed(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    found = find_programs()
    assert found[0] == str(fake)
    assert any(Path(p).name == "graphviz-pure" for p in found[1:])


# -- the command ----------------------------------------------------------------------------
runner = CliRunner()
LOW_BID = str(ROOT / "cases" / "cern-prototype-abnormally-low-bid.yaml")


def test_the_format_follows_the_file_suffix():
    assert format_for(Path("a.md")) == format_for(Path("A.MARKDOWN")) == "markdown"
    assert format_for(Path("a.html")) == format_for(Path("a")) == format_for(None) == "html"


def test_report_writes_html_to_standard_output_by_default():
    result = runner.invoke(app, ["report", LOW_BID])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert read(result.stdout).by_id["case-id"] == "cern-prototype-abnormally-low-bid"


def test_report_writes_the_format_its_file_asks_for(tmp_path):
    for name, start in (("r.md", "# Advice on "), ("r.html", "<!DOCTYPE html>")):
        result = runner.invoke(app, ["report", LOW_BID, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).read_text().startswith(start)
    forced = tmp_path / "forced.html"
    result = runner.invoke(app, ["report", LOW_BID, "--output", str(forced), "-f", "markdown"])
    assert result.exit_code == 0 and forced.read_text().startswith("# Advice on ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forced.html", "r.html", "r.md"]


def test_report_without_a_layout_program_warns_and_still_writes(tmp_path, monkeypatch):
    import innoproc.export.report.graph as graph

    monkeypatch.setattr(graph, "PROGRAMS", ("innoproc-no-such-layout-program",))
    target = tmp_path / "r.html"
    result = runner.invoke(app, ["report", LOW_BID, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "innoproc: the report has no graph: no Graphviz layout program is installed "
        "(neither dot nor graphviz-pure)"
    )
    page = read(target.read_text())
    assert "no Graphviz layout program is installed" in page.by_id["no-graph"]
    assert "<svg" not in target.read_text()


def test_report_markdown_to_standard_output_matches_the_api():
    result = runner.invoke(app, ["report", LOW_BID, "--format", "markdown"])
    assert result.exit_code == 0
    assert result.stdout == markdown_of("cern-prototype-abnormally-low-bid.yaml")


def test_report_cannot_write_where_there_is_no_folder(tmp_path):
    result = runner.invoke(app, ["report", LOW_BID, "-o", str(tmp_path / "missing" / "r.html")])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"innoproc: cannot write {tmp_path / 'missing' / 'r.html'}: No such file or directory"
    ]
    result = runner.invoke(app, ["report", LOW_BID, "-o", str(tmp_path)])
    assert result.exit_code == 2 and "it is a folder" in result.stderr


def test_report_on_a_bad_case_is_one_line_per_problem_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntrl: 12\n")
    result = runner.invoke(app, ["report", str(bad)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "trl: found 12" in result.stderr and "Traceback" not in result.stderr


def test_report_keeps_the_old_file_when_rendering_fails(tmp_path, monkeypatch):
    import innoproc.export.report.render as render

    target = tmp_path / "r.html"
    target.write_text("old")

    def broken(report: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(render, "render_html", broken)
    result = runner.invoke(app, ["report", LOW_BID, "-o", str(target)])
    assert result.exit_code == 70
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["r.html"]


# -- a real browser -------------------------------------------------------------------------
DOM_FACTS = """JSON.stringify({
  caseId: document.querySelector('#case-id').textContent,
  items: [...document.querySelectorAll('article[data-item]')]
    .map(a => [a.dataset.item, a.querySelector('h3').textContent]),
  clauses: [...document.querySelectorAll('#clauses tr[data-clause]')]
    .map(r => [r.dataset.clause, r.children[1].textContent]),
  questions: [...document.querySelectorAll('#questions li[data-key]')].map(l => l.dataset.key),
  facts: [...document.querySelectorAll('#facts tr[data-key]')].map(r => r.dataset.key),
  nodes: document.querySelectorAll('#graph svg g.node').length,
  graphWidth: (document.querySelector('#graph svg') || {getBoundingClientRect: () => ({width: 0})})
    .getBoundingClientRect().width,
  resources: performance.getEntriesByType('resource').map(e => e.name),
  scripts: document.scripts.length,
  height: document.documentElement.scrollHeight,
})"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(NO_BROWSER)
    opened = Browser()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """Where the screenshots go: INNOPROC_SCREENSHOTS if set (to keep them), else a tmp folder."""
    kept = os.environ.get("INNOPROC_SCREENSHOTS")
    folder = Path(kept) if kept else tmp_path_factory.mktemp("report-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_chromium_shows_each_library_case_report(path, browser, screenshots, tmp_path):
    import json

    advice = advice_on(path.name)
    page = tmp_path / f"{path.stem}.html"
    page.write_text(html_of(path.name), encoding="utf-8")
    url = page.resolve().as_uri()
    loaded = browser.load(url, DOM_FACTS)
    seen = json.loads(loaded.values)
    assert seen["caseId"] == advice.case.id
    assert sorted(map(tuple, seen["items"])) == sorted(expected_items(advice))
    assert dict(seen["clauses"]) == cited_clauses(advice)
    assert seen["questions"] == [q.key for q in advice.open_questions]
    assert seen["facts"] == fact_keys(advice)
    facts = {key for item in advice.all_items() for key, _ in item.because.facts}
    assert seen["nodes"] == (len(advice.all_items()) + len(facts) if advice.all_items() else 0)
    if advice.all_items():
        assert seen["graphWidth"] > 100
    assert seen["scripts"] == 0 and seen["resources"] == []
    assert loaded.requests == [url]  # the page itself, nothing else
    shot = screenshots / f"report-{path.stem}.png"
    shot.write_bytes(loaded.screenshot)
    assert loaded.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", loaded.screenshot[16:24]) == (browser.width, browser.height)
    assert len(loaded.screenshot) > 30_000  # a blank page is a few kilobytes


def test_chromium_runs_nothing_from_a_hostile_case(browser, tmp_path):
    import json

    advice = default_kb().advise(load_case(HOSTILE))
    page = tmp_path / "hostile.html"
    page.write_text(render_report(advice, "html"), encoding="utf-8")
    script = """JSON.stringify({
      title: document.querySelector('#case-title').textContent,
      scripts: document.scripts.length,
      images: document.images.length,
      handlers: [...document.querySelectorAll('*')].filter(
        e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
      items: document.querySelectorAll('article[data-item]').length,
    })"""
    loaded = browser.load(page.resolve().as_uri(), script)
    seen = json.loads(loaded.values)
    assert seen["title"] == " ".join(str(HOSTILE["title"]).split())
    assert seen["scripts"] == seen["images"] == seen["handlers"] == 0
    assert seen["items"] == len(advice.all_items()) > 0
    assert loaded.requests == [page.resolve().as_uri()]


def test_the_hostile_markdown_renders_to_no_markup_of_its_own():
    """Rendered by a CommonMark parser that passes raw HTML through (markdown-it, which rich
    brings), the hostile text yields no tag, link or heading of its own."""
    from markdown_it import MarkdownIt

    kb = default_kb()
    advice = kb.advise(load_case(dict(HOSTILE, organisation="1. list `x` | pipe <b>")))
    html = MarkdownIt("commonmark").enable("table").render(render_report(advice, "markdown"))
    page = read(html)
    assert not {"script", "img", "b"} & page.tags
    assert "javascript:" not in " ".join(page.anchors)
    assert html.count("<h1>") == 1
    assert str(HOSTILE["title"]) in page.text
    # the reasons nest: each premise's own reason is a list inside the item that names it
    assert re.search(r"<li>finding <strong>[^<]+</strong> <code>[^<]+</code> \(CH-5, KC-2\)\s*<ul>",
                     html)

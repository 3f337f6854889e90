"""The justification graph of a report: facts → findings → recommendations, laid out by Graphviz.

The DOT text is written here, never by a library, so that every label is escaped in one place:
case text reaches Graphviz only inside quoted strings, with backslashes, quotes and ``&`` escaped
(Graphviz reads ``&amp;`` in a label as an entity, so a bare ``&`` is written as one) and control
characters shown as visible escapes. Node names are generated (``f1``, ``i1``), never taken from
the case.

The layout runs in a separate program, found in this order: Debian's ``dot`` (package
``graphviz``) when it is installed, else ``graphviz-pure``, the dot-compatible program the
``graphviz-pure`` wheel installs beside innoproc, so a plain ``pip install`` is enough. It runs
with a time limit and a bounded output; when no program works the report says why and renders
without the picture.

What comes back is re-read as XML and rebuilt from an allow-list of SVG elements and attributes
before it is embedded in the HTML: no script, no event handler, no link leaving the page, no
DOCTYPE or comment survives, whatever the program wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from innoproc.explain import Advice, AdviceItem
from innoproc.ontology import FactValue, Vocabulary
from innoproc.reading.files import CONTROL

#: layout programs, the first that is found and works is used
PROGRAMS = ("dot", "graphviz-pure")
#: seconds a layout may take (the library's graphs take a few hundredths of a second)
TIMEOUT = 20.0
#: the largest SVG accepted from the layout program
MAX_SVG_BYTES = 5_000_000
#: characters per line of a node's label
WRAP = 30

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_XML = "http://www.w3.org/XML/1998/namespace"

_FILL = {"fact": "#eef2f7", "unknown": "#ffffff", "high": "#f8d7d3", "medium": "#fbe8c8"}
_FILL_DEFAULT = {"finding": "#fff6d6", "recommendation": "#dcefdc", "in-place": "#e6f0fa"}


@dataclass(frozen=True)
class Layout:
    """The picture, or why there is none: ``svg`` is sanitised markup ready to embed."""

    svg: str | None
    program: str | None
    problem: str | None = None


# -- DOT ------------------------------------------------------------------------------------
def dot_string(text: str) -> str:
    """``text`` as a DOT quoted string whose label shows exactly ``text``."""
    text = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", " ".join(text.split()))
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return f'"{text}"'


def _label(*lines: str) -> str:
    """A multi-line label: each line wrapped, the lines joined by DOT's centred line break."""
    wrapped: list[str] = []
    for line in lines:
        flat = " ".join(line.split())
        wrapped += textwrap.wrap(flat, WRAP, break_long_words=True) or [""]
    return "\\n".join(dot_string(w)[1:-1] for w in wrapped)


@dataclass(frozen=True)
class _Node:
    name: str
    label: str
    kind: str
    fill: str
    anchor: str
    tooltip: str
    dashed: bool = False


def graph_items(advice: Advice) -> list[AdviceItem]:
    """The items the picture shows: every concluded item, alternatives included."""
    return list(advice.all_items())


def justification_dot(advice: Advice) -> str | None:
    """The justification graph as DOT text, or None when the advice has no item."""
    items = graph_items(advice)
    if not items:
        return None
    vocab = advice.vocabulary
    in_place = {i.id for i in advice.in_place}
    alternatives = {a.id for r in advice.recommendations for a in r.alternatives}
    facts: dict[str, _Node] = {}
    nodes: dict[str, _Node] = {}
    edges: list[tuple[str, str, bool]] = []
    for number, item in enumerate(items, start=1):
        name = f"i{number}"
        nodes[item.id] = _item_node(name, item, item.id in in_place, item.id in alternatives)
    for item in items:
        target = nodes[item.id].name
        for key, value in item.because.facts:
            if key not in facts:
                facts[key] = _fact_node(f"f{len(facts) + 1}", key, value, vocab)
            edges.append((facts[key].name, target, value is None))
        for premise in item.because.premises:
            if premise.id in nodes:
                edges.append((nodes[premise.id].name, target, False))
    lines = [
        "digraph justification {",
        '  graph [rankdir=LR, nodesep=0.25, ranksep=0.6, bgcolor="transparent", fontname="Arial"];',
        '  node [shape=box, style="rounded,filled", fontname="Arial", fontsize=11, '
        'margin="0.14,0.06", color="#5b6b7f", penwidth=1];',
        '  edge [color="#6b7785", arrowsize=0.7];',
    ]
    for rank, members in (
        ("facts", list(facts.values())),
        ("findings", [nodes[i.id] for i in items if i.kind == "finding"]),
        ("recommendations", [nodes[i.id] for i in items if i.kind == "recommendation"]),
    ):
        if not members:
            continue
        lines.append(f"  subgraph {rank} {{ rank=same;")
        lines += [f"    {_node_line(node)}" for node in members]
        lines.append("  }")
    for source, target, dashed in dict.fromkeys(edges):
        style = ' [style="dashed"]' if dashed else ""
        lines.append(f"  {source} -> {target}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_line(node: _Node) -> str:
    style = "rounded,filled,dashed" if node.dashed else "rounded,filled"
    shape = "note" if node.kind == "fact" else "box"
    return (
        f'{node.name} [label="{node.label}", shape={shape}, style="{style}", '
        f'fillcolor="{node.fill}", href={dot_string(node.anchor)}, '
        f"tooltip={dot_string(node.tooltip)}];"
    )


def _item_node(name: str, item: AdviceItem, in_place: bool, alternative: bool) -> _Node:
    if item.kind == "finding":
        heading = f"{item.severity or ''} {item.finding_kind or 'finding'}".strip()
        fill = _FILL.get(item.severity or "", _FILL_DEFAULT["finding"])
    elif in_place:
        heading, fill = "already in place", _FILL_DEFAULT["in-place"]
    else:
        heading = "alternative" if alternative else "recommendation"
        fill = _FILL_DEFAULT["recommendation"]
    label = _label(f"{heading} · {', '.join(item.clauses)}", item.title)
    return _Node(name, label, item.kind, fill, f"#item-{item.id}", item.id, dashed=alternative)


def _fact_node(name: str, key: str, value: FactValue | None, vocab: Vocabulary) -> _Node:
    from innoproc.export.words import fact_in_words

    words = fact_in_words(vocab, key, value)
    fill = _FILL["unknown"] if value is None else _FILL["fact"]
    return _Node(name, _label(words), "fact", fill, f"#fact-{key}", key, dashed=value is None)


# -- layout ---------------------------------------------------------------------------------
def find_programs(names: Iterable[str] | None = None) -> list[str]:
    """The layout programs installed, in order of preference: on PATH, beside the Python
    running innoproc (a virtual environment's ``bin`` need not be on PATH), or, for a program
    a Python package installs, where that package's record says it put it (``names``:
    default :data:`PROGRAMS`)."""
    found: list[str] = []
    for name in PROGRAMS if names is None else names:
        path = shutil.which(name) or _beside_python(name) or _installed_by_package(name)
        if path is not None and path not in found:
            found.append(path)
    return found


def _executable(path: Path) -> str | None:
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def _beside_python(name: str) -> str | None:
    places = {
        sysconfig.get_path("scripts"),
        sysconfig.get_path("scripts", f"{os.name}_user"),
        str(Path(sys.executable).parent),
    }
    return next((p for place in places if place and (p := _executable(Path(place) / name))), None)


def _installed_by_package(name: str) -> str | None:
    from importlib import metadata

    try:
        files = metadata.distribution(name).files or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == name:
            found = _executable(Path(str(file.locate())).resolve())
            if found is not None:
                return found
    return None


def layout(dot: str, programs: Sequence[str] | None = None, timeout: float = TIMEOUT) -> Layout:
    """Lay ``dot`` out as SVG with the first program that works; say why when none does."""
    candidates = find_programs() if programs is None else list(programs)
    if not candidates:
        return Layout(
            None,
            None,
            "no Graphviz layout program is installed (neither dot nor graphviz-pure)",
        )
    problems: list[str] = []
    for program in candidates:
        name = Path(program).name
        try:
            done = subprocess.run(
                [program, "-Tsvg"],
                input=dot.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            problems.append(f"{name} took longer than {timeout:g} s")
            continue
        except OSError as exc:
            problems.append(f"{name} could not be run ({exc.strerror or exc})")
            continue
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            problems.append(
                f"{name} failed with status {done.returncode}" + (f": {said[0]}" if said else "")
            )
            continue
        if len(done.stdout) > MAX_SVG_BYTES:
            problems.append(f"{name} wrote more than {MAX_SVG_BYTES} bytes")
            continue
        try:
            return Layout(sanitise_svg(done.stdout.decode("utf-8")), name)
        except ValueError as exc:
            problems.append(f"{name} wrote an unusable SVG ({exc})")
    return Layout(None, None, "; ".join(problems))


# -- sanitising -----------------------------------------------------------------------------
_ELEMENTS = {"svg", "g", "title", "polygon", "polyline", "ellipse", "path", "text", "a"}
_ATTRIBUTES = {
    "width",
    "height",
    "viewBox",
    "id",
    "class",
    "transform",
    "fill",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "points",
    "cx",
    "cy",
    "rx",
    "ry",
    "d",
    "x",
    "y",
    "text-anchor",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "fill-opacity",
    "stroke-opacity",
}


def sanitise_svg(text: str) -> str:
    """The SVG rebuilt from allowed elements and attributes only, as inline markup.

    The prolog, DOCTYPE and comments are dropped before parsing (nothing is fetched or
    expanded); links are kept only when they point inside the page (``#...``)."""
    start = text.find("<svg")
    if start < 0:
        raise ValueError("no <svg> element")
    body = text[start:]
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        raise ValueError("a DOCTYPE after the root element")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    if root.tag != f"{{{_SVG}}}svg":
        raise ValueError("the root element is not an SVG")
    clean = _rebuild(root)
    if clean is None:  # pragma: no cover - the root was checked above
        raise ValueError("empty SVG")
    clean.set("role", "img")
    clean.set("aria-label", "justification graph: facts, findings and recommendations")
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", _XLINK)
    return ET.tostring(clean, encoding="unicode", short_empty_elements=True)


def _rebuild(element: ET.Element) -> ET.Element | None:
    local = element.tag.removeprefix(f"{{{_SVG}}}")
    if local not in _ELEMENTS:  # another namespace keeps its braces and is dropped too
        return None
    copy = ET.Element(f"{{{_SVG}}}{local}")
    for name, value in element.attrib.items():
        if name in _ATTRIBUTES:
            copy.set(name, value)
        elif name in (f"{{{_XLINK}}}href", "href") and value.startswith("#"):
            copy.set("href", value)
        elif name in (f"{{{_XLINK}}}title", "title"):
            copy.set(f"{{{_XLINK}}}title", value)
        elif name == f"{{{_XML}}}space":
            copy.set(name, value)
    copy.text = element.text
    for child in element:
        kept = _rebuild(child)
        if kept is not None:
            kept.tail = child.tail
            copy.append(kept)
    return copy

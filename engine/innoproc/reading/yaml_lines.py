"""YAML reading that remembers where things were written, within the reading policy.

Error messages must name the line of the offending key, and PyYAML's ``safe_load`` forgets
positions and silently keeps the last of two duplicate keys. This module composes the node tree
itself and builds plain dicts and lists that also carry their line numbers (1-based).

It reads the plain subset of YAML a case or a rule needs and refuses the rest, each with the
line where it starts: anchors and aliases (the way an alias bomb multiplies a small file into
gigabytes), tags outside YAML's core schema (``!!binary``, ``!!python/...``, ``!custom``), and
anything past the limits on depth, keys, items, values, text and numbers. Dates stay text: a
title such as ``2024-01-01`` is not turned into a date.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from innoproc.errors import Problem

from .limits import Limits, current_limits, over_limit

_CORE = "tag:yaml.org,2002:"
#: tags a case or rule may use, written or implied
CORE_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null", "map", "seq")}
_STR = _CORE + "str"


class LineDict(dict[str, Any]):
    """A mapping that knows the line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence that knows the line of itself and of each of its items."""

    line: int = 0
    item_lines: list[int]


class YamlSyntaxError(Exception):
    """The text is not YAML we read; carries the problems found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class _Refused(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that composes no alias or anchor, nests no deeper than the limit, and leaves
    dates as text."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _CORE + "timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, text: str, source: str, limits: Limits):
        super().__init__(text)
        self.source = source
        self.limits = limits
        self.depth = 0

    def _refuse(self, event: yaml.Event, message: str, code: str) -> _Refused:
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        return _Refused(Problem(self.source, message, line, code=code))

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise self._refuse(
                event,
                "found an anchor or alias (& or *); allowed: plain values written out",
                "input/alias",
            )
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise self._refuse(
                event,
                over_limit(
                    self.limits, "max_depth", f"nesting deeper than {self.limits.max_depth} levels"
                ),
                "input/too-deep",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def line_of(obj: Any, default: int | None = None) -> int | None:
    """Line where ``obj`` starts, when it came from :func:`load_yaml`."""
    return getattr(obj, "line", default)


def load_yaml(text: str, source: str, limits: Limits | None = None) -> tuple[Any, list[Problem]]:
    """Parse one YAML document into LineDict/LineList/scalars (``None`` for an empty document).

    Also returns the repeated and non-text keys it found: they are problems of the file, but
    not ones that stop the rest of it from being checked.
    """
    limits = limits or current_limits()
    if _LIBYAML is not None and _plain_enough(text, limits):
        fast = _load_with_libyaml(text, source, limits)
        if fast is not None:
            return fast
    loader = _PlainLoader(text, source, limits)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        problems: list[Problem] = []
        data = _Builder(loader, source, problems).build(node)
    except _Refused as exc:
        raise YamlSyntaxError([exc.problem]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlSyntaxError(
            [Problem(source, f"malformed YAML: {what}", line=line, code="input/syntax")]
        ) from None
    finally:
        loader.dispose()
    return data, problems


class _Builder:
    """Turns composed nodes into LineDict/LineList/scalars, counting against the limits."""

    def __init__(self, loader: Any, source: str, problems: list[Problem]):
        self.loader = loader
        self.limits = loader.limits
        self.source = source
        self.problems = problems
        self.nodes = 0

    def _refuse(self, node: yaml.Node, message: str, code: str) -> _Refused:
        return _Refused(Problem(self.source, message, node.start_mark.line + 1, code=code))

    def build(self, node: yaml.Node) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self._refuse(
                node,
                over_limit(self.limits, "max_nodes", f"more than {self.limits.max_nodes:,} values"),
                "input/too-many",
            )
        if node.tag not in CORE_TAGS:
            raise self._refuse(
                node,
                f"found the tag {node.tag!r}; allowed: plain values (text, numbers, true/false,"
                " lists and mappings) without tags",
                "input/tag",
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node)
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode) -> LineDict:
        if len(node.value) > self.limits.max_mapping_keys:
            raise self._refuse(
                node,
                over_limit(
                    self.limits, "max_mapping_keys", f"{len(node.value):,} keys in one mapping"
                ),
                "input/too-many",
            )
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.build(key_node)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                self.problems.append(
                    Problem(
                        self.source,
                        f"found key {key!r:.60}; keys must be text",
                        key_line,
                        code="input/non-text-key",
                    )
                )
                continue
            if key in result:
                self.problems.append(
                    Problem(
                        self.source,
                        f"duplicate key (first given on line {result.key_lines[key]})",
                        key_line,
                        key,
                        code="input/duplicate-key",
                    )
                )
                continue
            result[key] = self.build(value_node)
            result.key_lines[key] = key_line
        return result

    def _sequence(self, node: yaml.SequenceNode) -> LineList:
        if len(node.value) > self.limits.max_list_items:
            raise self._refuse(
                node,
                over_limit(self.limits, "max_list_items", f"{len(node.value):,} items in one list"),
                "input/too-many",
            )
        items = LineList()
        items.line = node.start_mark.line + 1
        items.item_lines = []
        for item in node.value:
            items.append(self.build(item))
            items.item_lines.append(item.start_mark.line + 1)
        return items

    def _scalar(self, node: yaml.Node) -> Any:
        value = node.value
        if len(value) > self.limits.max_text_chars:
            raise self._refuse(
                node,
                over_limit(self.limits, "max_text_chars", f"a value of {len(value):,} characters"),
                "input/too-large",
            )
        if node.tag in (_CORE + "int", _CORE + "float") and len(value) > (
            self.limits.max_number_chars
        ):
            raise self._refuse(
                node,
                f"found a number written with {len(value):,} characters; allowed: at most "
                f"{self.limits.max_number_chars}",
                "input/number",
            )
        if node.tag == _STR:  # what SafeConstructor makes of text, without its dispatch
            return value
        result = self.loader.construct_object(node, deep=True)
        if isinstance(result, float) and not math.isfinite(result):
            raise self._refuse(node, f"found {value!r}; allowed: a finite number", "input/number")
        return result


# -- the same reading, parsed by libyaml ------------------------------------------------------
#
# PyYAML's pure-Python scanner and parser take one to three milliseconds for a case file, more
# than checking the case. libyaml composes the same node tree some ten times faster, but cannot
# show anchors (it resolves them) and composes by recursion in C. So it reads only text where
# neither can matter: no ``&`` or ``*`` that could begin an anchor or alias, nesting that cannot
# go deep (the characters that open a collection, plus the lines, bound the depth), and only
# characters PyYAML's own reader accepts. Whatever libyaml refuses, or composes deeper than the
# limit, is read again by the pure-Python path, so every message stays the one that path gives.

#: PyYAML's loader on libyaml, when PyYAML was built with it
_LIBYAML: Any = getattr(yaml, "CSafeLoader", None)

#: an ``&`` or ``*`` that could start an anchor or alias: one not inside a word (``R&D`` is text)
_ANCHOR_OR_ALIAS = re.compile(r"(?:\A|[^A-Za-z0-9])[&*]")

#: at most this many possible levels of nesting for the text to be composed by libyaml
_LIBYAML_NESTING = 1_000


def _plain_enough(text: str, limits: Limits) -> bool:
    if _ANCHOR_OR_ALIAS.search(text) or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return False
    openers = sum(text.count(c) for c in "[{-?") + text.count("\n") + 1
    return openers <= _LIBYAML_NESTING


def _too_deep(node: yaml.Node, limit: int) -> bool:
    stack = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, yaml.MappingNode):
            stack.extend((n, depth + 1) for pair in item.value for n in pair)
        elif isinstance(item, yaml.SequenceNode):
            stack.extend((n, depth + 1) for n in item.value)
    return False


def _load_with_libyaml(text: str, source: str, limits: Limits) -> tuple[Any, list[Problem]] | None:
    """The document read by libyaml, or None to leave it to the pure-Python path."""
    loader = _LIBYAML(text)
    # the resolvers of the pure-Python path: dates stay text
    loader.yaml_implicit_resolvers = _PlainLoader.yaml_implicit_resolvers
    loader.limits = limits
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        if _too_deep(node, limits.max_depth):
            return None
        problems: list[Problem] = []
        data = _Builder(loader, source, problems).build(node)
    except _Refused as exc:
        raise YamlSyntaxError([exc.problem]) from None
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return data, problems

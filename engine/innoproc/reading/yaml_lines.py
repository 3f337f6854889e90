"""YAML reading that remembers where things were written.

Error messages must name the line of the offending key, and PyYAML's ``safe_load`` forgets
positions and silently keeps the last of two duplicate keys. This module composes the node tree
itself and builds plain dicts and lists that also carry their line numbers (1-based).
"""

from __future__ import annotations

from typing import Any

import yaml

from innoproc.errors import Problem


class LineDict(dict[str, Any]):
    """A mapping that knows the line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence that knows the line of itself and of each of its items."""

    line: int = 0
    item_lines: list[int]


class YamlSyntaxError(Exception):
    """The text is not YAML; carries the problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def line_of(obj: Any, default: int | None = None) -> int | None:
    """Line where ``obj`` starts, when it came from :func:`load_yaml`."""
    return getattr(obj, "line", default)


def load_yaml(text: str, source: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document into LineDict/LineList/scalars (``None`` for an empty document).

    Also returns the repeated and non-text keys it found: they are problems of the file, but
    not ones that stop the rest of it from being checked.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        problems: list[Problem] = []
        data = _build(node, loader, source, problems)
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


def _build(node: yaml.Node, loader: yaml.SafeLoader, source: str, problems: list[Problem]) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = LineDict()
        result.line = line
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                problems.append(
                    Problem(
                        source,
                        f"found key {key!r}; keys must be text",
                        key_line,
                        code="input/non-text-key",
                    )
                )
                continue
            if key in result:
                problems.append(
                    Problem(
                        source,
                        f"duplicate key (first given on line {result.key_lines[key]})",
                        key_line,
                        key,
                        code="input/duplicate-key",
                    )
                )
                continue
            result[key] = _build(value_node, loader, source, problems)
            result.key_lines[key] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LineList()
        items.line = line
        items.item_lines = []
        for item in node.value:
            items.append(_build(item, loader, source, problems))
            items.item_lines.append(item.start_mark.line + 1)
        return items
    return loader.construct_object(node, deep=True)

"""The structure of a rule file, checked with its JSON Schema.

A KB folder may carry its own ``schema/rules.schema.json``; one without uses the package's. Schema
errors name the rule by its id (``rule prescriptive-spec: then.finding.severity``) rather than by
its position in the file, since that is how a knowledge engineer finds it. Conditions are left to
the parser, which knows the ontology and says more precisely what is wrong; the two agree on
what a well-formed condition is because both follow :mod:`innoproc.rules.grammar`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import regex
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

from innoproc.errors import InputError, KnowledgeBaseError, Problem
from innoproc.reading.files import read_text
from innoproc.reading.limits import Limits
from innoproc.reading.yaml_lines import LineDict, LineList

from .schema_location import schema_path


def load_validator(kb_folder: Path, limits: Limits | None = None) -> Draft202012Validator:
    """A validator for the KB's rule files; a malformed schema is refused, never followed out.

    The schema may refer only to its own definitions (``$ref: "#/..."``): nothing is fetched or
    read from elsewhere. Its ``pattern`` keywords run with a time limit, so a pattern that
    backtracks catastrophically cannot hang a check.
    """
    path = schema_path(kb_folder)
    own = path.parent.parent == kb_folder  # the package's own schema lies outside the KB folder
    try:
        text = read_text(path, limits, folder=kb_folder if own else None)
        schema = json.loads(text)
        Draft202012Validator.check_schema(schema)
    except InputError as exc:
        raise KnowledgeBaseError(exc.problems) from None
    except (json.JSONDecodeError, SchemaError) as exc:
        message = getattr(exc, "msg", None) or getattr(exc, "message", None) or str(exc)
        raise _schema_file_error(path, f"malformed rule schema: {message}") from None
    outside = sorted(set(_outside_references(schema)))
    if outside:
        raise _schema_file_error(
            path,
            f"the schema refers to {', '.join(outside)}; allowed: references inside the schema "
            "file (#/...)",
        )
    dangling = sorted(set(_dangling_references(schema)))
    if dangling:
        raise _schema_file_error(
            path,
            f"the schema refers to {', '.join(dangling)}, which it does not define; allowed: "
            "references to its own definitions",
        )
    registry: Registry[Any] = Registry(retrieve=_never_retrieve)  # type: ignore[call-arg]
    validator: Draft202012Validator = _TimedValidator(schema, registry=registry)
    return validator


def _schema_file_error(path: Path, message: str) -> KnowledgeBaseError:
    return KnowledgeBaseError([Problem(str(path), message, code="kb/schema-file")])


def _outside_references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                if not value.startswith("#"):
                    yield value
            else:
                yield from _outside_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _outside_references(item)


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _anchors(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$anchor", "$dynamicAnchor") and isinstance(value, str):
                yield value
            else:
                yield from _anchors(value)
    elif isinstance(node, list):
        for item in node:
            yield from _anchors(item)


def _dangling_references(schema: Any) -> Iterator[str]:
    """References within the schema (``#/$defs/x``, ``#anchor``) that point at nothing."""
    anchors = set(_anchors(schema))
    for ref in _references(schema):
        if not ref.startswith("#") or ref == "#":
            continue
        fragment = ref[1:]
        if not fragment.startswith("/"):
            if fragment not in anchors:
                yield ref
            continue
        node: Any = schema
        for part in fragment[1:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                yield ref
                break


def _never_retrieve(uri: str) -> Any:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


#: the longest a schema ``pattern`` may take on one value
PATTERN_SECONDS = 0.5


def _timed_pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    try:
        found = regex.search(pattern, instance, timeout=PATTERN_SECONDS)
    except TimeoutError:
        yield ValidationError(
            f"the schema's pattern {pattern!r} took longer than {PATTERN_SECONDS} s on this "
            "value; simplify the pattern"
        )
        return
    except regex.error as exc:
        yield ValidationError(f"the schema's pattern {pattern!r} is malformed: {exc}")
        return
    if found is None:
        yield ValidationError(f"{instance!r:.80} does not match {pattern!r}")


_TimedValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"pattern": _timed_pattern}
)


def structure_problems(validator: Draft202012Validator, data: Any, source: str) -> list[Problem]:
    """One problem per schema error outside conditions, named by rule id where there is one."""
    problems = []
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    except Unresolvable as exc:  # a $ref or $dynamicRef that leads nowhere
        raise KnowledgeBaseError(
            [
                Problem(
                    source,
                    f"the rule schema refers to {getattr(exc, 'ref', '?')!s:.80}, which it does "
                    "not define; allowed: references to the schema's own definitions",
                    code="kb/schema-file",
                )
            ]
        ) from None
    for error in errors:
        path = list(error.absolute_path)
        if "when" in path:  # conditions get precise messages from the parser
            continue
        problems.append(
            Problem(
                source,
                f"{_where(data, path)}: {error.message}",
                _line_at(data, path),
                code="kb/schema",
            )
        )
    return problems


def _where(data: Any, path: list[Any]) -> str:
    """``rule <id>: then.finding`` for a path into a rule; the dotted path otherwise."""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rules = data.get("rules") if isinstance(data, Mapping) else None
        rule = rules[path[1]] if isinstance(rules, list) and path[1] < len(rules) else None
        rule_id = rule.get("id") if isinstance(rule, Mapping) else None
        if isinstance(rule_id, str):
            rest = ".".join(str(p) for p in path[2:])
            return f"rule {rule_id}" + (f": {rest}" if rest else "")
    return ".".join(str(p) for p in path) or "(top level)"


def _line_at(data: Any, path: list[Any]) -> int | None:
    """Line of the deepest node on ``path`` that has one."""
    node, line = data, getattr(data, "line", None)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line

"""The condition language of rule files: its words, defined once.

The parser (:mod:`innoproc.rules.syntax` and :mod:`innoproc.rules.resolve`) reads its operator
tables from here, and the condition part of the JSON Schema of rule files
(``kb/schema/rules.schema.json``, ``$defs`` ``condition``, ``factTest``, ``conclusionTest``,
``scalar``) is generated from here by :func:`condition_defs`. A test checks that the schema file
holds exactly what this module generates, and that schema and parser accept the same conditions;
``python -m innoproc.rules.grammar FILE`` rewrites a schema file's condition part after a change.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

#: combinators: ``all``/``any`` take a list, ``not`` one condition, ``at_least`` a count with ``of``
LIST_COMBINATORS = ("all", "any")
NOT = "not"
AT_LEAST, OF = "at_least", "of"
#: tests on conclusions reached by other rules
CONCLUSION_KINDS = ("finding", "recommendation")
#: a fact test written as a bare word: whether the case states the key at all
PRESENCE_WORDS = ("known", "unknown")

ArgKind = Literal["values", "class", "value", "number"]
#: fact-test operators and the argument each takes
FACT_OPERATORS: dict[str, ArgKind] = {
    "in": "values",
    "all_of": "values",
    "is_a": "class",
    "after": "value",
    "before": "value",
    "at_least": "value",
    "at_most": "value",
    "lt": "number",
    "le": "number",
    "gt": "number",
    "ge": "number",
}
ORDER_OPERATORS = tuple(op for op, arg in FACT_OPERATORS.items() if arg == "value")
NUMBER_OPERATORS = tuple(op for op, arg in FACT_OPERATORS.items() if arg == "number")
#: every word that can head a condition other than a case key
RESERVED = (*LIST_COMBINATORS, NOT, AT_LEAST, OF, *CONCLUSION_KINDS)
#: how a case key is spelled in a condition (the ontology decides which keys exist)
KEY_PATTERN = "^[a-z][a-z_]*$"
#: how rule and conclusion ids are spelled
SLUG_PATTERN = "^[a-z0-9][a-z0-9-]*$"

_ARG_SCHEMA: dict[ArgKind, dict[str, Any]] = {
    "values": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/scalar"}},
    "class": {"type": "string"},
    "value": {"type": "string"},
    "number": {"type": "number"},
}


def _list_of_conditions() -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}}


def _only(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"additionalProperties": False, "required": [name], "properties": {name: schema}}


def condition_defs() -> dict[str, Any]:
    """The JSON Schema ``$defs`` of the condition language."""
    alternatives: list[dict[str, Any]] = [
        _only(name, _list_of_conditions()) for name in LIST_COMBINATORS
    ]
    alternatives.append(_only(NOT, {"$ref": "#/$defs/condition"}))
    alternatives.append(
        {
            "additionalProperties": False,
            "required": [AT_LEAST, OF],
            "properties": {
                AT_LEAST: {"type": "integer", "minimum": 1},
                OF: _list_of_conditions(),
            },
        }
    )
    alternatives += [_only(kind, {"$ref": "#/$defs/conclusionTest"}) for kind in CONCLUSION_KINDS]
    alternatives.append(
        {
            "description": "A test on one case key; the key itself is checked against the "
            "ontology.",
            "maxProperties": 1,
            "propertyNames": {"pattern": KEY_PATTERN, "not": {"enum": list(RESERVED)}},
            "additionalProperties": {"$ref": "#/$defs/factTest"},
        }
    )
    return {
        "slug": {"type": "string", "pattern": SLUG_PATTERN},
        "scalar": {"type": ["string", "number", "boolean"]},
        "factTest": {
            "description": "What a case key must satisfy: a value, `known`/`unknown`, or one "
            "operator.",
            "oneOf": [
                {"$ref": "#/$defs/scalar"},
                {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": False,
                    "properties": {op: _ARG_SCHEMA[arg] for op, arg in FACT_OPERATORS.items()},
                },
            ],
        },
        "conclusionTest": {
            "oneOf": [
                {"$ref": "#/$defs/slug"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["about"],
                    "properties": {"about": {"$ref": "#/$defs/clauseId"}},
                },
            ]
        },
        "condition": {"type": "object", "minProperties": 1, "oneOf": alternatives},
    }


def with_condition_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its condition ``$defs`` replaced by the generated ones."""
    defs = dict(schema.get("$defs", {}))
    defs.update(condition_defs())
    return {**schema, "$defs": defs}


def main(argv: list[str]) -> int:
    """Rewrite the condition part of each schema file named on the command line."""
    for name in argv:
        path = Path(name)
        schema = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(with_condition_defs(schema), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))

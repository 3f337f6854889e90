"""One definition of the condition language: the schema's condition part is generated from
innoproc.rules.grammar, and the schema and the parser accept exactly the same conditions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from innoproc.ontology import bundled_vocabulary
from innoproc.rules import grammar
from innoproc.rules.syntax import FileParser

from conftest import ROOT

SCHEMA = json.loads((ROOT / "kb" / "schema" / "rules.schema.json").read_text())
CONDITION = Draft202012Validator({"$ref": "#/$defs/condition", "$defs": SCHEMA["$defs"]})


def test_the_schema_file_holds_exactly_the_generated_condition_part():
    generated = grammar.condition_defs()
    assert {name: SCHEMA["$defs"][name] for name in generated} == generated
    assert grammar.with_condition_defs(SCHEMA) == SCHEMA


def test_the_schema_names_no_clause_id():
    """Which clause ids exist is the ontology's to say, not the schema's."""
    clause_id = SCHEMA["$defs"]["clauseId"]
    assert "pattern" not in clause_id and "enum" not in clause_id
    assert "CH-" not in json.dumps(SCHEMA) and "REC-" not in json.dumps(SCHEMA)


def test_regenerating_a_schema_file_keeps_what_is_not_generated(tmp_path):
    path = tmp_path / "rules.schema.json"
    stale = {**SCHEMA, "$defs": {**SCHEMA["$defs"], "condition": {"type": "object"}}}
    path.write_text(json.dumps(stale))
    assert grammar.main([str(path)]) == 0
    assert json.loads(path.read_text()) == SCHEMA


# Conditions a knowledge engineer might write: well-formed leaves whose words the ontology knows,
# and malformed shapes. Semantic slips (a clause id that does not exist, a value of the wrong type
# for one particular key) are the parser's alone and are not generated here.
GOOD_LEAVES: list[Any] = [
    {"trl": {"le": 4}},
    {"trl": 3},
    {"estimated_value_eur": {"gt": 1.5e6}},
    {"procedure": "open"},
    {"procedure": {"in": ["open", "restricted"]}},
    {"procedure": {"is_a": "RigidProcedure"}},
    {"phases": {"all_of": ["research", "development"]}},
    {"phases": {"after": "development"}},
    {"technical_risk": {"at_least": "medium"}},
    {"award_basis": "unknown"},
    {"sourcing": "known"},
    {"fair_return": True},
    {"finding": "some-finding"},
    {"recommendation": {"about": "REC-2"}},
]
BAD_LEAVES: list[Any] = [
    {},
    {"trl": 3, "procedure": "open"},
    {"trl": {"le": 4, "ge": 1}},
    {"trl": {"near": 4}},
    {"trl": {"le": "4"}},
    {"trl": [3]},
    {"trl": None},
    {"procedure": {}},
    {"procedure": {"in": []}},
    {"procedure": {"in": "open"}},
    {"procedure": {"is_a": 3}},
    {"phases": {"after": 3}},
    {"finding": 3},
    {"finding": "Not A Slug"},
    {"finding": {"about": "CH-1", "id": "x"}},
    {"at_least": 1},
    {"of": [{"trl": 3}]},
    {"all": []},
    {"any": "trl"},
    {"not": [{"trl": 3}]},
    {"at_least": 0, "of": [{"trl": 3}]},
    {"at_least": "one", "of": [{"trl": 3}]},
    {"Trl": 3},
    "trl",
    [],
]


def conditions() -> st.SearchStrategy[Any]:
    leaves = st.sampled_from(GOOD_LEAVES + BAD_LEAVES)

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        items = st.lists(children, min_size=1, max_size=3)
        return st.one_of(
            items.map(lambda xs: {"all": xs}),
            items.map(lambda xs: {"any": xs}),
            children.map(lambda x: {"not": x}),
            items.flatmap(
                lambda xs: st.integers(1, len(xs)).map(lambda n: {"at_least": n, "of": xs})
            ),
        )

    return st.recursive(leaves, extend, max_leaves=6)


def parser_accepts(condition: Any) -> bool:
    parser = FileParser(Path("r.yaml"), bundled_vocabulary(), CONDITION, 0)
    result = parser._condition(condition, 1, "r")
    return result is not None and not parser.problems


def test_every_sample_leaf_is_judged_as_intended():
    assert all(parser_accepts(c) and CONDITION.is_valid(c) for c in GOOD_LEAVES)
    assert not any(parser_accepts(c) or CONDITION.is_valid(c) for c in BAD_LEAVES)


@settings(max_examples=400, deadline=None)
@given(conditions())
def test_the_schema_and_the_parser_accept_the_same_conditions(condition):
    assert CONDITION.is_valid(condition) == parser_accepts(condition), condition

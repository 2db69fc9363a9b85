"""StackStorm's inquiry schemas as StackStorm reads them: a property's own ``required: true``
(draft 3's form, in every st2 ``core.ask`` example) and ``default`` filled into the answer."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from runtime.inquiries import schema_errors, schema_problem, st2_schema, with_defaults
from runtime.values import thaw

ASK = {"type": "object", "properties": {
    "approved": {"type": "boolean", "required": True},
    "department_id": {"type": "number", "required": True},
    "extra_output": {"type": "string", "default": "None"},
    "optional": {"type": "string", "required": False},
}}


def test_a_property_level_required_is_the_objects_required_list() -> None:
    assert schema_problem(ASK) is None
    assert st2_schema(ASK)["required"] == ["approved", "department_id"]
    assert "required" not in st2_schema(ASK)["properties"]["approved"]
    missing = schema_errors(ASK, {"approved": True})
    assert [e["path"] for e in missing] == [[]]  # department_id is required
    assert schema_errors(ASK, {"approved": True, "department_id": 7}) == ()


def test_a_required_list_already_there_is_kept_and_extended() -> None:
    schema = {"type": "object", "required": ["a"],
              "properties": {"a": {"type": "string"}, "b": {"type": "string", "required": True}}}
    assert st2_schema(schema)["required"] == ["a", "b"]


def test_nested_objects_are_read_the_same_way() -> None:
    schema = {"type": "object", "properties": {"who": {
        "type": "object", "required": True,
        "properties": {"name": {"type": "string", "required": True}}}}}
    assert schema_errors(schema, {"who": {}}) != ()
    assert schema_errors(schema, {"who": {"name": "Stanley"}}) == ()


def test_defaults_are_filled_in_at_every_depth_and_given_values_stay() -> None:
    schema = {"type": "object", "properties": {
        "a": {"type": "string", "default": "x"},
        "inner": {"type": "object", "properties": {"b": {"type": "integer", "default": 2}}}}}
    assert thaw(with_defaults(schema, {"inner": {}})) == {"a": "x", "inner": {"b": 2}}
    assert thaw(with_defaults(schema, {"a": "given"})) == {"a": "given"}
    assert thaw(with_defaults(ASK, {"approved": True}))["extra_output"] == "None"


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.booleans()))
def test_a_schema_without_property_flags_is_left_as_it_is(flags: dict[str, Any]) -> None:
    schema = {"type": "object", "required": sorted(flags),
              "properties": {name: {"type": "boolean"} for name in flags}}
    assert st2_schema(schema) == schema
    assert thaw(with_defaults(schema, flags)) == flags

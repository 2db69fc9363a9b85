"""Tests of invoke(): thawing inputs, passing the call record, binding errors."""

from __future__ import annotations

from typing import Any

import pytest
from pyrsistent import freeze, m, v

from runtime.actions import Action, ActionFailed, ActionRegistry, Call, invoke
from tests.actions import sample_actions

pytestmark = pytest.mark.timeout(30)

CALL = Call(execution_id="e1", task="build", attempt=2, action="x")


def test_inputs_are_thawed_to_plain_python() -> None:
    """Nested pyrsistent inputs reach the action as dicts and lists."""
    action = Action.of("x", sample_actions.anything)
    got = invoke(action, m(a=v(1, m(b=2)), c=freeze({"d": [3]})), CALL)
    assert got == {"a": [1, {"b": 2}], "c": {"d": [3]}}
    assert type(got["a"]) is list
    assert type(got["a"][1]) is dict
    assert type(got["c"]["d"]) is list


def test_none_inputs_mean_no_arguments() -> None:
    """None inputs call the action without arguments."""
    assert invoke(Action.of("x", sample_actions.anything), None, CALL) == {}


def test_call_record_is_passed_when_wanted() -> None:
    """An action with a keyword-only call parameter receives the call record."""
    assert invoke(Action.of("x", sample_actions.whoami), {}, CALL) == "build"


def test_call_is_an_ordinary_input_when_not_wanted() -> None:
    """An action without a keyword-only call parameter gets an input named call unchanged."""
    action = Action.of("x", sample_actions.positional_call)
    assert invoke(action, {"call": 5}, CALL) == 5


def test_call_input_is_reserved_when_call_is_wanted() -> None:
    """An input named call for an action that wants the record fails before running."""
    with pytest.raises(ActionFailed) as info:
        invoke(Action.of("x", sample_actions.whoami), {"call": 1}, CALL)
    assert info.value.result["unexpected"] == ["call"]


def test_return_value_is_unchanged() -> None:
    """invoke returns exactly the object the action returned."""
    marker = object()
    assert invoke(Action.of("x", lambda: marker), {}, CALL) is marker


def test_missing_argument_fails_naming_it() -> None:
    """A missing required input raises ActionFailed listing it."""
    with pytest.raises(ActionFailed) as info:
        invoke(Action.of("acme.add", sample_actions.add), {"b": 1}, CALL)
    result = info.value.result
    assert (result["action"], result["missing"], result["unexpected"]) == ("acme.add", ["a"], [])


def test_unexpected_argument_fails_naming_it() -> None:
    """An input the action does not take raises ActionFailed listing it."""
    with pytest.raises(ActionFailed) as info:
        invoke(Action.of("acme.add", sample_actions.add), {"a": 1, "c": 2}, CALL)
    assert info.value.result["unexpected"] == ["c"]
    assert info.value.result["missing"] == []


def test_type_error_inside_action_is_not_a_binding_error() -> None:
    """A TypeError raised by the action's own code propagates unchanged."""
    with pytest.raises(TypeError):
        invoke(Action.of("x", sample_actions.broken_inside), {"a": 1}, CALL)


def test_action_failure_propagates_with_its_result() -> None:
    """ActionFailed raised by the action reaches the caller with its result."""

    def fail() -> None:
        raise ActionFailed("no", result={"code": 7})

    with pytest.raises(ActionFailed) as info:
        invoke(Action.of("x", fail), {}, CALL)
    assert info.value.result == {"code": 7}


def test_builtins_through_registry_and_invoke() -> None:
    """troupe.echo returns its message, core.echo st2's shell shape, core.noop anything."""
    registry = ActionRegistry(entry_points=False)
    assert invoke(registry.resolve("troupe.echo"), m(message=v(1, 2)), CALL) == [1, 2]
    assert invoke(registry.resolve("troupe.echo"), {}, CALL) is None
    assert invoke(registry.resolve("core.echo"), m(message="hi"), CALL) == {
        "stdout": "hi", "stderr": "", "return_code": 0, "succeeded": True, "failed": False}
    with pytest.raises(ActionFailed) as info:  # StackStorm's message is required
        invoke(registry.resolve("core.echo"), {}, CALL)
    assert info.value.result["missing"] == ["message"]
    assert invoke(registry.resolve("core.noop"), {"x": 1, "y": [2]}, CALL) is None


def test_python_reference_invoked() -> None:
    """A resolved python: action is invoked with its inputs."""
    action = ActionRegistry(entry_points=False).resolve("python:tests.actions.sample_actions:add")
    assert invoke(action, {"a": 2, "b": 3}, CALL) == 5


def test_call_record_defaults() -> None:
    """A Call needs only the execution id and task; the rest has defaults."""
    call = Call(execution_id="e", task="t")
    defaults = (call.route, call.item, call.attempt, call.action, call.timeout)
    assert defaults == (0, None, 1, "", None)
    call.on_cancel(lambda: None)
    with pytest.raises(AttributeError):
        call.task = "u"  # type: ignore[misc]


def _kwargs(**kwargs: Any) -> dict[str, Any]:
    """Return the keyword arguments."""
    return kwargs


def test_non_string_input_names_fail() -> None:
    """Inputs whose names are not strings fail before the call."""
    with pytest.raises(ActionFailed) as info:
        invoke(Action.of("x", _kwargs), {1: "a"}, CALL)  # type: ignore[dict-item]
    assert info.value.result["unexpected"] == ["1"]

"""Tests of idempotency declarations: built-ins, the decorator, registries, plugins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pyrsistent import pmap

from runtime.actions import Action, ActionRegistry, idempotent, is_idempotent
from runtime.actions.idempotency import ATTRIBUTE
from tests.actions.test_registry import FakeEntryPoint, make

pytestmark = pytest.mark.timeout(30)

BUILTINS = ActionRegistry(entry_points=False)


@pytest.mark.parametrize("ref", ["core.noop", "core.echo", "core.sleep"])
def test_idempotent_builtins(ref: str) -> None:
    """noop, echo and sleep may run twice for one attempt, whatever their input."""
    assert is_idempotent(BUILTINS.resolve(ref), {"message": "x", "seconds": 1})
    assert is_idempotent(BUILTINS.resolve(ref), None)


def test_local_is_not_idempotent() -> None:
    """A shell command's effects are unknown: core.local is never sent twice."""
    action = BUILTINS.resolve("core.local")
    assert action.idempotent is False
    assert not is_idempotent(action, {"cmd": "true"})


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"url": "http://x"}, True),
        ({"url": "http://x", "method": "GET"}, True),
        ({"url": "http://x", "method": "head"}, True),
        ({"url": "http://x", "method": "POST"}, False),
        ({"url": "http://x", "method": "PUT"}, False),
        ({"url": "http://x", "method": "DELETE"}, False),
        ({"url": "http://x", "method": "PATCH"}, False),
    ],
)
def test_http_is_idempotent_for_get_and_head(inputs: dict[str, Any], expected: bool) -> None:
    """core.http's idempotency depends on the attempt's method (frozen inputs too)."""
    action = BUILTINS.resolve("core.http")
    assert is_idempotent(action, inputs) is expected
    assert is_idempotent(action, pmap(inputs)) is expected


def plain(x: int) -> int:
    """Says nothing about idempotency."""
    return x


def test_default_is_not_idempotent() -> None:
    """A Python action that declares nothing is not idempotent."""
    action = make({"x": plain}).resolve("x")
    assert action.idempotent is False
    assert not is_idempotent(action, {"x": 1})


def test_decorator_marks_the_function_itself() -> None:
    """@idempotent returns the same function, marked, and the registry reads the mark."""

    @idempotent
    def read(x: int) -> int:
        return x

    assert getattr(read, ATTRIBUTE) is True
    action = make({"r": read}).resolve("r")
    assert action.idempotent is True
    assert is_idempotent(action, {"x": 1})


def test_registry_mapping_with_idempotent_call() -> None:
    """actions={"x": idempotent(fn)} declares it without a decorator."""

    def write(x: int) -> int:
        return x

    assert is_idempotent(make({"w": idempotent(write)}).resolve("w"), {"x": 1})


def test_when_makes_it_a_property_of_the_attempt() -> None:
    """@idempotent(when=...) is asked with each attempt's rendered input."""
    seen: list[Mapping[str, Any]] = []

    def safe(inputs: Mapping[str, Any]) -> bool:
        seen.append(inputs)
        return bool(inputs.get("dry_run", False))

    @idempotent(when=safe)
    def deploy(dry_run: bool = False) -> None:
        del dry_run

    action = make({"d": deploy}).resolve("d")
    assert is_idempotent(action, {"dry_run": True})
    assert not is_idempotent(action, {"dry_run": False})
    assert not is_idempotent(action, None)
    assert seen[-1] == {}


def test_a_when_that_raises_or_answers_no_bool_is_not_idempotent() -> None:
    """The safe side: a broken declaration never lets an attempt run twice."""

    def boom(inputs: Mapping[str, Any]) -> bool:
        raise KeyError("method")

    def truthy(inputs: Mapping[str, Any]) -> bool:
        return "yes"  # type: ignore[return-value]

    assert not is_idempotent(Action.of("a", idempotent(when=boom)(plain)), {})
    assert not is_idempotent(Action.of("b", idempotent(when=truthy)(plain)), {})


def test_callables_without_attributes_are_wrapped() -> None:
    """A builtin or bound method cannot take the mark: it is wrapped, and still works."""
    wrapped = idempotent(len)
    assert wrapped is not len
    assert wrapped([1, 2]) == 2
    assert Action.of("len", wrapped).idempotent is True

    class Box:
        def get(self, *, call: Any) -> Any:
            return call

    method = idempotent(Box().get)
    action = Action.of("box", method)
    assert action.idempotent is True
    assert action.wants_call  # the wrapper keeps the signature


def test_entry_point_plugins_declare_with_the_decorator() -> None:
    """A plugin (and a python: reference) decorated with @idempotent is idempotent."""
    from tests.actions import sample_actions

    registry = make(None, FakeEntryPoint("acme.lookup", sample_actions.lookup),
                    FakeEntryPoint("acme.add", sample_actions.add))
    assert is_idempotent(registry.resolve("acme.lookup"), {"key": "k"})
    assert not is_idempotent(registry.resolve("acme.add"), {"a": 1})
    ref = "python:tests.actions.sample_actions:lookup"
    assert is_idempotent(registry.resolve(ref), {"key": "k"})


def test_a_mark_that_is_neither_bool_nor_callable_is_ignored() -> None:
    """Only True/False or a function count as a declaration."""

    def odd() -> None:
        pass

    setattr(odd, ATTRIBUTE, "yes")
    assert Action.of("odd", odd).idempotent is False

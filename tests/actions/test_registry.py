"""Tests of action resolution: order, python: references, entry points, records."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any

import pytest

from runtime.actions import BUILTIN_ACTIONS, Action, ActionRegistry
from runtime.errors import ActionNotFound
from tests.actions import sample_actions

pytestmark = pytest.mark.timeout(30)

SAMPLE = "python:tests.actions.sample_actions"


class FakeEntryPoint:
    """An entry point whose load() returns a fixed object and counts calls."""

    def __init__(self, name: str, target: Any) -> None:
        self.name = name
        self.target = target
        self.loads = 0

    def load(self) -> Any:
        self.loads += 1
        if isinstance(self.target, BaseException):
            raise self.target
        return self.target


class FakeLoader:
    """An entry-point listing that counts how often it is asked."""

    def __init__(self, *entries: FakeEntryPoint) -> None:
        self.entries = list(entries)
        self.calls = 0

    def __call__(self) -> list[FakeEntryPoint]:
        self.calls += 1
        return self.entries


def plugin() -> str:
    """A plugin action."""
    return "plugin"


def user_fn() -> str:
    """A user action."""
    return "user"


def make(
    user: dict[str, Callable[..., Any]] | None = None, *entries: FakeEntryPoint
) -> ActionRegistry:
    """Build a registry over fake entry points."""
    return ActionRegistry(user, entry_point_loader=FakeLoader(*entries))


def test_builtins_resolve_with_their_records() -> None:
    """Every built-in resolves to its function with source builtin."""
    registry = make()
    for ref, fn in BUILTIN_ACTIONS.items():
        action = registry.resolve(ref)
        assert action.ref == ref
        assert action.fn is fn
        assert action.source == "builtin"
        assert action.description


def test_builtin_set_is_the_documented_one() -> None:
    """The built-in references are exactly the six core actions."""
    assert set(BUILTIN_ACTIONS) == {
        "core.ask",
        "core.noop",
        "core.echo",
        "core.local",
        "core.local_sudo",
        "core.remote",
        "core.remote_sudo",
        "core.http",
        "core.sleep",
        "troupe.echo",
    }


def test_user_mapping_overrides_builtins() -> None:
    """A user function registered under a built-in reference wins."""
    action = make({"core.echo": user_fn}).resolve("core.echo")
    assert action.fn is user_fn
    assert action.source == "user"


def test_builtins_win_over_entry_points() -> None:
    """An entry point cannot shadow a built-in."""
    entry = FakeEntryPoint("core.echo", plugin)
    action = make(None, entry).resolve("core.echo")
    assert action.source == "builtin"
    assert entry.loads == 0


def test_user_mapping_overrides_entry_points() -> None:
    """A user function wins over an entry point of the same name."""
    entry = FakeEntryPoint("acme.deploy", plugin)
    action = make({"acme.deploy": user_fn}, entry).resolve("acme.deploy")
    assert action.fn is user_fn
    assert entry.loads == 0


def test_python_reference_resolves_function() -> None:
    """A python:module:function reference imports the module and returns the function."""
    action = make().resolve(f"{SAMPLE}:add")
    assert action.fn is sample_actions.add
    assert action.source == "python"
    assert action.description == "Add two numbers."


def test_python_reference_follows_dotted_attributes() -> None:
    """A python: reference may name an attribute of an attribute."""
    action = make().resolve(f"{SAMPLE}:Namespace.hello")
    assert action.fn() == "hello world"


def test_user_mapping_wins_over_python_reference() -> None:
    """A user mapping entry named like a python: reference is used as is."""
    ref = f"{SAMPLE}:add"
    assert make({ref: user_fn}).resolve(ref).source == "user"


@pytest.mark.parametrize(
    "ref",
    [
        "python:tests.actions.no_such_module_xyz:fn",
        f"{SAMPLE}:missing",
        f"{SAMPLE}:Namespace.missing",
        SAMPLE,
        "python::add",
        f"{SAMPLE}:",
        f"{SAMPLE}:NOT_CALLABLE",
    ],
)
def test_bad_python_references_are_not_found(ref: str) -> None:
    """A python: reference that cannot be imported or called raises ActionNotFound with a reason."""
    with pytest.raises(ActionNotFound) as info:
        make().resolve(ref, task="build")
    assert info.value.ref == ref
    assert info.value.task == "build"
    assert info.value.reason


def test_unknown_reference_is_not_found() -> None:
    """An unknown reference raises ActionNotFound naming it and the task."""
    with pytest.raises(ActionNotFound) as info:
        make().resolve("acme.nothing", task="t1")
    assert (info.value.ref, info.value.task, info.value.reason) == ("acme.nothing", "t1", "")


def test_entry_point_is_listed_and_loaded_once() -> None:
    """An entry point is found by name, listed once and loaded once, however often resolved."""
    entry = FakeEntryPoint("acme.deploy", plugin)
    loader = FakeLoader(entry)
    registry = ActionRegistry(entry_point_loader=loader)
    first = registry.resolve("acme.deploy")
    second = registry.resolve("acme.deploy")
    assert registry.has("acme.deploy")
    assert first is second
    assert first.fn is plugin
    assert first.source == "entry-point"
    assert (loader.calls, entry.loads) == (1, 1)


def test_entry_points_are_not_listed_before_needed() -> None:
    """Resolving a built-in does not list entry points."""
    loader = FakeLoader(FakeEntryPoint("acme.deploy", plugin))
    ActionRegistry(entry_point_loader=loader).resolve("core.noop")
    assert loader.calls == 0


def test_entry_points_can_be_disabled() -> None:
    """With entry_points=False plugins are neither listed nor resolved."""
    loader = FakeLoader(FakeEntryPoint("acme.deploy", plugin))
    registry = ActionRegistry(entry_points=False, entry_point_loader=loader)
    assert not registry.has("acme.deploy")
    assert "acme.deploy" not in registry.refs()
    assert loader.calls == 0


@pytest.mark.parametrize("target", [ImportError("no module acme"), 42])
def test_broken_entry_point_is_not_found(target: Any) -> None:
    """An entry point that fails to load or is not callable raises ActionNotFound with a reason."""
    registry = make(None, FakeEntryPoint("acme.broken", target))
    with pytest.raises(ActionNotFound) as info:
        registry.resolve("acme.broken", task="t")
    assert info.value.ref == "acme.broken"
    assert info.value.reason
    assert not registry.has("acme.broken")


def test_default_loader_reads_the_troupe_actions_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a loader the registry asks importlib.metadata for the troupe.actions group."""
    groups: list[str] = []

    def entry_points(*, group: str) -> list[FakeEntryPoint]:
        groups.append(group)
        return [FakeEntryPoint("acme.deploy", plugin)]

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    assert ActionRegistry().resolve("acme.deploy").fn is plugin
    assert groups == ["troupe.actions"]


def test_has_never_raises() -> None:
    """has() answers True or False for any reference."""
    registry = make()
    assert registry.has("core.local")
    assert registry.has(f"{SAMPLE}:add")
    assert not registry.has("nope")
    assert not registry.has(f"{SAMPLE}:missing")


def test_refs_lists_user_builtin_and_entry_points_sorted() -> None:
    """refs() is the sorted union of user, built-in and entry-point names, without python: refs."""
    registry = make({"zz.user": user_fn}, FakeEntryPoint("aa.plugin", plugin))
    registry.resolve(f"{SAMPLE}:add")
    refs = registry.refs()
    assert refs == sorted(refs)
    assert set(refs) == {"zz.user", "aa.plugin", *BUILTIN_ACTIONS}


def test_describe_returns_every_action_in_ref_order() -> None:
    """describe() gives one Action per ref, with the docstring's first line."""
    registry = make({"zz.user": user_fn}, FakeEntryPoint("aa.plugin", plugin))
    described = registry.describe()
    assert [a.ref for a in described] == registry.refs()
    by_ref = {a.ref: a for a in described}
    assert by_ref["zz.user"].description == "A user action."
    assert by_ref["aa.plugin"].source == "entry-point"


@pytest.mark.parametrize(
    ("fn", "wants"),
    [
        (sample_actions.whoami, True),
        (sample_actions.positional_call, False),
        (sample_actions.anything, False),
        (sample_actions.add, False),
        (len, False),
    ],
)
def test_wants_call_detection(fn: Callable[..., Any], wants: bool) -> None:
    """wants_call is true only for a keyword-only parameter named call."""
    assert Action.of("x", fn).wants_call is wants


def test_builtin_wants_call_flags() -> None:
    """Built-ins that register cancellation want the call; noop and echo do not."""
    registry = make()
    flags = {ref: registry.resolve(ref).wants_call for ref in BUILTIN_ACTIONS}
    assert flags == {
        "core.ask": False,
        "core.noop": False,
        "core.echo": False,
        "troupe.echo": False,
        "core.local": True,
        "core.local_sudo": True,
        "core.remote": True,
        "core.remote_sudo": True,
        "core.http": True,
        "core.sleep": True,
    }


def test_action_record_is_frozen() -> None:
    """Action records cannot be changed after creation."""
    action = Action.of("x", user_fn)
    with pytest.raises(AttributeError):
        action.ref = "y"  # type: ignore[misc]

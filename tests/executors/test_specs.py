"""The executor seam's pure half: specs and outcomes as JSON, building and running specs,
executor choices, and the per-task executor/resources/runtime_env keys of both dialects."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.actions import ActionRegistry, idempotency_key
from runtime.commands import RunAction
from runtime.errors import ExecutorError
from runtime.executors import (
    ActionOutcome,
    ActionSpec,
    CallSpec,
    ExecutorChoice,
    Placement,
    Resources,
    SpecRefused,
    build_spec,
    parse_executor,
    run_spec,
)
from runtime.spec import validate
from runtime.spec.placement import parse_memory

pytestmark = pytest.mark.timeout(30)

REGISTRY = ActionRegistry(entry_points=False)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=8)


def _command(action: str, inputs: Any, item: int | None = None, timeout: float | None = None
             ) -> RunAction:
    return RunAction(run=2, task="t", route=1, attempt=3, action=action, input=inputs,
                     item=item, timeout=timeout)


def _round_trip(spec: ActionSpec) -> ActionSpec:
    return ActionSpec.from_json(json.loads(json.dumps(spec.to_json())))


@given(inputs=st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4),
       item=st.none() | st.integers(0, 10**6))
def test_a_python_spec_survives_json_with_its_call_record(inputs: Any, item: int | None
                                                          ) -> None:
    spec = build_spec(REGISTRY.resolve("core.echo"), _command("core.echo", inputs, item),
                      "ex", idempotent=True,
                      placement=Placement(resources=Resources(num_cpus=0.5, memory=2**20)))
    assert _round_trip(spec) == spec
    assert spec.kind == "python"
    assert spec.call == CallSpec(execution_id="ex", task="t", route=1, item=item, attempt=3,
                                 action="core.echo",
                                 idempotency_key=idempotency_key("ex", "t", 1, item, 3))
    assert spec.resources == {"num_cpus": 0.5, "memory": 2**20}


def test_a_shell_spec_is_the_argv_core_local_would_run() -> None:
    spec = build_spec(REGISTRY.resolve("core.local"),
                      _command("core.local", {"cmd": "echo hi", "cwd": "/tmp",
                                              "env": {"A": 1, "B": None}, "timeout": 5}),
                      "ex", idempotent=False)
    assert (spec.kind, spec.argv, spec.cwd, spec.env, spec.timeout) == (
        "shell", ("/bin/sh", "-c", "echo hi"), "/tmp", {"A": "1", "B": None}, 5.0)
    listed = build_spec(REGISTRY.resolve("core.local"),
                        _command("core.local", {"cmd": ["ls", "-l"]}), "ex", idempotent=False)
    assert listed.argv == ("ls", "-l")
    assert _round_trip(spec) == spec


def test_an_http_spec_carries_the_request() -> None:
    request = {"url": "http://127.0.0.1:9/x", "method": "POST", "body": {"a": 1}}
    spec = build_spec(REGISTRY.resolve("core.http"), _command("core.http", request), "ex",
                      idempotent=False)
    assert (spec.kind, spec.request) == ("http", request)


def test_what_the_far_side_cannot_import_or_json_cannot_hold_is_refused() -> None:
    def nested() -> None: ...

    action = ActionRegistry({"mine": nested}).resolve("mine")
    with pytest.raises(SpecRefused) as caught:
        build_spec(action, _command("mine", {}), "ex", idempotent=False)
    assert caught.value.ref == "mine"
    with pytest.raises(SpecRefused):
        build_spec(REGISTRY.resolve("core.echo"), _command("core.echo", {"message": {1, 2j}}),
                   "ex", idempotent=True)
    with pytest.raises(SpecRefused):
        build_spec(REGISTRY.resolve("core.local"), _command("core.local", {"cmd": "x",
                                                                           "bogus": 1}),
                   "ex", idempotent=False)


def test_a_module_level_user_function_travels_by_its_import_path() -> None:
    action = ActionRegistry({"q": parse_memory}).resolve("q")
    spec = build_spec(action, _command("q", {"value": "2KiB"}), "ex", idempotent=True)
    assert spec.ref == "python:runtime.spec.placement:parse_memory"
    assert run_spec(spec.to_json())["result"] == 2048


def _outcome(action: str, inputs: Any, timeout: float | None = None) -> ActionOutcome:
    spec = build_spec(REGISTRY.resolve(action), _command(action, inputs, timeout=timeout),
                      "ex", idempotent=False)
    return ActionOutcome.from_json(json.loads(json.dumps(run_spec(spec.to_json()))))


def test_running_a_spec_turns_every_ending_into_an_outcome() -> None:
    ok = _outcome("core.local", {"cmd": "echo out; echo err >&2"})
    assert (ok.outcome, ok.stdout, ok.stderr, ok.return_code) == ("succeeded", "out", "err", 0)
    failed = _outcome("core.local", {"cmd": "exit 3"})
    assert (failed.outcome, failed.return_code, failed.result["return_code"]) == (
        "failed", 3, 3)
    timed_out = _outcome("core.local", {"cmd": "sleep 5"}, timeout=0.2)
    assert timed_out.outcome == "timed_out"
    bad_input = _outcome("core.echo", {"nope": 1})
    assert bad_input.outcome == "failed"
    assert bad_input.result["unexpected"] == ["nope"]
    assert run_spec({"kind": "rpc"})["outcome"] == "failed"


def test_executor_choices() -> None:
    assert parse_executor(None) == parse_executor("local") == ExecutorChoice()
    assert parse_executor("ray") == ExecutorChoice(kind="ray")
    assert parse_executor("ray", "10.0.0.1:6379") == ExecutorChoice(kind="ray",
                                                                   address="10.0.0.1:6379")
    assert parse_executor("ray://head:10001").address == "ray://head:10001"
    assert parse_executor("head:6379").kind == "ray"
    for bad, address in (("celery", None), ("local", "head:6379"), (3, None),
                         ("ray://a:1", "b:2")):
        with pytest.raises(ExecutorError) as caught:
            parse_executor(bad, address)
        assert caught.value.problem


def test_memory_sizes() -> None:
    assert [parse_memory(v) for v in (1024, "512MiB", "2GB", "1.5Gi", "-1", "lots", True)] == [
        1024, 512 * 2**20, 2 * 10**9, int(1.5 * 2**30), None, None, None]


ORQUESTA = """\
    version: 1.0
    tasks:
      t:
        action: core.noop
        executor: {executor}
        resources: {resources}
        runtime_env: {{pip: [requests]}}
"""
ATTUNE = """\
    version: "1.0.0"
    tasks:
      - name: t
        action: core.noop
        executor: {executor}
        resources: {resources}
    ref: w.x
"""


@pytest.mark.parametrize("text", [ORQUESTA, ATTUNE], ids=["orquesta", "attune"])
def test_both_dialects_read_a_tasks_placement(text: str) -> None:
    defn, diagnostics = validate(textwrap.dedent(text.format(
        executor="ray", resources="{num_cpus: 1, num_gpus: 0.5, memory: 1GiB}")))
    assert diagnostics == []
    assert defn is not None
    placement = defn.task("t").placement
    assert placement.executor == "ray"
    assert placement.resources == Resources(num_cpus=1.0, num_gpus=0.5, memory=2**30)


@pytest.mark.parametrize("text", [ORQUESTA, ATTUNE], ids=["orquesta", "attune"])
@pytest.mark.parametrize(("executor", "resources", "found"), [
    ("celery", "{num_cpus: 1}", [("T106", 5, "tasks.t.executor")]),
    ("ray", "[1, 2]", [("T103", 6, "tasks.t.resources")]),
    ("ray", "{cpus: 1}", [("T102", 6, "tasks.t.resources.cpus")]),
    ("ray", "{num_cpus: -1, memory: lots}", [("T103", 6, "tasks.t.resources.num_cpus"),
                                             ("T103", 6, "tasks.t.resources.memory")]),
])
def test_a_bad_placement_is_a_located_diagnostic(text: str, executor: str, resources: str,
                                                 found: list[tuple[str, int, str]]) -> None:
    _, diagnostics = validate(textwrap.dedent(text.format(executor=executor,
                                                          resources=resources)))
    assert [(d.code, d.line, d.path) for d in diagnostics] == found
    assert all(d.task == "t" for d in diagnostics)


def test_resources_on_a_local_task_are_a_warning() -> None:
    defn, diagnostics = validate(textwrap.dedent(ORQUESTA.format(executor="local",
                                                                 resources="{num_cpus: 1}")))
    assert defn is not None
    assert [(d.code, d.severity) for d in diagnostics] == [("T106", "warning")]


def test_core_local_with_sudo_runs_core_local_on_the_far_side(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``kwarg_op`` is dropped as locally; ``sudo`` makes the far side run ``core.local``
    itself, which looks for sudo on its own host (here: not installed, a failure that
    never ran the command)."""
    local = REGISTRY.resolve("core.local")
    plain = build_spec(local, _command("core.local", {"cmd": "id -u", "kwarg_op": "--",
                                                      "sudo": False}), "ex", idempotent=False)
    assert (plain.kind, plain.argv) == ("shell", ("/bin/sh", "-c", "id -u"))
    spec = build_spec(local, _command("core.local", {"cmd": "id -u", "sudo": True,
                                                     "kwarg_op": "--", "timeout": 5}),
                      "ex", idempotent=False)
    assert (spec.kind, spec.ref, spec.input, spec.timeout) == (
        "python", "core.local", {"cmd": "id -u", "sudo": True, "timeout": 5}, 5.0)
    assert _round_trip(spec) == spec
    with_password = build_spec(local, _command("core.local", {"cmd": "x", "sudo_password": "p"}),
                               "ex", idempotent=False)
    assert with_password.kind == "python"
    monkeypatch.setattr("runtime.actions.sudo.shutil.which", lambda name: None)
    outcome = ActionOutcome.from_json(run_spec(spec.to_json()))
    assert (outcome.outcome, outcome.return_code, outcome.stdout) == ("failed", 1, "")
    assert outcome.result["failed"] is True


def test_a_reruns_attempts_get_the_reruns_keys() -> None:
    command = RunAction(run=2, task="t", route=1, attempt=1, action="core.echo", input={},
                        rerun=2)
    spec = build_spec(REGISTRY.resolve("core.echo"), command, "ex", idempotent=True)
    assert spec.call.idempotency_key == idempotency_key("ex", "t", 1, None, 1, 2)
    assert spec.call.idempotency_key.startswith("ex.r2/")

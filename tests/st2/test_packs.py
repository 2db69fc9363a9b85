"""StackStorm packs: Python actions (``actions/*.yaml`` + a ``*.py`` subclassing
``st2common.runners.base_action.Action``) registered as ``PACK.ACTION`` and run unchanged,
with the metadata's parameters as input checks and the python runner's result shape."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from runtime import start_workflow
from runtime.cli import main
from runtime.errors import PackError
from runtime.st2pack import load_pack, load_packs

pytestmark = pytest.mark.timeout(120)

PACK = Path(__file__).parent / "packs" / "examples"
CREATE_VM = PACK / "actions" / "workflows" / "create-vm.yaml"


def _one_task(action: str) -> str:
    """One task whose input is the workflow's ``args``: one expression, which validation
    does not check, so these tests reach the run-time check (T406-T408 are tested below)."""
    return textwrap.dedent(f"""\
        version: 1.0
        input: [args]
        tasks:
          t:
            action: {action}
            input: '{{{{ ctx().args }}}}'
            next:
              - when: '{{{{ failed() }}}}'
                publish: [got: '{{{{ result() }}}}']
                do: noop
              - when: '{{{{ succeeded() }}}}'
                publish: [got: '{{{{ result() }}}}']
        output:
          - got: '{{{{ ctx("got") }}}}'
        """)


def _run(action: str, inputs: dict[str, Any]) -> tuple[str, Any]:
    result = start_workflow(_one_task(action), {"args": inputs},
                            actions=load_pack(PACK)).wait(timeout=60)
    return result.tasks[0].status, result.output["got"]


def test_the_pack_python_actions_are_named_pack_dot_action() -> None:
    actions = load_pack(PACK)
    assert sorted(actions) == ["examples.check-quota", "examples.python-mock-create-vm",
                               "examples.wait-long"]  # shell-thing is not a Python action
    assert sorted(load_pack(PACK, name="lab")) == [
        "lab.check-quota", "lab.python-mock-create-vm", "lab.wait-long"]
    assert sorted(load_packs([str(PACK)])) == sorted(actions)


def test_the_mock_create_vm_workflow_runs() -> None:
    result = start_workflow(CREATE_VM, {"vm_name": "web1", "ip": "10.0.0.5"},
                            actions=load_pack(PACK), user="ops").wait(timeout=60)
    assert result.status == "succeeded", result.errors
    out = result.output
    assert out["vm_id"].startswith("vm-web1-")
    assert out["vm"] == {"vm_id": out["vm_id"], "ip": "10.0.0.5", "cpu_cores": 2,
                         "memory_mb": 1024, "region": "test-1"}  # default; the pack config
    assert (out["dns"], out["said"], out["by"]) == (
        "registering web1", "creating web1 with 2 cores", "ops")


def test_the_result_is_the_python_runners() -> None:
    status, got = _run("examples.check-quota", {"cores": 4})
    assert status == "succeeded"
    assert got == {"result": {"cores": 4, "size": "small", "zone": "zone-a"}, "stdout": "",
                   "stderr": "", "exit_code": 0}
    status, got = _run("examples.check-quota", {"cores": 9, "size": "large"})
    assert status == "failed"  # run() returned (False, value)
    assert got["result"] == {"reason": "over quota", "cores": 9}
    status, got = _run("examples.check-quota", {"cores": -1})
    assert status == "failed"  # run() raised
    assert got["exit_code"] == 1 and got["result"] is None
    assert "ValueError: negative cores" in got["stderr"]


@pytest.mark.parametrize(("inputs", "missing", "unexpected"), [
    ({"ip": "10.0.0.1"}, ["vm_name"], []),
    ({"vm_name": "a", "ip": "b", "cpu_cores": "two"}, [], []),
    ({"vm_name": "a", "ip": "b", "colour": "red"}, [], ["colour"]),
])
def test_the_metadata_parameters_check_the_inputs(inputs: dict[str, Any], missing: list[str],
                                                  unexpected: list[str]) -> None:
    status, got = _run("examples.python-mock-create-vm", inputs)
    assert status == "failed"
    assert (got["action"], got["missing"], got["unexpected"]) == (
        "examples.python-mock-create-vm", missing, unexpected)
    assert got["error"]


def test_enum_and_immutable_parameters_are_checked() -> None:
    status, got = _run("examples.check-quota", {"cores": 1, "size": "huge"})
    assert status == "failed" and "huge" in got["error"]
    status, got = _run("examples.check-quota", {"cores": 1, "zone": "zone-b"})
    assert status == "failed" and "'zone' is immutable" in got["error"]
    status, _ = _run("examples.check-quota", {"cores": 1, "zone": "zone-a"})
    assert status == "succeeded"


def test_the_command_line_loads_packs(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    assert main(["validate", str(CREATE_VM)]) == 2  # T401 without the pack
    capsys.readouterr()
    assert main(["validate", "--pack", str(PACK), str(CREATE_VM)]) == 0
    capsys.readouterr()
    code = main(["run", "--json", "--progress", "never", "--pack", str(PACK), str(CREATE_VM),
                 "-p", "vm_name=db", "-p", "ip=10.0.0.9"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["output"]["vm"]["ip"] == "10.0.0.9"
    assert main(["actions", "--json", "--pack", str(PACK)]) == 0
    refs = {a["ref"] for a in json.loads(capsys.readouterr().out)}
    assert "examples.python-mock-create-vm" in refs
    assert main(["validate", "--pack", str(tmp_path), str(CREATE_VM)]) == 2
    assert "not a StackStorm pack" in capsys.readouterr().err


def test_a_broken_pack_is_a_pack_error(tmp_path: Path) -> None:
    with pytest.raises(PackError) as missing:
        load_pack(tmp_path)
    assert missing.value.path == str(tmp_path)
    (tmp_path / "actions").mkdir()
    (tmp_path / "actions" / "a.yaml").write_text(
        "name: a\nrunner_type: python-script\nentry_point: nope.py\n", encoding="utf-8")
    with pytest.raises(PackError) as entry:
        load_pack(tmp_path)
    assert "nope.py" in entry.value.problem
    (tmp_path / "actions" / "a.yaml").write_text(
        "name: a\nrunner_type: python-script\nentry_point: a.py\n"
        "parameters: {x: {type: float}}\n", encoding="utf-8")
    (tmp_path / "actions" / "a.py").write_text("", encoding="utf-8")
    with pytest.raises(PackError) as kind:
        load_pack(tmp_path)
    assert "float" in kind.value.problem


def test_a_timeout_kills_the_action_process() -> None:
    text = ("version: 1.0\ntasks:\n  t:\n    action: examples.wait-long\n"
            "    timeout: 1\n")
    started = time.monotonic()
    result = start_workflow(text, actions=load_pack(PACK)).wait(timeout=60)
    assert result.tasks[0].status == "timed_out"
    assert time.monotonic() - started < 30


def test_recover_takes_packs_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/r.db"
    assert main(["recover", "--store", url, "--pack", str(PACK)]) == 0
    assert "nothing to recover" in capsys.readouterr().out
    assert main(["recover", "--store", url, "--pack", str(tmp_path)]) == 2
    assert "not a StackStorm pack" in capsys.readouterr().err


def _validated(body: str, *, optional: bool = False) -> list[tuple[str, int | None, str]]:
    """(code, line, path) of what ``troupe validate --pack`` reports for a one-task file."""
    from runtime.actions import ActionRegistry
    from runtime.spec import validate

    registry = ActionRegistry(load_pack(PACK), entry_points=False)
    text = "version: 1.0\ntasks:\n  t:\n" + textwrap.indent(textwrap.dedent(body), "    ")
    _, diagnostics = validate(text, action_exists=registry.has, actions_optional=optional,
                              action_inputs=registry.accepts)
    return [(d.code, d.line, d.path) for d in diagnostics]


def test_validation_checks_the_input_against_the_pack_metadata() -> None:
    assert _validated("action: examples.check-quota\ninput: {cores: 2}\n") == []
    assert _validated("action: examples.check-quota\ninput: {size: large}\n") == [
        ("T406", 4, "tasks.t.input")]  # cores: required, no default; at the action line
    assert _validated("action: examples.check-quota\ninput:\n  cores: 1\n  sise: large\n") == [
        ("T407", 7, "tasks.t.input.sise")]
    assert _validated("action: examples.check-quota\ninput:\n  cores: 1\n  zone: zone-b\n") == [
        ("T408", 7, "tasks.t.input.zone")]
    assert _validated("action: examples.check-quota\ninput:\n  cores: 1\n  zone: zone-a\n") == []
    assert _validated("action: examples.check-quota cores=1 zone=\"{{ 'zone-a' }}\"\n") == [
        ("T408", 4, "tasks.t.input.zone")]  # an expression is not known to be the default
    assert _validated("action: examples.check-quota\ninput: \"{{ {'sise': 1} }}\"\n") == []


def test_the_command_line_reports_a_misspelt_pack_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "vm.yaml"
    flow.write_text("version: 1.0\ntasks:\n  t:\n    action: examples.python-mock-create-vm\n"
                    "    input:\n      vm_name: a\n      ipp: b\n")
    assert main(["validate", "--pack", str(PACK), str(flow)]) == 2
    out = capsys.readouterr().out
    assert "T406" in out and "T407" in out and "'ip'" in out
    assert main(["validate", "--no-actions", "--pack", str(PACK), str(flow)]) == 0

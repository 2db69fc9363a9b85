"""The troupe command line: validate, run, actions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent

BROKEN = """\
version: 1.0
tasks:
  first:
    action: troupe.echo message="{{ ctx('nothing') }}"
    next:
      - when: '{{ succeeded() }'
        do: secnd
  noop:
    action: core.noop
  loop:
    with: x in {{ [1] }}
    join: 5
    colour: red
"""


def troupe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False)


def test_validate_lists_every_mistake_with_location_task_and_code(tmp_path: Path) -> None:
    """A file with several mistakes: each printed as file:line:col with task and code."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    out = troupe("validate", str(bad))
    assert out.returncode == 2  # bad input, as for run
    report = json.loads(troupe("validate", "--json", str(bad)).stdout)
    found = {(d["code"], d["task"], d["line"]) for d in report["diagnostics"]}
    assert {("T302", "first", 4), ("T301", "first", 6), ("T201", "first", 7),
            ("T202", "noop", 8), ("T203", "loop", 11), ("T205", "loop", 12),
            ("T102", "loop", 13)} <= found
    for line in out.stdout.splitlines()[:-1]:
        assert line.startswith(f"{bad}:")


def test_validate_says_ok_for_good_files() -> None:
    """A valid file exits 0 and says so."""
    out = troupe("validate", "examples/hello.yaml", "examples/attune_deploy.yaml")
    assert out.returncode == 0, out.stdout
    assert "examples/hello.yaml: ok" in out.stdout


def test_run_prints_the_output_and_exits_by_outcome(tmp_path: Path) -> None:
    """`troupe run` exits 0 on success, 1 on a failed workflow, 2 on bad input."""
    ok = troupe("run", "examples/hello.yaml", "-p", "name=Ada")
    assert ok.returncode == 0
    assert "greeting: Hello, Ada!" in ok.stdout
    failing = tmp_path / "fail.yaml"
    failing.write_text("tasks:\n  t:\n    action: core.local cmd='exit 3'\n")
    assert troupe("run", str(failing)).returncode == 1
    assert troupe("run", "examples/attune_deploy.yaml").returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    assert troupe("run", str(bad)).returncode == 2


def test_run_json_gives_status_output_and_tasks() -> None:
    """--json prints the whole result."""
    out = troupe("run", "examples/attune_deploy.yaml", "-p", "build=2.0", "--json")
    result = json.loads(out.stdout)
    assert result["status"] == "succeeded"
    assert result["output"]["deployed"] == 3
    assert [t["name"] for t in result["tasks"]] == ["check", "deploy", "notify"]


def test_secrets_are_masked_in_cli_output(tmp_path: Path) -> None:
    """A secret input never appears in what the CLI prints, even when published."""
    wf = tmp_path / "secret.yaml"
    wf.write_text("""
input:
  - token: {required: true, secret: true}
tasks:
  use:
    action: troupe.echo message="Bearer {{ ctx('token') }}"
    next: [{publish: 'header={{ result() }}'}]
output: [{header: '{{ ctx("header") }}'}]
""")
    out = troupe("run", str(wf), "-p", "token=hunter2-very-secret", "--json")
    assert out.returncode == 0
    assert "hunter2-very-secret" not in out.stdout + out.stderr
    assert json.loads(out.stdout)["output"]["header"] == "Bearer ***"


def test_actions_lists_the_builtins() -> None:
    """`troupe actions` lists core.* actions."""
    out = troupe("actions", "--json")
    refs = {a["ref"] for a in json.loads(out.stdout)}
    assert {"core.noop", "troupe.echo", "core.local", "core.http", "core.sleep"} <= refs


@pytest.mark.parametrize(("arg", "problem"), [
    ("nope", "no such file"),
    ("examples/hello", "no such file"),
    ("examples", "is a directory"),
])
def test_run_names_a_missing_file_or_a_directory(arg: str, problem: str) -> None:
    """A path that names no workflow file is exit 2 with one line naming it, not YAML text."""
    out = troupe("run", arg)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [f"troupe: {arg}: {problem}" + (
        ", not a workflow file" if problem == "is a directory" else "")]
    assert "T101" not in out.stderr
    assert "Traceback" not in out.stderr


def test_run_refuses_a_parameter_its_schema_refuses(tmp_path: Path) -> None:
    """`-p env=staging` against `enum: [dev, prod]` is bad input: exit 2, nothing runs."""
    flow = tmp_path / "env.yaml"
    flow.write_text('version: "1.0.0"\nparameters:\n  env: {type: string, enum: [dev, prod]}\n'
                    "tasks:\n  - name: a\n    action: troupe.echo\n")
    out = troupe("run", str(flow), "-p", "env=staging")
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "troupe: bad parameters: env: 'staging' is not one of ['dev', 'prod']"]
    assert troupe("run", str(flow), "-p", "env=dev").returncode == 0

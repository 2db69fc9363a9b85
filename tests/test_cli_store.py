"""The troupe command line on a store: run --store, executions list/show/events, purge,
recover after a kill.

``run`` and ``recover`` run in a subprocess (``python -m runtime.cli``: actors, signals, a
kill); the commands that only read or purge the store (``executions``, ``purge``) run through
the same entry point, :func:`runtime.cli.main`, in the test's process, which keeps these
tests fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.cli import main

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent

SECRET = "s3cr3t-token-value"

SECRET_WORKFLOW = """\
version: 1.0
input:
  - token:
      secret: true
  - who: nobody
tasks:
  greet:
    action: troupe.echo message="token {{ ctx('token') }} for {{ ctx('who') }}"
    next:
      - publish: said={{ result() }}
output:
  - said: '{{ ctx("said") }}'
"""

FAILING = "tasks:\n  t:\n    action: core.local cmd='exit 3'\n"

BLOCKING = """\
version: 1.0
tasks:
  t:
    action: core.local
    input:
      cmd: 'echo $$ > {fifo}; exec sleep 30'
"""
"""A command that tells its pid through a FIFO, then blocks (until the test kills it)."""


def troupe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "TROUPE_STORE"}
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False,
                          env={**environ, **(env or {})})


def run_json(path: Path, store: str, *params: str) -> dict[str, Any]:
    out = troupe("run", str(path), "--store", store, "--json", *params)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'troupe.db'}"


Read = Any
"""``read(*args, env=None)``: ``troupe *args`` in this process (a CompletedProcess)."""


@pytest.fixture
def read(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Read:
    def call(*args: str, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        with monkeypatch.context() as patch:
            patch.delenv("TROUPE_STORE", raising=False)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: bad arguments
                code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return call


def test_run_with_a_store_prints_as_without_and_is_read_back(store: str, read: Read) -> None:
    """run --store: the same output and exit code, the id on stderr; list, show and events
    read it back."""
    plain = troupe("run", "examples/hello.yaml", "-p", "name=Ada")
    stored = troupe("run", "examples/hello.yaml", "-p", "name=Ada", "--store", store)
    assert stored.returncode == plain.returncode == 0
    assert stored.stdout == plain.stdout
    listed = json.loads(read("executions", "list", "--store", store, "--json").stdout)
    [row] = listed["executions"]
    assert (row["workflow"], row["status"], listed["cursor"]) == ("hello", "succeeded", None)
    assert row["id"] in stored.stderr.splitlines()[0]
    shown = json.loads(read("executions", "show", row["id"], "--store", store,
                              "--json").stdout)
    assert shown["status"] == "succeeded"
    assert shown["parameters"] == {"name": "Ada"}
    assert shown["output"] == {"greeting": "Hello, Ada!", "loud": "HELLO, ADA!"}
    assert [(t["name"], t["status"], t["attempts"]) for t in shown["tasks"]] == [
        ("greet", "succeeded", 1), ("shout", "succeeded", 1)]
    text = read("executions", "show", row["id"], "--store", store)
    assert text.returncode == 0 and "greet" in text.stdout and "shout" in text.stdout
    lines = read("executions", "events", row["id"], "--store", store, "--json").stdout
    entries = [json.loads(line) for line in lines.splitlines()]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0]["kind"] == "WorkflowRequested"
    assert entries[0]["parameters"] == {"name": "Ada"}
    completed = [e for e in entries if e["kind"] == "ActionCompleted"]
    assert [e["result"]["stdout"] for e in completed] == ["Hello, Ada!", "HELLO, ADA!"]
    text_events = read("executions", "events", row["id"], "--store", store)
    assert len(text_events.stdout.splitlines()) == len(entries)


def test_secrets_are_masked_in_show_and_events(tmp_path: Path, store: str, read: Read) -> None:
    """A secret input never appears in show or events, text or JSON."""
    workflow = tmp_path / "secret.yaml"
    workflow.write_text(SECRET_WORKFLOW)
    result = run_json(workflow, store, "-p", f"token={SECRET}", "-p", "who=Ada")
    assert result["status"] == "succeeded"
    execution = result["execution_id"]
    for command in ("show", "events"):
        for extra in ((), ("--json",)):
            out = read("executions", command, execution, "--store", store, *extra)
            assert out.returncode == 0, out.stderr
            assert SECRET not in out.stdout + out.stderr
            assert "***" in out.stdout
    shown = json.loads(read("executions", "show", execution, "--store", store,
                              "--json").stdout)
    assert shown["parameters"] == {"token": "***", "who": "Ada"}


def test_list_filters_and_pages(tmp_path: Path, store: str, read: Read) -> None:
    """--status, --workflow, --since and --limit/--cursor; TROUPE_STORE when no --store."""
    failing = tmp_path / "fail.yaml"
    failing.write_text(FAILING)
    first = troupe("run", "examples/hello.yaml", "--store", store)
    second = troupe("run", str(failing), "--json", env={"TROUPE_STORE": store})
    assert (first.returncode, second.returncode) == (0, 1)
    failed_id = json.loads(second.stdout)["execution_id"]

    def ids(*args: str, env: dict[str, str] | None = None) -> list[str]:
        out = read("executions", "list", "--json", *args, env=env)
        assert out.returncode == 0, out.stderr
        return [row["id"] for row in json.loads(out.stdout)["executions"]]

    everything = ids("--store", store)
    assert len(everything) == 2 and everything[0] == failed_id  # newest first
    assert ids("--store", store, "--status", "failed") == [failed_id]
    assert ids("--store", store, "--workflow", "hello") == everything[1:]
    assert ids("--store", store, "--since", "1h") == everything
    assert ids("--store", store, "--since", "2999-01-01") == []
    page = json.loads(read("executions", "list", "--store", store, "--limit", "1",
                             "--json").stdout)
    assert [row["id"] for row in page["executions"]] == everything[:1]
    assert ids("--store", store, "--limit", "1", "--cursor", page["cursor"]) == everything[1:]
    assert ids(env={"TROUPE_STORE": store}) == everything
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert ids("--store", other, env={"TROUPE_STORE": store}) == []  # the flag wins
    table = read("executions", "list", "--store", store, "--limit", "1")
    assert table.stdout.split()[:5] == ["ID", "WORKFLOW", "STATUS", "CREATED", "DURATION"]
    assert page["cursor"] in table.stderr


def test_purge_removes_finished_executions_older_than_asked(store: str, read: Read) -> None:
    """--older-than 30d keeps a run that just finished; 0s removes it."""
    assert troupe("run", "examples/hello.yaml", "--store", store).returncode == 0
    kept = json.loads(read("purge", "--store", store, "--older-than", "30d", "--json").stdout)
    assert kept["removed"] == 0
    removed = json.loads(read("purge", "--store", store, "--older-than", "0s",
                                "--json").stdout)
    assert removed["removed"] == 1
    listed = json.loads(read("executions", "list", "--store", store, "--json").stdout)
    assert listed["executions"] == []


def test_bad_input_exits_2(store: str, read: Read) -> None:
    """An unknown id, a bad --since or --older-than, a bad store URL: exit 2."""
    assert read("executions", "show", "nope", "--store", store).returncode == 2
    assert read("executions", "events", "nope", "--store", store).returncode == 2
    assert read("executions", "list", "--store", store, "--since", "soon").returncode == 2
    assert read("executions", "list", "--store", store, "--cursor", "what").returncode == 2
    assert read("executions", "list", "--store", store, "--limit", "0").returncode == 2
    assert read("purge", "--store", store, "--older-than", "old").returncode == 2
    assert read("executions", "list", "--store", "nosuch://x").returncode == 2
    assert troupe("run", "examples/hello.yaml", "--store", "nosuch://x").returncode == 2


def _start_blocked(workflow: Path, fifo: Path, store: str) -> tuple[subprocess.Popen[bytes],
                                                                     int]:
    """``troupe run --store`` of ``workflow`` in a subprocess, once its command runs: the
    process and the command's pid (told through ``fifo``)."""
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # never blocks; the writer neither
    environ = {k: v for k, v in os.environ.items() if k != "TROUPE_STORE"}
    process = subprocess.Popen([sys.executable, "-m", "runtime.cli", "run", str(workflow),
                                "--store", store], cwd=ROOT, env=environ,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.fileno()
    told = b""
    deadline = time.monotonic() + 30
    try:
        while not told.endswith(b"\n"):
            ready, _, _ = select.select([reader, errors], [], [],
                                        max(deadline - time.monotonic(), 0))
            assert ready, "the command did not start in time"
            if errors in ready and not os.read(errors, 4096):
                pytest.fail(f"troupe run ended early ({process.wait()})")
            if reader in ready:
                told += os.read(reader, 64)
    finally:
        os.close(reader)
    return process, int(told)


def test_recover_after_a_kill_ends_the_started_attempt_as_outcome_unknown(
        tmp_path: Path, store: str, read: Read) -> None:
    """A run killed while its non-idempotent command ran: show tells what the store knows;
    recover fails it (the attempt's outcome is unknown) and exits 1; a second recover finds
    nothing to do."""
    workflow = tmp_path / "blocking.yaml"
    workflow.write_text(BLOCKING.format(fifo=tmp_path / "fifo"))
    process, command = _start_blocked(workflow, tmp_path / "fifo", store)
    try:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(command, signal.SIGKILL)
        assert process.stderr is not None
        process.stderr.close()
    [row] = json.loads(read("executions", "list", "--store", store, "--json").stdout)[
        "executions"]
    assert row["status"] == "running"
    before = json.loads(read("executions", "show", row["id"], "--store", store,
                               "--json").stdout)
    assert [(t["name"], t["status"], t["attempts"]) for t in before["tasks"]] == [
        ("t", "running", 1)]
    recovered = troupe("recover", "--store", store, "--json")
    assert recovered.returncode == 1, recovered.stderr
    [outcome] = json.loads(recovered.stdout)
    assert (outcome["execution_id"], outcome["workflow"], outcome["status"]) == (
        row["id"], "blocking", "failed")
    assert [e["task"] for e in outcome["errors"]] == ["t"]
    text = read("executions", "show", row["id"], "--store", store)
    assert text.returncode == 0
    after = json.loads(read("executions", "show", row["id"], "--store", store,
                              "--json").stdout)
    assert (after["status"], after["tasks"][0]["status"]) == ("failed", "failed")
    again = troupe("recover", "--store", store)
    assert again.returncode == 0 and again.stdout.strip()
    assert json.loads(troupe("recover", "--store", store, "--json").stdout) == []

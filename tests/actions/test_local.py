"""Tests of core.local: output, exit codes, cwd/env/stdin, timeouts and cancellation."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from runtime.actions import ActionFailed, ActionTimedOut
from runtime.actions.builtin import core_local
from tests.actions.support import Registrations, group_members, wait_group_gone

pytestmark = pytest.mark.timeout(30)


def test_stdout_stderr_and_return_code() -> None:
    """A successful command returns its output without the trailing newline."""
    result = core_local("echo out; echo err >&2", call=Registrations().call())
    assert result == {
        "stdout": "out",
        "stderr": "err",
        "return_code": 0,
        "succeeded": True,
        "failed": False,
    }


def test_only_one_trailing_newline_is_stripped() -> None:
    """Output keeps all but one trailing newline."""
    result = core_local("printf 'a\\n\\n'", call=Registrations().call())
    assert result["stdout"] == "a\n"


def test_list_command_runs_without_shell() -> None:
    """A list command is run directly, its arguments not split by a shell."""
    result = core_local(["printf", "%s", "a b; echo no"], call=Registrations().call())
    assert result["stdout"] == "a b; echo no"


def test_string_command_without_shell_is_split() -> None:
    """A string command with shell=False is split like a shell would, but not run by one."""
    result = core_local("printf %s '$HOME'", shell=False, call=Registrations().call())
    assert result["stdout"] == "$HOME"


def test_list_command_with_shell_is_quoted() -> None:
    """A list command with shell=True runs through the shell with each item quoted."""
    result = core_local(["echo", "a;b"], shell=True, call=Registrations().call())
    assert result["stdout"] == "a;b"


def test_non_zero_exit_fails_with_the_result() -> None:
    """A non-zero exit raises ActionFailed carrying the full result."""
    with pytest.raises(ActionFailed) as info:
        core_local("echo partial; exit 3", call=Registrations().call())
    result = info.value.result
    assert (result["return_code"], result["stdout"]) == (3, "partial")
    assert (result["succeeded"], result["failed"]) == (False, True)


def test_cwd_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cwd sets the directory; env is merged over the environment and None unsets."""
    monkeypatch.setenv("TROUPE_KEEP", "kept")
    monkeypatch.setenv("TROUPE_DROP", "dropped")
    result = core_local(
        'pwd; echo "$TROUPE_NEW $TROUPE_KEEP ${TROUPE_DROP:-unset} $TROUPE_NUM"',
        cwd=str(tmp_path),
        env={"TROUPE_NEW": "new", "TROUPE_DROP": None, "TROUPE_NUM": 5},  # type: ignore[dict-item]
        call=Registrations().call(),
    )
    assert result["stdout"].splitlines() == [str(tmp_path.resolve()), "new kept unset 5"]


def test_stdin_is_fed_to_the_command() -> None:
    """stdin text is written to the command's standard input."""
    assert core_local("cat", stdin="hello\n", call=Registrations().call())["stdout"] == "hello"


def test_no_stdin_means_empty_input() -> None:
    """Without stdin the command reads end-of-file at once."""
    assert core_local("cat", call=Registrations().call())["stdout"] == ""


def test_missing_executable_fails_with_127() -> None:
    """A command that cannot be started fails with return code 127."""
    with pytest.raises(ActionFailed) as info:
        core_local(["/nonexistent/troupe-bin"], call=Registrations().call())
    assert info.value.result["return_code"] == 127


@pytest.mark.parametrize("cmd", ["", "   ", [], 42])
def test_bad_command_fails(cmd: object) -> None:
    """An empty or non-string command fails without running anything."""
    with pytest.raises(ActionFailed):
        core_local(cmd, call=Registrations().call())  # type: ignore[arg-type]


def test_kill_function_is_registered_once() -> None:
    """The command registers exactly one kill function, which is harmless after it ended."""
    stub = Registrations()
    core_local("true", call=stub.call())
    assert len(stub.kills) == 1
    stub.kills[0]()


@pytest.mark.parametrize("where", ["input", "task"])
def test_timeout_kills_the_whole_group(where: str) -> None:
    """On timeout (input or task-level) the whole group dies; ActionTimedOut carries the output."""
    stub = Registrations()
    cmd = "echo $$; sleep 30 & sleep 30"
    with pytest.raises(ActionTimedOut) as info:
        if where == "input":
            core_local(cmd, timeout=0.3, call=stub.call(timeout=60))
        else:
            core_local(cmd, timeout=60, call=stub.call(timeout=0.3))
    result = info.value.result
    pgid = int(result["stdout"])
    assert result["return_code"] < 0
    assert result["failed"] is True
    assert wait_group_gone(pgid) == []
    assert group_members(pgid) == []


def test_cancel_at_registration_kills_the_command() -> None:
    """A kill function called as soon as it is registered ends a 30 s command with ActionFailed."""
    stub = Registrations(kill_immediately=True)
    with pytest.raises(ActionFailed) as info:
        core_local("sleep 30", call=stub.call())
    assert info.value.result["return_code"] < 0


def test_cancel_while_running_kills_the_whole_group(tmp_path: Path) -> None:
    """Calling the registered kill from another thread ends the command and its children."""
    fifo = tmp_path / "ready"
    os.mkfifo(fifo)
    stub = Registrations()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            core_local(f"echo $$ > {fifo}; sleep 30 & sleep 30", call=stub.call())
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert stub.registered.wait(10)
    pgid = int(fifo.read_text())  # blocks until the shell has written: it is running
    stub.kills[0]()
    worker.join(10)
    assert not worker.is_alive()
    assert len(errors) == 1
    assert isinstance(errors[0], ActionFailed)
    assert errors[0].result["return_code"] < 0
    assert wait_group_gone(pgid) == []


def test_background_jobs_do_not_outlive_the_command() -> None:
    """A background job left in the group is killed when the command returns."""
    result = core_local("echo $$; sleep 30 >/dev/null 2>&1 &", call=Registrations().call())
    assert result["return_code"] == 0
    assert wait_group_gone(int(result["stdout"])) == []

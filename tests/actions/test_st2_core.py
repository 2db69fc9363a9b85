"""StackStorm's core actions as Troupe has them: core.echo, local_sudo, remote, unavailable ones.

The sudo tests put a fake ``sudo`` (a shell script) first on PATH, or none at all, so they
assume nothing about the machine's sudo or the user running them.
"""

from __future__ import annotations

import getpass
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.actions import ActionFailed, ActionRegistry
from runtime.actions.builtin import core_echo, core_local, core_local_sudo, troupe_echo
from runtime.actions.remote import core_remote, core_remote_sudo
from runtime.api import start_workflow
from runtime.spec import validate
from tests.actions.support import Registrations

pytestmark = pytest.mark.timeout(30)

SHELL_KEYS = {"stdout", "stderr", "return_code", "succeeded", "failed"}


def test_core_echo_returns_the_local_runner_shape() -> None:
    """core.echo is StackStorm's: the message as stdout, return code 0, no process."""
    assert core_echo("hello") == {"stdout": "hello", "stderr": "", "return_code": 0,
                                  "succeeded": True, "failed": False}
    assert core_echo(5)["stdout"] == "5"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_core_echo_stdout_is_what_the_shell_echo_prints_less_its_newline(text: str) -> None:
    """For any message, stdout equals the message (echo's own newline is what is stripped)."""
    assert core_echo(text)["stdout"] == text


def test_troupe_echo_returns_its_message_unchanged() -> None:
    """Troupe's own echo keeps the old semantics, under troupe.echo."""
    assert troupe_echo({"a": [1]}) == {"a": [1]}
    assert ActionRegistry(entry_points=False).resolve("troupe.echo").fn is troupe_echo


def test_result_stdout_works_in_a_workflow_as_in_stackstorm() -> None:
    """A StackStorm workflow reading result().stdout of core.echo runs unchanged."""
    text = """version: 1.0
input: [who]
tasks:
  greet:
    action: core.echo message="<% 'hi ' + ctx(who) %>"
    next:
      - when: <% succeeded() %>
        publish: [said: <% result().stdout %>, rc: "{{ result().return_code }}"]
output: [said: <% ctx(said) %>, rc: <% ctx(rc) %>]
"""
    result = start_workflow(text, {"who": "ada"}).wait(timeout=20)
    assert result.status.value == "succeeded"
    assert result.output == {"said": "hi ada", "rc": 0}


# -- sudo -----------------------------------------------------------------------------------


def _fake_sudo(directory: Path, body: str) -> Path:
    """Write an executable ``sudo`` script into ``directory`` and return the directory."""
    script = directory / "sudo"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return directory


# Records its arguments, answers the -n probe, then runs what follows "--".
PERMISSIVE = """printf '%s\\n' "$*" >> "$SUDO_LOG"
[ "$1" = "-n" ] && [ "$2" = "true" ] && exit 0
if [ "$1" = "-S" ]; then read -r pw; echo "password=$pw" >> "$SUDO_LOG"; fi
while [ "$1" != "--" ]; do shift; done; shift
exec "$@"
"""


def test_without_sudo_installed_the_action_says_so(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """No sudo on PATH: core.local_sudo fails at once, naming the task, nothing runs."""
    monkeypatch.setenv("PATH", str(tmp_path))
    marker = tmp_path / "ran"
    with pytest.raises(ActionFailed) as info:
        core_local_sudo(f"/bin/touch {marker}", call=Registrations().call(task="root_it"))
    assert "sudo" in str(info.value) and "'root_it'" in str(info.value)
    assert set(info.value.result) == SHELL_KEYS and info.value.result["failed"] is True
    assert not marker.exists()


def test_sudo_that_wants_a_password_is_reported(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A sudo refusing -n (a password required) fails with its own words, nothing runs."""
    bin_dir = _fake_sudo(tmp_path, 'echo "sudo: a password is required" >&2; exit 1\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    with pytest.raises(ActionFailed) as info:
        core_local("echo x", sudo=True, call=Registrations().call(task="t1"))
    assert "a password is required" in info.value.result["stderr"]
    assert info.value.result["return_code"] == 1


def test_sudo_runs_the_command_through_sudo(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """sudo: true (and core.local_sudo) run `sudo -n -E -- /bin/sh -c CMD`."""
    log = tmp_path / "log"
    bin_dir = _fake_sudo(tmp_path, PERMISSIVE)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("SUDO_LOG", str(log))
    result = core_local_sudo("echo $((1+2))", call=Registrations().call())
    assert result["stdout"] == "3" and result["return_code"] == 0
    assert log.read_text().splitlines() == ["-n true", "-n -E -- /bin/sh -c echo $((1+2))"]


def test_a_sudo_password_goes_to_stdin_not_the_command_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sudo_password is written to sudo -S's stdin; it never appears in the arguments."""
    log = tmp_path / "log"
    bin_dir = _fake_sudo(tmp_path, PERMISSIVE)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("SUDO_LOG", str(log))
    result = core_local(["echo", "ok"], sudo=True, sudo_password="s3cret",
                        call=Registrations().call())
    assert result["stdout"] == "ok"
    args, password = log.read_text().splitlines()
    assert args == "-S -p  -E -- echo ok" and password == "password=s3cret"
    with pytest.raises(ActionFailed):  # stdin and a password would share one pipe
        core_local("cat", sudo=True, sudo_password="x", stdin="data",
                   call=Registrations().call())


# -- remote ---------------------------------------------------------------------------------


def test_remote_on_localhost_returns_a_result_per_host() -> None:
    """hosts: localhost runs here, with the remote runner's {host: {stdout, ...}} shape."""
    result = core_remote("echo hi", hosts="localhost, 127.0.0.1,localhost",
                         call=Registrations().call())
    assert list(result) == ["localhost", "127.0.0.1"]
    assert all(set(r) == SHELL_KEYS and r["stdout"] == "hi" for r in result.values())


def test_remote_takes_dir_and_env_as_stackstorm_does(tmp_path: Path) -> None:
    """dir (StackStorm's cwd) and env apply; username may be this process's user."""
    result = core_remote("pwd; echo $X", hosts="localhost", dir=str(tmp_path), env={"X": "1"},
                         username=getpass.getuser(), call=Registrations().call())
    assert result["localhost"]["stdout"] == f"{tmp_path}\n1"


def test_other_hosts_are_refused_before_anything_runs(tmp_path: Path) -> None:
    """A host that is not this machine is refused, naming the task and the host."""
    marker = tmp_path / "ran"
    with pytest.raises(ActionFailed) as info:
        core_remote(f"touch {marker}", hosts="localhost,web1.example.com",
                    call=Registrations().call(task="deploy"))
    assert info.value.result == {"refused_hosts": ["web1.example.com"]}
    assert "'deploy'" in str(info.value)
    assert not marker.exists()
    with pytest.raises(ActionFailed):
        core_remote("true", hosts="localhost", username="someone-else-" + getpass.getuser(),
                    call=Registrations().call())


def test_a_failing_host_fails_the_action_with_every_host_result() -> None:
    """As in StackStorm, one failing host fails the action; the result keeps every host."""
    with pytest.raises(ActionFailed) as info:
        core_remote("exit 3", hosts="localhost,::1", call=Registrations().call())
    assert {h: r["return_code"] for h, r in info.value.result.items()} == {
        "localhost": 3, "::1": 3}


def test_remote_sudo_without_sudo_fails_clearly(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """core.remote_sudo on localhost needs sudo like core.local_sudo."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ActionFailed) as info:
        core_remote_sudo("true", hosts="localhost", call=Registrations().call())
    assert info.value.result["localhost"]["failed"] is True


# -- actions that cannot apply --------------------------------------------------------------


@pytest.mark.parametrize("ref", ["core.pause", "core.winrm_cmd", "core.winrm_ps_cmd",
                                 "core.winrm_ps_script"])
@pytest.mark.parametrize("optional", [False, True])
def test_unavailable_actions_are_a_located_error(ref: str, optional: bool) -> None:
    """core.pause and core.winrm_* are T405 at the task's action, even --actions-optional."""
    text = f"version: 1.0\ntasks:\n  first:\n    action: core.noop\n  stop:\n    action: {ref}\n"
    registry = ActionRegistry(entry_points=False)
    defn, diagnostics = validate(text, action_exists=registry.has, actions_optional=optional)
    assert defn is None
    assert [(d.code, d.task, d.line, d.severity) for d in diagnostics] == [
        ("T405", "stop", 6, "error")]


def test_unavailable_actions_are_refused_without_an_action_check() -> None:
    """The check needs no registry: an Attune file naming core.pause is refused too."""
    text = "ref: p.w\nversion: 1.0.0\ntasks:\n  - name: wait\n    action: core.pause\n"
    defn, diagnostics = validate(text)
    assert defn is None and [d.code for d in diagnostics] == ["T405"]


@pytest.mark.parametrize(("hosts", "codes"), [
    ("web1.example.com", ["T405"]),
    ("localhost, db.example.com", ["T405"]),
    ("localhost,127.0.0.1", []),
    ("<% ctx(where) %>", []),  # an expression: refused, if at all, when the task runs
])
def test_remote_hosts_written_out_are_checked_at_validation(hosts: str,
                                                            codes: list[str]) -> None:
    """A core.remote task whose literal hosts name another machine is T405 at validation."""
    text = (f"version: 1.0\ninput: [where]\ntasks:\n  deploy:\n    action: core.remote\n"
            f"    input:\n      hosts: \"{hosts}\"\n      cmd: <% ctx(where) %>\n")
    _, diagnostics = validate(text)
    assert [(d.code, d.task) for d in diagnostics] == [(code, "deploy") for code in codes]

"""The shell runner: ``core.local`` and ``core.local_sudo``, StackStorm's local-shell-cmd.

A command runs in a process group of its own and nothing of that group outlives the action:
on success, failure, timeout or cancellation the whole group is killed. The result is
StackStorm's local runner shape, ``{stdout, stderr, return_code, succeeded, failed}``
(:func:`shell_result`), also on failure (in the error's ``result``). ``sudo: true`` (always
for ``core.local_sudo``) runs the command through ``sudo`` (:mod:`runtime.actions.sudo`).
Neither action is idempotent (a command's effects are unknown).

Misuse: do not call these with a made-up ``Call`` whose ``on_cancel`` blocks (they register
their kill function while running); do not expect a background job to keep running after the
command returns (a daemon must leave the group, e.g. with ``setsid``); do not pass secrets in
``cmd`` (it ends up in process listings): use ``env``.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import signal
import subprocess
from collections.abc import Mapping
from typing import Any

from runtime.actions.call import Call
from runtime.actions.sudo import sudo_argv
from runtime.errors import ActionFailed, ActionTimedOut

__all__ = ["KILL_GRACE", "core_local", "core_local_sudo", "shell_command", "shell_result"]

KILL_GRACE = 2.0
"""Seconds a command's process group leader gets to exit after SIGTERM before SIGKILL."""


def _min_timeout(*limits: float | None) -> float | None:
    """Return the smallest of the limits that are set, or ``None`` if none is."""
    given = [float(limit) for limit in limits if limit is not None]
    return min(given) if given else None


# -- the process group -----------------------------------------------------------------------------


class _ProcessGroup:
    """The process group of one ``core.local`` command, and how to end it.

    ``kill`` may be called from any thread, any number of times, even after the action
    returned (then it does nothing). ``close`` is called once by the action's own thread.
    """

    __slots__ = ("_done", "_pgid", "_proc")

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._proc = proc
        self._pgid = proc.pid  # start_new_session: the child leads a group of its own pid
        self._done = False

    def _signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to every process of the group; a group already gone is fine."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._pgid, sig)

    def _wait_leader(self, seconds: float) -> None:
        """Block until the group leader exits or ``seconds`` pass (one ``select``, no loop)."""
        if self._proc.returncode is not None:
            return
        try:
            pidfd = os.pidfd_open(self._proc.pid)
        except (AttributeError, OSError):  # no pidfd (old kernel) or leader already reaped
            return
        try:
            select.select([pidfd], [], [], seconds)
        finally:
            os.close(pidfd)

    def kill(self) -> None:
        """SIGTERM the group, give the leader :data:`KILL_GRACE` s to exit, then SIGKILL it."""
        if self._done:
            return
        self._signal(signal.SIGTERM)
        self._wait_leader(KILL_GRACE)
        self._signal(signal.SIGKILL)

    def close(self) -> None:
        """Kill what is left of the group, reap the leader and close the pipes."""
        self._done = True
        self._signal(signal.SIGKILL)
        proc = self._proc
        if proc.returncode is None:
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _command(cmd: object, shell: bool | None) -> tuple[str | list[str], bool]:
    """Return what to pass to ``Popen`` for ``cmd`` and whether to run it through the shell."""
    if isinstance(cmd, str):
        if not cmd.strip():
            raise ActionFailed("cmd is empty", result=None)
        use_shell = True if shell is None else bool(shell)
        return (cmd if use_shell else shlex.split(cmd)), use_shell
    if isinstance(cmd, (list, tuple)) and cmd:
        argv = [str(part) for part in cmd]
        use_shell = bool(shell)
        return (shlex.join(argv) if use_shell else argv), use_shell
    raise ActionFailed("cmd must be a non-empty string or list of strings", result=None)


def shell_command(cmd: object, shell: bool | None) -> list[str]:
    """The argv ``core.local`` runs for ``cmd`` (``/bin/sh -c`` in front when it goes
    through the shell): what a remote executor executes (:mod:`runtime.executors`)."""
    argv, use_shell = _command(cmd, shell)
    if use_shell:
        return ["/bin/sh", "-c", argv if isinstance(argv, str) else shlex.join(argv)]
    return list(argv)


def _environment(env: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Return ``env`` merged over ``os.environ`` (a ``None`` value unsets), or ``None``."""
    if env is None:
        return None
    merged = dict(os.environ)
    for key, value in env.items():
        if value is None:
            merged.pop(str(key), None)
        else:
            merged[str(key)] = str(value)
    return merged


def _text(data: str | bytes | None) -> str:
    """Return command output as text without a single trailing newline."""
    if data is None:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text.removesuffix("\n")


def shell_result(
    stdout: str | bytes | None, stderr: str | bytes | None, rc: int
) -> dict[str, Any]:
    """Return the shell runners' result dict (StackStorm's local and remote runner shape)."""
    return {
        "stdout": _text(stdout),
        "stderr": _text(stderr),
        "return_code": rc,
        "succeeded": rc == 0,
        "failed": rc != 0,
    }


def _drain(proc: subprocess.Popen[str]) -> tuple[str | bytes | None, str | bytes | None]:
    """Collect the output of a killed command; give up if an escaped process holds a pipe."""
    try:
        return proc.communicate(timeout=KILL_GRACE)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait()
        return exc.stdout, exc.stderr


def core_local(
    cmd: str | list[str],
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    shell: bool | None = None,
    stdin: str | None = None,
    sudo: bool = False,
    sudo_password: str | None = None,
    kwarg_op: str = "--",
    *,
    call: Call,
) -> dict[str, Any]:
    """Run a command on this host and return its stdout, stderr and return code.

    A string ``cmd`` runs through ``/bin/sh`` unless ``shell=False``; a list runs directly
    unless ``shell=True``. ``env`` is merged over the engine's environment. ``sudo`` runs it
    through ``sudo`` (``sudo_password`` is written to sudo's stdin, never to the command
    line); ``kwarg_op`` is accepted as StackStorm's runner takes it and has no effect on a
    command. The command runs in a process group of its own; the group is killed when the
    command ends, times out (the smaller of ``timeout`` and the task's timeout) or is
    cancelled. A non-zero exit or a kill raises ``ActionFailed`` with the same result dict;
    a timeout raises ``ActionTimedOut``.
    """
    del kwarg_op  # StackStorm applies it to script parameters; a command has none
    argv, use_shell = _command(cmd, shell)
    limit = _min_timeout(timeout, call.timeout)
    if sudo or sudo_password is not None:
        argv, stdin = sudo_argv(argv, use_shell, sudo_password, stdin, call.task)
        use_shell = False
    return _run(argv, use_shell, cwd, env, stdin, limit, call)


def core_local_sudo(
    cmd: str | list[str],
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    shell: bool | None = None,
    stdin: str | None = None,
    sudo_password: str | None = None,
    kwarg_op: str = "--",
    *,
    call: Call,
) -> dict[str, Any]:
    """Run a command on this host as root through ``sudo``: ``core.local`` with ``sudo: true``.

    Where ``sudo`` is not installed, or refuses to run without a password that was not
    given, the action fails at once with a message saying so.
    """
    return core_local(cmd, cwd, env, timeout, shell, stdin, True, sudo_password, kwarg_op,
                      call=call)


def _run(argv: str | list[str], use_shell: bool, cwd: str | None,
         env: Mapping[str, str] | None, stdin: str | None, limit: float | None,
         call: Call) -> dict[str, Any]:
    """Run the prepared command in its own process group and return its result."""
    proc = _spawn(argv, use_shell, cwd, env, stdin)
    group = _ProcessGroup(proc)
    stdout: str | bytes | None
    stderr: str | bytes | None
    try:
        call.on_cancel(group.kill)
        try:
            stdout, stderr = proc.communicate(stdin, timeout=limit)
        except subprocess.TimeoutExpired:
            group.kill()
            stdout, stderr = _drain(proc)
            raise ActionTimedOut(
                f"command timed out after {limit} s",
                result=shell_result(stdout, stderr, proc.returncode),
            ) from None
    finally:
        group.close()
    rc = proc.returncode
    result = shell_result(stdout, stderr, rc)
    if rc < 0:
        raise ActionFailed(f"command killed by signal {-rc}", result=result)
    if rc != 0:
        raise ActionFailed(f"command exited with {rc}", result=result)
    return result


def _spawn(argv: str | list[str], use_shell: bool, cwd: str | None,
           env: Mapping[str, str] | None, stdin: str | None) -> subprocess.Popen[str]:
    """Start the command in a process group of its own (ActionFailed if it cannot start)."""
    try:
        return subprocess.Popen(
            argv,
            shell=use_shell,
            cwd=cwd,
            env=_environment(env),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        rc = 127 if isinstance(exc, FileNotFoundError) else 126
        raise ActionFailed(
            f"command could not start: {exc}", result=shell_result("", str(exc), rc)
        ) from exc

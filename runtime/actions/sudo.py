"""How a shell action runs its command under ``sudo`` (``core.local_sudo``, ``sudo: true``).

:func:`sudo_argv` turns a prepared command into the ``sudo`` command line that runs it
(``sudo -n -E -- ...``, the engine's environment kept as StackStorm's runner keeps it), after
checking that ``sudo`` is installed and, without a password, that it may run without one
(``sudo -n true``). Either check failing is an :class:`~runtime.errors.ActionFailed` that
names the task and says what is missing, instead of a command that hangs on a password
prompt or fails with a bare ``sudo: not found``. A ``sudo_password`` is written to sudo's
stdin (``-S``), never to its command line.

Misuse: do not call it for a command that reads its own stdin together with a password
(both would share one pipe; it is refused); do not expect a password prompt: there is no
terminal, and ``-n`` makes sudo fail instead of asking.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from runtime.errors import ActionFailed

__all__ = ["SUDO_CHECK_TIMEOUT", "sudo_argv"]

SUDO_CHECK_TIMEOUT = 10.0
"""Seconds ``sudo -n true`` may take to tell whether sudo runs without a password."""


def _refused(message: str) -> ActionFailed:
    """The failure of a command that never ran, with the shell runners' result shape."""
    result: dict[str, Any] = {"stdout": "", "stderr": message, "return_code": 1,
                              "succeeded": False, "failed": True}
    return ActionFailed(message, result=result)


def _check_passwordless(sudo: str, task: str) -> None:
    """Raise unless ``sudo`` runs a command for this user without asking for a password."""
    try:
        probe = subprocess.run([sudo, "-n", "true"], capture_output=True, text=True,
                               timeout=SUDO_CHECK_TIMEOUT, stdin=subprocess.DEVNULL,
                               check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _refused(f"task {task!r}: sudo could not be run ({exc})") from exc
    if probe.returncode != 0:
        said = probe.stderr.strip() or f"exit status {probe.returncode}"
        raise _refused(f"task {task!r}: sudo is not allowed without a password for this "
                       f"user ({said}); give sudo_password or allow NOPASSWD in sudoers")


def sudo_argv(argv: str | list[str], use_shell: bool, password: str | None,
              stdin: str | None, task: str) -> tuple[list[str], str | None]:
    """Return the command line running ``argv`` under sudo, and the stdin to give it."""
    sudo = shutil.which("sudo")
    if sudo is None:
        raise _refused(f"task {task!r}: sudo is not installed on this host (not on PATH), "
                       f"so the command cannot run as root")
    inner = ["/bin/sh", "-c", argv] if use_shell and isinstance(argv, str) else list(argv)
    if password is None:
        _check_passwordless(sudo, task)
        return [sudo, "-n", "-E", "--", *inner], stdin
    if stdin is not None:
        raise _refused(f"task {task!r}: stdin cannot be given with sudo_password "
                       f"(sudo reads the password from stdin)")
    return [sudo, "-S", "-p", "", "-E", "--", *inner], f"{password}\n"

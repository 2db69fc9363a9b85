"""The built-in actions: ``core.*`` as StackStorm's core pack has them, ``troupe.*`` of our own.

Each is a plain function with a docstring, registered under its reference in
:data:`BUILTIN_ACTIONS`. The ``core.*`` actions take StackStorm's parameters and return
StackStorm's results: ``core.echo`` (the local runner's shape, without a process),
``core.local``/``core.local_sudo`` (:mod:`runtime.actions.local`), ``core.remote``/
``core.remote_sudo`` on localhost (:mod:`runtime.actions.remote`), ``core.http``
(:mod:`runtime.actions.http`), ``core.noop``; ``core.sleep`` is Troupe's. ``troupe.echo``
returns its ``message`` unchanged. The StackStorm actions that cannot apply here
(``core.pause``, ``core.winrm_*``) are not actions at all: validation rejects them
(:mod:`runtime.spec.unavailable_actions`). ``core.noop``, ``core.echo``, ``troupe.echo`` and
``core.sleep`` are idempotent (an attempt may be sent again after a crash), ``core.http``
for ``GET`` and ``HEAD`` only, the shell actions are not. ``core.sleep`` waits on a pipe
with one ``select`` call, so a cancellation wakes it at once without a thread or a polling
loop.

Misuse: do not expect ``core.echo`` to return its message (it returns ``{stdout, ...}`` as
StackStorm's does: use ``troupe.echo`` for the message itself); do not call these with a
made-up ``Call`` whose ``on_cancel`` blocks.
"""

from __future__ import annotations

import contextlib
import os
import select
import weakref
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from runtime.actions.call import Call
from runtime.actions.http import core_http
from runtime.actions.idempotency import idempotent
from runtime.actions.local import (
    KILL_GRACE,
    core_local,
    core_local_sudo,
    shell_command,
    shell_result,
)
from runtime.actions.remote import core_remote, core_remote_sudo
from runtime.errors import ActionFailed, ActionTimedOut

__all__ = [
    "BUILTIN_ACTIONS",
    "KILL_GRACE",
    "core_echo",
    "core_http",
    "core_local",
    "core_local_sudo",
    "core_noop",
    "core_remote",
    "core_remote_sudo",
    "core_sleep",
    "shell_command",
    "troupe_echo",
]


@idempotent
def core_noop(**_ignored: Any) -> None:
    """Do nothing and succeed; every input is accepted and ignored."""


@idempotent
def core_echo(message: Any, cmd: str | None = None, kwarg_op: str | None = None,
              sudo: bool = False, sudo_password: str | None = None) -> dict[str, Any]:
    """Echo ``message`` as StackStorm's ``core.echo``: ``{stdout: message, stderr: "", ...}``.

    No process runs: ``stdout`` is the message as text (StackStorm's ``echo`` output without
    its trailing newline), ``return_code`` is 0. StackStorm's immutable parameters (``cmd``,
    ``kwarg_op``, ``sudo``, ``sudo_password``) are accepted and ignored.
    """
    del cmd, kwarg_op, sudo, sudo_password
    text = message if isinstance(message, str) else str(message)
    return shell_result(f"{text}\n", "", 0)  # what `echo` prints, less its newline


@idempotent
def troupe_echo(message: Any = None) -> Any:
    """Return ``message`` unchanged (Troupe's echo; StackStorm's is ``core.echo``)."""
    return message


# -- core.sleep -----------------------------------------------------------------------------


def _waker(write_fd: int) -> Callable[[], None]:
    """Return a function that writes one byte to ``write_fd`` and owns that descriptor.

    The descriptor is closed only when the function itself is garbage-collected, so a late
    call (after the sleep ended) can never write into a descriptor number reused elsewhere.
    """
    os.set_blocking(write_fd, False)

    def wake() -> None:
        with contextlib.suppress(OSError):  # full pipe or read end closed: nothing to wake
            os.write(write_fd, b"x")

    weakref.finalize(wake, os.close, write_fd)
    return wake


@idempotent
def core_sleep(seconds: float, *, call: Call) -> None:
    """Wait ``seconds`` seconds; cancellable, and bounded by the task's timeout.

    A cancellation raises ``ActionFailed``; a task timeout shorter than ``seconds`` makes it
    wait that long and raise ``ActionTimedOut``.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ActionFailed("seconds must be a number", result=None)
    limit = max(float(seconds), 0.0)
    timed_out = call.timeout is not None and call.timeout < limit
    if call.timeout is not None:
        limit = max(min(limit, float(call.timeout)), 0.0)
    read_fd, write_fd = os.pipe()
    try:
        wake = _waker(write_fd)
    except BaseException:
        os.close(write_fd)
        os.close(read_fd)
        raise
    try:
        call.on_cancel(wake)
        ready, _, _ = select.select([read_fd], [], [], limit)
    finally:
        os.close(read_fd)
        del wake  # the write end now lives as long as the engine keeps the registration
    if ready:
        raise ActionFailed("canceled", result=None)
    if timed_out:
        raise ActionTimedOut(f"sleep exceeded the task timeout of {call.timeout} s", result=None)


def core_ask(**_ignored: Any) -> None:
    """Ask a person (StackStorm's inquirer): the engine opens an inquiry for a task whose
    action is ``core.ask`` (:mod:`runtime.inquiries`); only an item of a with-items task
    gets here, and one inquiry per item is not supported."""
    raise ActionFailed("core.ask asks once per task: it cannot run for with-items items")


BUILTIN_ACTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        "core.ask": core_ask,
        "core.echo": core_echo,
        "core.http": core_http,
        "core.local": core_local,
        "core.local_sudo": core_local_sudo,
        "core.noop": core_noop,
        "core.remote": core_remote,
        "core.remote_sudo": core_remote_sudo,
        "core.sleep": core_sleep,
        "troupe.echo": troupe_echo,
    }
)
"""Every built-in action by reference (read-only)."""

"""Test helpers for actions: a recording ``on_cancel`` stub and process-group inspection.

Misuse: these are for tests only; they block (with timeouts) instead of sleeping.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Callable
from pathlib import Path

from runtime.actions.call import Call


class Registrations:
    """An ``on_cancel`` stub that records kill functions, optionally calling them at once."""

    def __init__(self, *, kill_immediately: bool = False) -> None:
        self.kills: list[Callable[[], None]] = []
        self.registered = threading.Event()
        self._kill_immediately = kill_immediately

    def __call__(self, kill: Callable[[], None]) -> None:
        self.kills.append(kill)
        self.registered.set()
        if self._kill_immediately:
            kill()

    def call(self, *, timeout: float | None = None, task: str = "t") -> Call:
        """Return a Call whose on_cancel is this stub."""
        return Call(execution_id="e1", task=task, timeout=timeout, on_cancel=self)


def group_members(pgid: int) -> list[int]:
    """Return the pids of processes in group ``pgid`` that are not zombies."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def wait_group_gone(pgid: int, timeout: float = 5.0) -> list[int]:
    """Wait (blocking on pidfds, no polling) for every member of ``pgid`` to exit.

    Return the pids still alive after ``timeout``: empty when the whole group is gone.
    """
    alive = []
    for pid in group_members(pgid):
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
        finally:
            os.close(fd)
        if not ready:
            alive.append(pid)
    return alive


def open_fds() -> int:
    """Return how many file descriptors this process has open."""
    with contextlib.suppress(OSError):
        return len(os.listdir("/proc/self/fd"))
    return -1

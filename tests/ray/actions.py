"""Python actions the Ray tests run on Ray workers (imported there by reference)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from runtime.actions import idempotent
from runtime.errors import ActionFailed


@idempotent
def square(n: int) -> int:
    """n * n."""
    return n * n


def boom(n: int) -> int:
    """Fail with a result."""
    raise ActionFailed("boom", result={"n": n})


def _hold(marker: str, n: int) -> int:
    """Write this worker's pid as a line to the FIFO ``marker``, then wait for a signal that
    never comes (the attempt is killed, or its node removed)."""
    with open(marker, "w", encoding="utf-8") as fifo:
        fifo.write(f"{os.getpid()}\n")
    signal.pause()
    return n


@idempotent
def hold_idempotent(marker: str, n: int, done: str) -> int:
    """Hold until ``done`` exists (first run), return at once when it does (re-run)."""
    if Path(done).exists():
        return n
    return _hold(marker, n)


def hold(marker: str, n: int) -> int:
    """Hold forever (not idempotent)."""
    return _hold(marker, n)


@idempotent
def blob(n: int) -> str:
    """A string of ``n`` characters (a big result)."""
    return "x" * n


@idempotent
def measure(data: Any) -> dict[str, Any]:
    """What arrived: its type and length (a kept result's value, not its record)."""
    return {"type": type(data).__name__, "length": len(data)}

"""Ctrl-C on the command line: the first cancels the executions, the second kills their
running actions.

Misuse: install it from the main thread only (signal handlers can be set nowhere else), and
only around a wait: the previous handler comes back when the block ends.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.handle import WorkflowHandle

__all__ = ["cancel_on_interrupt"]


@contextmanager
def cancel_on_interrupt(handles: Sequence[WorkflowHandle], err: IO[str]) -> Iterator[None]:
    """While the block runs, SIGINT cancels ``handles`` (the second one with ``force``)."""
    previous = signal.getsignal(signal.SIGINT)
    interrupts = [0]

    def interrupt(_signum: int, _frame: Any) -> None:
        interrupts[0] += 1
        force = interrupts[0] > 1
        err.write("\ntroupe: interrupted, " + ("killing running actions...\n" if force else
                  "canceling the workflow (Ctrl-C again to kill running actions)...\n"))
        for handle in handles:
            handle.cancel("interrupted", force=force)

    signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

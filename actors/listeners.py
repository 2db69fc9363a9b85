"""Progress listeners of one execution: the callables ``start_workflow(on_event=...)`` got.

:class:`Listeners` turns the machine's commands into :class:`~runtime.progress.ProgressEvent`
values (secrets masked) and calls every listener with each, in the supervisor's thread.

Misuse: a listener must not block (it holds the supervisor); one that raises is logged and
skipped, never allowed to stop the execution.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from runtime.commands import Command
from runtime.masking import Masker
from runtime.progress import ProgressEvent, progress_of

__all__ = ["Listeners"]

log = structlog.get_logger("troupe.supervisor")


class Listeners:
    """Calls an execution's progress listeners."""

    __slots__ = ("execution_id", "listeners", "masker")

    def __init__(self, listeners: tuple[Callable[[ProgressEvent], None], ...],
                 execution_id: str, masker: Masker) -> None:
        self.listeners = listeners
        self.execution_id = execution_id
        self.masker = masker

    def notify(self, command: Command) -> None:
        """Tell every listener the progress event of ``command`` (if it has one)."""
        if not self.listeners:
            return
        event = progress_of(command, self.execution_id, self.masker)
        if event is None:
            return
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # logged: a broken listener must not stop the execution
                log.warning("progress listener failed", exc_info=True)

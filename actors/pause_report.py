"""A sub-workflow's pause, told to its parent (:mod:`runtime.machine.subpauses`).

When a supervisor's workflow enters or leaves ``paused`` (an inquiry below waits, its
answer came, or that branch was paused and resumed), :func:`status_changed` journals the
status and, for a sub-workflow, tells the parent supervisor :class:`ChildPaused`; the parent
feeds it to its machine as ``SubworkflowPaused`` (:func:`on_child_paused`), which pauses the
parent once only paused sub-workflows are left, and resumes it when one runs again. The
report travels up a level at a time, so the root is paused while an inquiry anywhere below
waits alone, and runs again once it is answered.

Misuse: only the supervisor's thread calls these (its ``_feed`` and its handler table).
"""

from __future__ import annotations

import time
from typing import Any

from runtime.events import SubworkflowPaused
from runtime.records import record
from runtime.status import WorkflowStatus

from .cancellation import tell_ref
from .messages import AttemptKey

__all__ = ["ChildPaused", "on_child_paused", "status_changed"]


@record
class ChildPaused:
    """Parent: the sub-workflow running your attempt ``key`` paused (or runs again)."""

    key: AttemptKey
    paused: bool


def status_changed(supervisor: Any, before: WorkflowStatus) -> None:
    """The supervisor's workflow status changed from ``before`` in one step."""
    if supervisor.finished:
        return
    status = supervisor.state.status
    if supervisor.durable is not None:
        supervisor.durable.status(status.value)
    parent = supervisor.parent
    paused = status is WorkflowStatus.PAUSED
    if parent is not None and paused != (before is WorkflowStatus.PAUSED):
        tell_ref(parent.ref, ChildPaused(key=parent.key, paused=paused))


def on_child_paused(supervisor: Any, message: ChildPaused) -> None:
    """Feed a child's pause (or its running again) to the parent's machine."""
    run, item, attempt = message.key
    supervisor._feed(SubworkflowPaused(run=run, item=item, attempt=attempt,
                                       paused=message.paused, at=time.time()))

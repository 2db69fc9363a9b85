"""Statuses of workflow executions, task runs and action attempts, as enums with their groups.

These enums are the only copy of the status names: the machine's state, its commands, the
progress events, the results handed to callers and the trace all carry members. They are
``StrEnum`` members, so a caller's ``result.status == "succeeded"`` works, JSON encodes them
as their value, and hashing one is ``str``'s C hash (the machine keys tables by them).

Misuse: engine code compares members by identity (``status is TaskStatus.FAILED``), never
against strings; the strings are for callers and output. YAML's safe dumper does not know
``str`` subclasses: convert with ``str(status)`` (or :func:`runtime.values.plain`) first.
"""

from __future__ import annotations

import enum

__all__ = [
    "ABENDED",
    "TASK_DONE",
    "WORKFLOW_DONE",
    "Outcome",
    "TaskStatus",
    "WorkflowStatus",
    "is_abended",
]


class WorkflowStatus(enum.StrEnum):
    """Where a workflow execution is in its life."""

    REQUESTED = "requested"
    RUNNING = "running"
    PAUSING = "pausing"
    PAUSED = "paused"
    FAILING = "failing"
    """A failure decided the outcome; tasks already running are finishing."""
    CANCELING = "canceling"
    """Canceled with the allow-finish policy: running actions finish, nothing new starts."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


WORKFLOW_DONE = frozenset(
    {WorkflowStatus.SUCCEEDED, WorkflowStatus.FAILED, WorkflowStatus.CANCELED}
)


class TaskStatus(enum.StrEnum):
    """Where one task run (a sequence entry) is in its life."""

    READY = "ready"
    DELAYED = "delayed"
    RUNNING = "running"
    RETRYING = "retrying"
    HELD = "held"
    """Ready but not started because the workflow is pausing or paused."""
    PENDING = "pending"
    """Waiting for a person's answer to its inquiry (:mod:`runtime.inquiries`)."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELED = "canceled"


TASK_DONE = frozenset(
    {TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.TIMED_OUT, TaskStatus.CANCELED}
)
ABENDED = frozenset({TaskStatus.FAILED, TaskStatus.TIMED_OUT})


def is_abended(status: TaskStatus) -> bool:
    """Tell whether ``status`` is failed or timed out (identity tests: no Enum hashing)."""
    return status is TaskStatus.FAILED or status is TaskStatus.TIMED_OUT


class Outcome(enum.StrEnum):
    """How one action attempt ended, as reported by whoever ran it."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELED = "canceled"
    WORKER_LOST = "worker_lost"
    """The process or node running the attempt died under it (a remote executor), and its
    action is not idempotent, so it was not run again. Its task status is ``FAILED``; its
    error record's kind is ``worker_lost`` (:data:`runtime.errors.WORKER_LOST`)."""
    RESULT_LOST = "result_lost"
    """The attempt's input holds a reference to a result kept in Ray's object store that is
    no longer there (:mod:`runtime.executors.kept`); it was not sent. Its task status is
    ``FAILED``; its error record's kind is ``result_lost``."""
    UNKNOWN = "unknown"
    """The attempt started and its outcome was never recorded (the engine stopped while it
    ran, and its action is not idempotent, so it is not run again). Its task status is
    ``FAILED``: the workflow routes it like any failure; its error record's kind is
    ``outcome_unknown``."""

    @property
    def task_status(self) -> TaskStatus:
        """The task status an attempt with this outcome leaves behind."""
        return _OUTCOME_STATUS[self._value_]  # str keys: Enum.__hash__ is Python code


_OUTCOME_STATUS = {
    Outcome.SUCCEEDED.value: TaskStatus.SUCCEEDED,
    Outcome.FAILED.value: TaskStatus.FAILED,
    Outcome.TIMED_OUT.value: TaskStatus.TIMED_OUT,
    Outcome.CANCELED.value: TaskStatus.CANCELED,
    Outcome.UNKNOWN.value: TaskStatus.FAILED,
    Outcome.WORKER_LOST.value: TaskStatus.FAILED,
    Outcome.RESULT_LOST.value: TaskStatus.FAILED,
}

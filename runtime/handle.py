"""The handle of one execution: wait for it, follow it, cancel, pause, resume.

A :class:`WorkflowHandle` is what ``start_workflow`` and :class:`runtime.engine.Engine`
return. It talks to the execution's supervisor by message; a handle of an execution that
finished before this process knew it (read back from a store) holds its result only.

Misuse: a handle belongs to one execution; waiting on it from several threads is fine, but
progress callbacks run in an actor's thread and must not block.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pykka

from runtime.masking import NO_MASK, Masker
from runtime.progress import ProgressEvent
from runtime.results import ExecutionResult

__all__ = ["WorkflowHandle", "finished_handle"]


class WorkflowHandle:
    """A running (or finished) execution: wait for it, follow it, cancel, pause, resume."""

    def __init__(self, *, execution_id: str, supervisor: Any, done: pykka.ThreadingFuture[Any],
                 events: queue.SimpleQueue[ProgressEvent] | None, sink: Any,
                 masker: Masker = NO_MASK, inquiries: Any = None) -> None:
        self.execution_id = execution_id
        self._inquiries = inquiries
        """The :class:`actors.inquiry_book.InquiryBook` its inquiries are listed in."""
        self.masker = masker
        """What hides the execution's secrets (its secret inputs, what its ``st2kv`` may
        decrypt), for callers that print its result."""
        self._supervisor = supervisor
        self._done = done
        self._events = events
        self._sink = sink
        self._result: ExecutionResult | None = None

    def wait(self, timeout: float | None = None) -> ExecutionResult:
        """Block until the execution ends and return its result.

        Raises TimeoutError if it is still running after ``timeout`` seconds.
        """
        if self._result is None:
            try:
                self._result = self._done.get(timeout=timeout)
            except pykka.Timeout:
                raise TimeoutError(
                    f"execution {self.execution_id} still running after {timeout} s"
                ) from None
        return self._result

    def done(self) -> bool:
        """Tell whether the execution has ended."""
        if self._result is not None:
            return True
        try:
            self._result = self._done.get(timeout=0)
        except pykka.Timeout:
            return False
        return True

    @property
    def status(self) -> str:
        """The current status (``running``, ``pausing``, ``paused``, ``failing``, or final)."""
        if self.done():
            assert self._result is not None
            return str(self._result.status)
        try:
            status, _ = self._supervisor.ask(_inspect(), timeout=5)
            return str(status)
        except (pykka.ActorDeadError, pykka.Timeout):
            return str(self.wait(timeout=5).status)

    def cancel(self, reason: str = "canceled by caller", *, force: bool = False) -> None:
        """Cancel: nothing new starts, and running actions are stopped (shell commands killed).

        Under the ``allow_finish`` cancellation policy (Attune's default) running actions are
        let finish first, unless ``force`` is true.
        """
        from actors.messages import Cancel

        self._tell(Cancel(reason=reason, force=force))

    def pause(self) -> None:
        """Pause: running actions finish, nothing new starts until :meth:`resume`."""
        from actors.messages import Pause

        self._tell(Pause())

    def resume(self) -> None:
        """Resume a paused (or pausing) execution."""
        from actors.messages import Resume

        self._tell(Resume())

    def events(self, timeout: float | None = None) -> Iterator[ProgressEvent]:
        """Yield progress events until the execution finishes.

        Needs ``start_workflow(..., events=True)``. Raises TimeoutError if no event arrives
        within ``timeout`` seconds.
        """
        if self._events is None:
            raise RuntimeError("start the workflow with events=True to iterate its events")
        while True:
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError("no progress event within the timeout") from None
            yield event
            if event.kind == "workflow_finished":
                return

    def mailbox_depth(self) -> int:
        """How many messages wait in the execution's supervisor's mailbox (0 once it ended)."""
        if self._supervisor is None or self.done():
            return 0
        return int(self._supervisor.actor_inbox.qsize())

    def actor_tree(self, timeout: float = 5.0) -> dict[str, Any] | None:
        """The live actor tree (:mod:`runtime.actor_view`'s JSON, every sub-workflow nested),
        asked of the supervisors by message; None once the execution ended."""
        if self._supervisor is None or self.done():
            return None
        from actors.actor_tree import live_tree

        return live_tree(self._supervisor, timeout)

    def abandon(self) -> None:
        """Stop the execution's supervisor (and its sub-workflows') without ending the
        execution: a durable one stays unfinished in its store, for the next engine's
        ``recover``. (An engine that
        closes before its executions finished does this; the waiters never wake.)"""
        if self._supervisor is not None:
            try:
                self._supervisor.stop(block=False)
            except pykka.ActorDeadError:
                pass  # it already ended

    def inquiries(self, status: str | None = "pending") -> list[Any]:
        """Its inquiries (and its sub-workflows') with ``status`` (None: all), as
        :class:`runtime.inquiries.Inquiry` records."""
        if self._inquiries is None:
            return []
        return list(self._inquiries.list(status, self.execution_id))

    def respond(self, inquiry_id: str, response: Any) -> Any:
        """Answer one of its inquiries (``runtime.inquiries``: the errors it raises)."""
        if self._inquiries is None:
            from runtime.inquiries import InquiryNotFound
            raise InquiryNotFound(inquiry_id)
        return self._inquiries.respond(inquiry_id, response)

    def _tell(self, message: Any) -> None:
        if self._supervisor is None:
            return  # read back from a store, finished: nothing to tell
        try:
            self._supervisor.tell(message)
        except pykka.ActorDeadError:
            pass  # already finished: cancel/pause/resume of a finished execution do nothing


def _inspect() -> Any:
    from actors.messages import Inspect

    return Inspect()


def finished_handle(result: ExecutionResult) -> WorkflowHandle:
    """A handle of an execution that already finished, holding its result."""
    done: pykka.ThreadingFuture[Any] = pykka.ThreadingFuture()
    done.set(result)
    return WorkflowHandle(execution_id=result.execution_id, supervisor=None, done=done,
                          events=None, sink=None)

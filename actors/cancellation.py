"""Cancellation bookkeeping of one execution: which attempts are live and how to stop them.

An attempt is *live* from the moment the supervisor sends it (to a worker or a child
supervisor) until its report arrives or the machine cancels it. A running action may
register a kill function (:class:`~actors.messages.RegisterCanceller`, e.g. a shell
command's process-group kill); a child supervisor runs a sub-workflow attempt. Canceling an
attempt runs its kill function on the :class:`Reaper` (a kill may wait for a grace period,
which must not block the supervisor) and tells its child to cancel. A kill function may
register *after* its attempt was canceled (the worker tells it while the cancel crosses): it
is then run at once.

Misuse: only the supervisor's thread uses a :class:`Cancellation`; forget an attempt
(:meth:`Cancellation.ended`) when its report arrives, or a late kill function would be kept
for an attempt that is over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pykka
import structlog

from .messages import AttemptKey, Cancel, Kill

__all__ = ["Cancellation", "Reaper", "stop_ref", "tell_ref"]

log = structlog.get_logger("troupe.supervisor")


class Reaper(pykka.ThreadingActor):
    """Runs kill functions (process-group kills may wait for a grace period)."""

    use_daemon_thread = True

    def on_receive(self, message: Any) -> Any:
        if type(message) is Kill:
            try:
                message.kill()
            except Exception:  # logged: the attempt is over anyway, nobody waits for the kill
                log.warning("kill failed", exc_info=True)
        return None


def tell_ref(ref: Any, message: Any) -> None:
    """Tell ``ref`` (an actor that already stopped is fine: its work is over)."""
    try:
        ref.tell(message)
    except pykka.ActorDeadError:
        pass  # the child already finished; its report is in our mailbox or was handled


def stop_ref(ref: Any) -> None:
    """Stop ``ref`` without waiting (already stopped is fine)."""
    try:
        ref.stop(block=False)
    except pykka.ActorDeadError:
        pass  # already stopped


class Cancellation:
    """Live attempts, their kill functions and child supervisors, and the reaper."""

    __slots__ = ("cancelled", "cancellers", "children", "live", "reaper")

    def __init__(self) -> None:
        self.live: set[AttemptKey] = set()
        self.cancellers: dict[AttemptKey, Callable[[], None]] = {}
        self.cancelled: set[AttemptKey] = set()
        """Attempts canceled before their kill function registered."""
        self.children: dict[AttemptKey, Any] = {}
        """Child supervisors running sub-workflow attempts."""
        self.reaper: Any = None

    def started(self, key: AttemptKey, child: Any = None) -> None:
        """The attempt was sent (to ``child``, a supervisor, for a sub-workflow)."""
        self.live.add(key)
        if child is not None:
            self.children[key] = child

    def ended(self, key: AttemptKey) -> None:
        """The attempt's report arrived."""
        self.live.discard(key)
        if self.cancellers:
            self.cancellers.pop(key, None)
        if self.cancelled:
            self.cancelled.discard(key)
        if self.children:
            self.children.pop(key, None)

    def returned(self, key: AttemptKey) -> None:
        """The attempt never started (it waited for a worker) and goes back to the machine."""
        self.live.discard(key)

    def register(self, key: AttemptKey, kill: Callable[[], None]) -> None:
        """A running action can be killed with ``kill`` (run at once if already canceled)."""
        if key in self.cancelled:
            self.cancelled.discard(key)
            self._reap(kill)
        elif key in self.live:
            self.cancellers[key] = kill

    def cancel(self, key: AttemptKey, reason: str) -> None:
        """Stop the attempt: kill its action, cancel its child supervisor."""
        self.live.discard(key)
        kill = self.cancellers.pop(key, None)
        if kill is not None:
            self._reap(kill)
        else:
            self.cancelled.add(key)
        child = self.children.pop(key, None)
        if child is not None:
            tell_ref(child, Cancel(reason=reason, force=True))

    def cascade(self, message: Any) -> None:
        """Tell every child supervisor ``message`` (cancel, pause, resume)."""
        for child in list(self.children.values()):
            tell_ref(child, message)

    def abort(self, reason: str) -> None:
        """Stop every live attempt (the execution ends without the machine's say)."""
        for key in list(self.live):
            self.cancel(key, reason)

    def close(self) -> None:
        """The execution is over: stop the reaper once the kills it was given have run."""
        if self.reaper is not None:
            stop_ref(self.reaper)
            self.reaper = None

    def _reap(self, kill: Callable[[], None]) -> None:
        if self.reaper is None:
            self.reaper = Reaper.start()
        self.reaper.tell(Kill(kill=kill))

"""Attempts that run on a remote executor (Ray): sent as specs, reported back as messages.

:class:`RemoteAttempts` is the part of a supervisor that sends the attempts of tasks placed
on a remote executor (a task's ``executor: ray``, or the engine's default,
:class:`~runtime.executors.ExecutorChoice`) instead of to its local workers: it builds the
attempt's :class:`~runtime.executors.ActionSpec`, submits it, and registers the kill
function the executor returns as the attempt's canceller (a cancel or a timeout runs it on
the reaper: :mod:`actors.cancellation`). A non-idempotent attempt of a durable execution is
submitted only once its ``AttemptStarted`` is durable, as a local one is handed to its
worker (the fence): after a crash, recovery treats it as it treats a local attempt.

The executor reports an attempt by calling the ``report`` it was given with the
:class:`~runtime.executors.ActionOutcome`, on whatever thread it has (Ray's): ``report``
only tells the supervisor a :class:`~actors.messages.Performed` (no lock, no state), and the
supervisor's machine drops a report whose attempt is no longer current (canceled, timed
out, superseded by a retry): the key is the attempt.

While the engine drains (:meth:`RemoteAttempts.hold`, :mod:`actors.remote_drain`), no
attempt is submitted: the machine's new attempts wait, unsubmitted and unjournaled (their
timeouts held back, their items given back at a pause, as a local attempt waiting for a
permit), and the hold's future is set once the attempts in flight reported and their
reports are durable. With tracing on, a submission is a ``message.sent`` to the executor
(``to: ray``) and the report a ``message.received`` from it, both with the attempt's
``key`` (its idempotency key).

Executors are connected once per process and address (:func:`connect`; ``ray`` imports the
optional extra, :mod:`actors.ray_executor`, then). A remote attempt holds no worker permit
of the process's budget: the cluster's resources bound them.

Misuse: only the supervisor's thread calls :meth:`RemoteAttempts.dispatch`; never block or
touch supervisor state in ``report``; connect (:func:`prepare`) before the supervisor starts
(connecting to a cluster takes seconds and must not stall a mailbox).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Protocol

import pykka

from runtime.commands import RunAction
from runtime.errors import ExecutorError
from runtime.events import ActionCompleted, Event, TimerKey, TimerKind
from runtime.executors import (
    ActionOutcome,
    ActionSpec,
    ExecutorChoice,
    SpecRefused,
    build_spec,
    parse_executor,
)
from runtime.spec.model import WorkflowDef
from runtime.spec.placement import Placement
from runtime.status import Outcome
from runtime.store.entries import AttemptStarted

from . import remote_drain
from .cancellation import Cancellation
from .durability import Durability
from .messages import AttemptKey, Performed

__all__ = ["FACTORIES", "RemoteAttempts", "RemoteExecutor", "connect", "connect_default",
           "disconnect", "prepare"]

Report = Callable[[ActionOutcome], None]


class RemoteExecutor(Protocol):
    """What a remote executor offers: submit a spec, get back the attempt's kill; release
    the results an execution kept (:mod:`runtime.executors.kept`)."""

    def submit(self, spec: ActionSpec, report: Report, scope: str) -> Callable[[], None]:
        """Start the attempt; call ``report`` (any thread, once) when it ends; return the
        function that stops it (called from the reaper, possibly after it ended). ``scope``
        names the execution whose kept results its input may refer to."""
        ...

    def release(self, scope: str) -> None:
        """The execution ``scope`` ended: its kept results may go."""
        ...


def _ray(address: str | None) -> RemoteExecutor:
    from .ray_executor import RayExecutor

    return RayExecutor.connect(address)


FACTORIES: dict[str, Callable[[str | None], RemoteExecutor]] = {"ray": _ray}
"""Executor kind -> how to connect one at an address."""

_CONNECTED: dict[ExecutorChoice, RemoteExecutor] = {}

_SCOPES = itertools.count(1)


def connect(choice: ExecutorChoice) -> RemoteExecutor:
    """The process's connected executor for ``choice`` (connected on first use)."""
    executor = _CONNECTED.get(choice)
    if executor is None:
        factory = FACTORIES.get(choice.kind)
        if factory is None:
            raise ExecutorError(executor=choice.kind, address=choice.address,
                                problem="not a remote executor")
        executor = _CONNECTED[choice] = factory(choice.address)
    return executor


def connect_default(value: object) -> ExecutorChoice:
    """An engine's ``executor`` option parsed, and connected when it is remote."""
    choice = parse_executor(value)
    if choice.remote:
        connect(choice)
    return choice


def disconnect() -> None:
    """Forget the connected executors (tests; a shut-down Ray must be connected anew)."""
    _CONNECTED.clear()


def placements(default: ExecutorChoice | None,
               defns: Iterable[WorkflowDef]) -> dict[tuple[int, str], ExecutorChoice]:
    """(id of the definition, task) -> the remote executor it runs on, for every task of
    ``defns`` that runs remotely."""
    found: dict[tuple[int, str], ExecutorChoice] = {}
    for defn in defns:
        for name, task in defn.tasks.items():
            executor = task.placement.executor if task.placement is not None else None
            if executor == "local":
                continue
            if executor == "ray":
                choice = default if default is not None and default.kind == "ray" \
                    else ExecutorChoice(kind="ray")
            elif default is not None and default.remote:
                choice = default
            else:
                continue
            found[(id(defn), name)] = choice
    return found


def prepare(default: ExecutorChoice | None, defns: Iterable[WorkflowDef]) -> None:
    """Connect every executor the tasks of ``defns`` run on (before their supervisors)."""
    for choice in set(placements(default, defns).values()):
        connect(choice)


Sending = Callable[[AttemptKey, RunAction, str, str], None]
"""``sending(key, command, executor, idempotency_key)``: trace a submission."""


class RemoteAttempts:
    """The remote attempts of one execution (see the module docstring)."""

    __slots__ = ("cancellation", "defn", "durable", "execution_id", "group", "held",
                 "in_flight", "owner", "quiet", "scope", "sending", "tasks", "threshold",
                 "waiting")

    def __init__(self, *, owner: Any, execution_id: str, defn: WorkflowDef,
                 default: ExecutorChoice | None, cancellation: Cancellation,
                 durable: Durability | None, group: str | None = None,
                 sending: Sending | None = None, threshold: int | None = None) -> None:
        """``group``: the engine the execution belongs to (its drain holds these attempts,
        :mod:`actors.remote_drain`); ``sending``: how to trace a submission (tracing on);
        ``threshold``: bytes over which a result stays in the object store (None: none
        does, :mod:`runtime.executors.kept`)."""
        self.owner = owner
        self.execution_id = execution_id
        self.threshold = threshold
        self.scope = f"{execution_id}/{next(_SCOPES)}"
        """This run of the execution in this process: its kept results (a recovered
        execution has another, so references made before see ``result_lost``)."""
        self.defn = defn
        self.cancellation = cancellation
        self.durable = durable
        self.group = group
        self.sending = sending
        self.tasks = {name: choice
                      for (_, name), choice in placements(default, (defn,)).items()}
        """Task -> the executor its attempts go to (absent: the local workers)."""
        self.held = False
        """The engine drains: no attempt is submitted any more (:meth:`hold`)."""
        self.waiting: dict[AttemptKey, float | None] = {}
        """Attempts held back, unsubmitted -> their timeout, held back with them."""
        self.in_flight: set[AttemptKey] = set()
        """Attempts submitted (or fenced to be) that did not report."""
        self.quiet: pykka.ThreadingFuture[None] | None = None
        """Set once the attempts in flight at the hold reported, durably (:meth:`hold`)."""
        if self.tasks and group is not None:
            remote_drain.register(group, owner)

    def dispatch(self, command: RunAction, action: Any, key: AttemptKey,
                 idempotent: bool) -> Event | None:
        """Send the attempt (a non-idempotent one of a durable execution once its start is
        durable); hold it back, unsubmitted, while the engine drains; a failed completion
        at once if it cannot be described as a spec."""
        task = self.defn.tasks[command.task]
        try:
            spec = build_spec(action, command, self.execution_id, idempotent=idempotent,
                              placement=task.placement,
                              keep_over=keep_over(task.placement, self.threshold))
        except SpecRefused as exc:
            return ActionCompleted(run=command.run, item=command.item, attempt=command.attempt,
                                   outcome=Outcome.FAILED, error=str(exc), at=time.time())
        if self.held or remote_drain.held(self.group):
            self.held = True
            self.waiting[key] = None  # it never started: recovery runs it
            return None
        self.in_flight.add(key)
        start = partial(self._submit, self.tasks[command.task], spec, key, command)
        durable = self.durable
        if durable is not None and not idempotent:
            now = time.time()
            durable.record(AttemptStarted(run=command.run, item=command.item,
                                          attempt=command.attempt, at=now), now)
            durable.fence(key, start)
        else:
            start()
        return None

    def _submit(self, choice: ExecutorChoice, spec: ActionSpec, key: AttemptKey,
                command: RunAction) -> None:
        if key not in self.cancellation.live:
            return  # canceled while its start was made durable
        ikey = spec.call.idempotency_key
        if self.sending is not None:
            self.sending(key, command, choice.kind, ikey)
        report = partial(_report, self.owner, key, choice.kind, ikey, time.monotonic())
        self.cancellation.register(key, connect(choice).submit(spec, report, self.scope))

    def hold(self) -> pykka.ThreadingFuture[None] | None:
        """The engine drains: submit nothing more; a future set once the attempts in
        flight reported and their reports are durable (None: none is in flight)."""
        self.held = True
        if not self.in_flight:
            return None
        if self.quiet is None:
            self.quiet = pykka.ThreadingFuture()
        return self.quiet

    def hold_timeout(self, key: TimerKey, delay: float) -> bool:
        """Keep the timeout of a held-back attempt (it has not started); False if the
        attempt is not held back."""
        attempt = (key.run, key.item, key.attempt)
        if key.kind is not TimerKind.TIMEOUT or attempt not in self.waiting:
            return False
        self.waiting[attempt] = delay
        return True

    def reported(self, key: AttemptKey) -> None:
        """The attempt ``key`` reported (or was canceled: it is over for the workflow)."""
        self.in_flight.discard(key)
        self.waiting.pop(key, None)

    def take_waiting(self) -> list[AttemptKey]:
        """Take the held-back item attempts (they go back to the machine unstarted)."""
        taken = [key for key in self.waiting if key[1] is not None]
        for key in taken:
            del self.waiting[key]
        return taken

    def settle(self) -> None:
        """The reports were fed: if the hold waits and nothing is in flight, set its future
        once what was journaled is durable."""
        quiet = self.quiet
        if quiet is not None and not self.in_flight:
            self.quiet = None
            if self.durable is not None:
                self.durable.after(partial(quiet.set, None))
            else:
                quiet.set(None)

    def close(self) -> None:
        """The supervisor stops: nothing of it reports any more; the results it kept in an
        object store are released."""
        if self.group is not None:
            remote_drain.unregister(self.group, self.owner)
        if self.quiet is not None:
            self.quiet.set(None)
            self.quiet = None
        for choice in set(self.tasks.values()):
            executor = _CONNECTED.get(choice)
            if executor is not None:
                executor.release(self.scope)


def keep_over(placement: Placement | None, threshold: int | None) -> int | None:
    """The bytes over which an attempt's result is kept: the task's ``keep_result_in_ray``
    (true: every result, false: none), else the engine's threshold."""
    keep = placement.keep_result if placement is not None else None
    if keep is None:
        return threshold
    return 0 if keep else None


def _report(owner: Any, key: AttemptKey, executor: str, ikey: str, started: float,
            outcome: ActionOutcome) -> None:
    """Tell the supervisor how a remote attempt ended (runs on the executor's thread)."""
    run, item, attempt = key
    try:
        owner.tell(Performed(run=run, item=item, attempt=attempt,
                             outcome=Outcome(outcome.outcome), result=outcome.result,
                             error=outcome.error, worker=executor, idempotency_key=ikey,
                             duration=time.monotonic() - started, sent=time.monotonic()))
    except pykka.ActorDeadError:
        pass  # the execution already ended; nobody waits for this attempt

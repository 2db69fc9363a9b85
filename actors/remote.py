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
from runtime.events import ActionCompleted, Event
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


class RemoteAttempts:
    """The remote attempts of one execution (see the module docstring)."""

    __slots__ = ("cancellation", "defn", "durable", "execution_id", "owner", "scope", "tasks",
                 "threshold")

    def __init__(self, *, owner: Any, execution_id: str, defn: WorkflowDef,
                 default: ExecutorChoice | None, cancellation: Cancellation,
                 durable: Durability | None, threshold: int | None = None) -> None:
        self.owner = owner
        self.execution_id = execution_id
        self.threshold = threshold
        """Bytes over which a result stays in the object store (None: none does)."""
        self.scope = f"{execution_id}/{next(_SCOPES)}"
        """This run of the execution in this process: its kept results (a recovered
        execution has another, so references made before see ``result_lost``)."""
        self.defn = defn
        self.cancellation = cancellation
        self.durable = durable
        self.tasks = {name: choice
                      for (_, name), choice in placements(default, (defn,)).items()}
        """Task -> the executor its attempts go to (absent: the local workers)."""

    def dispatch(self, command: RunAction, action: Any, key: AttemptKey,
                 idempotent: bool) -> Event | None:
        """Send the attempt (a non-idempotent one of a durable execution once its start is
        durable); a failed completion at once if it cannot be described as a spec."""
        task = self.defn.tasks[command.task]
        try:
            spec = build_spec(action, command, self.execution_id, idempotent=idempotent,
                              placement=task.placement,
                              keep_over=keep_over(task.placement, self.threshold))
        except SpecRefused as exc:
            return ActionCompleted(run=command.run, item=command.item, attempt=command.attempt,
                                   outcome=Outcome.FAILED, error=str(exc), at=time.time())
        start = partial(self._submit, self.tasks[command.task], spec, key)
        durable = self.durable
        if durable is not None and not idempotent:
            now = time.time()
            durable.record(AttemptStarted(run=command.run, item=command.item,
                                          attempt=command.attempt, at=now), now)
            durable.fence(key, start)
        else:
            start()
        return None

    def _submit(self, choice: ExecutorChoice, spec: ActionSpec, key: AttemptKey) -> None:
        if key not in self.cancellation.live:
            return  # canceled while its start was made durable
        kill = connect(choice).submit(spec, partial(_report, self.owner, key, time.monotonic()),
                                      self.scope)
        self.cancellation.register(key, kill)

    def close(self) -> None:
        """The execution ended (the supervisor's thread): release the results it kept."""
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


def _report(owner: Any, key: AttemptKey, started: float, outcome: ActionOutcome) -> None:
    """Tell the supervisor how a remote attempt ended (runs on the executor's thread)."""
    run, item, attempt = key
    try:
        owner.tell(Performed(run=run, item=item, attempt=attempt,
                             outcome=Outcome(outcome.outcome), result=outcome.result,
                             error=outcome.error, worker="remote",
                             duration=time.monotonic() - started, sent=time.monotonic()))
    except pykka.ActorDeadError:
        pass  # the execution already ended; nobody waits for this attempt

"""Timed spans and send/receive flows of a trace, for the visual exporters.

:func:`iter_spans` turns events into :class:`Span` values (a handled message, a task run or
an item, on one actor) and :class:`Flow` values (a message from its sender to its receiver)
as they come, holding only in-flight messages, item workers and open task runs. The
Perfetto export and the HTML page draw them.

Misuse: do not sort or collect the spans to find a task's record (use the aggregator); do
not expect a flow for every ``message.sent`` (a message to an actor already gone has no
receive); spans are in the order their ending lines were read, not by start time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from runtime.trace.fields import as_float, as_int, as_str
from runtime.trace.reader import TraceEvent, parse_actor
from runtime.trace.records import RUNNING, task_actor_path

__all__ = ["Flow", "Span", "iter_spans"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    """A timed interval on one actor: a handled message, a task run or an item."""

    execution: str
    actor: str
    kind: str
    """``message``, ``task`` or ``item``."""
    name: str
    start: float
    """``mono`` seconds."""
    duration: float
    status: str | None = None
    task: str | None = None
    route: int | None = None
    run: int | None = None
    item: int | None = None
    msg_id: int | None = None
    attempts: int | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """A message from ``sender`` (sent at ``send_mono``) to ``receiver`` (received then)."""

    execution: str
    msg_id: int
    name: str
    sender: str
    send_mono: float
    receiver: str
    recv_mono: float


class _SpanBuilder:
    """State of :func:`iter_spans`: in-flight messages, item workers, open task runs."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, int], tuple[str, float, str]] = {}
        self.received: dict[tuple[str, int], tuple[str, float, str]] = {}
        self.workers: dict[tuple[str, str, int | None, int], str] = {}
        self.open_runs: dict[tuple[str, int], tuple[str, int | None, float, str | None]] = {}
        self.in_flight: dict[tuple[str, str, int | None, int], tuple[float, int | None]] = {}
        """Items sent (``detail`` lines), not finished -> (``mono`` first sent, run)."""
        self.last_mono: dict[str, float] = {}

    def feed(self, ev: TraceEvent) -> Span | Flow | None:
        execution: str = ev["execution"]
        mono = float(ev["mono"])
        if mono > self.last_mono.get(execution, -math.inf):
            self.last_mono[execution] = mono
        kind: str = ev["event"]
        actor = ev.get("actor")
        if not isinstance(actor, str):
            actor = "wf"
        item = as_int(ev.get("item"))
        if item is not None:
            ref = parse_actor(actor)
            if ref.worker is not None and ref.task is not None:
                self.workers[(execution, ref.task, ref.route, item)] = actor
            task = ev.get("task")
            if isinstance(task, str) and kind == "message.sent" and ev.get("msg") == "Perform":
                # the supervisor's send precedes item.finished (a worker's lines may follow)
                key = (execution, task, as_int(ev.get("route")), item)
                self.in_flight.setdefault(key, (mono, as_int(ev.get("run"))))
        if kind == "message.handled":
            duration = as_float(ev.get("duration")) or 0.0
            return Span(
                execution=execution,
                actor=actor,
                kind="message",
                name=str(ev.get("msg") or "message"),
                start=mono - duration,
                duration=duration,
                msg_id=as_int(ev.get("msg_id")),
                task=as_str(ev.get("task")),
                item=item,
            )
        if kind in ("message.sent", "message.received"):
            return self.message(ev, execution, actor, mono)
        if kind == "task.started":
            run = as_int(ev.get("run"))
            task = ev.get("task")
            if run is not None and isinstance(task, str):
                opened = (task, as_int(ev.get("route")), mono, as_str(ev.get("action")))
                self.open_runs.setdefault((execution, run), opened)
            return None
        if kind == "task.finished":
            return self.task_finished(ev, execution, mono)
        if kind == "item.finished":
            return self.item_finished(ev, execution, mono, item)
        return None

    def message(self, ev: TraceEvent, execution: str, actor: str, mono: float) -> Flow | None:
        msg_id = as_int(ev.get("msg_id"))
        if msg_id is None:
            return None
        key = (execution, msg_id)
        this = (actor, mono, str(ev.get("msg") or "message"))
        is_send = ev["event"] == "message.sent"
        mine, other = (self.sent, self.received) if is_send else (self.received, self.sent)
        match = other.pop(key, None)
        if match is None:
            mine[key] = this
            return None
        snd, rcv = (this, match) if is_send else (match, this)
        return Flow(
            execution=execution,
            msg_id=msg_id,
            name=snd[2],
            sender=snd[0],
            send_mono=snd[1],
            receiver=rcv[0],
            recv_mono=rcv[1],
        )

    def task_finished(self, ev: TraceEvent, execution: str, mono: float) -> Span | None:
        run = as_int(ev.get("run"))
        task = ev.get("task")
        if run is None or not isinstance(task, str):
            return None
        opened = self.open_runs.pop((execution, run), None)
        given = as_float(ev.get("duration"))
        if opened is not None:
            start = opened[2]
            duration = mono - start if given is None else given
        else:
            duration = given or 0.0
            start = mono - duration
        route = as_int(ev.get("route"))
        return Span(
            execution=execution,
            actor=task_actor_path(task, route),
            kind="task",
            name=f"{task}@{route}",
            start=start,
            duration=max(0.0, duration),
            status=str(ev.get("status") or "finished"),
            task=task,
            route=route,
            run=run,
            attempts=as_int(ev.get("attempts")),
            action=opened[3] if opened is not None else None,
        )

    def item_finished(
        self, ev: TraceEvent, execution: str, mono: float, item: int | None
    ) -> Span | None:
        task = ev.get("task")
        if not isinstance(task, str):
            return None
        route = as_int(ev.get("route"))
        duration = max(0.0, as_float(ev.get("duration")) or 0.0)
        where = None
        if item is not None:
            self.in_flight.pop((execution, task, route, item), None)
            where = self.workers.pop((execution, task, route, item), None)
        named = ev.get("worker")
        if where is None and isinstance(named, str):
            where = named
        return Span(
            execution=execution,
            actor=where or task_actor_path(task, route),
            kind="item",
            name=f"{task}[{item}]",
            start=mono - duration,
            duration=duration,
            status=str(ev.get("status") or "succeeded"),
            task=task,
            route=route,
            run=as_int(ev.get("run")),
            item=item,
        )

    def still_open(self) -> Iterator[Span]:
        """Task runs and items still open, up to the last line read (of any execution)."""
        now = max(self.last_mono.values(), default=0.0)
        runs = {(execution, task, route): run
                for (execution, run), (task, route, _, _) in self.open_runs.items()}
        for (execution, task, route, item), (start, run) in self.in_flight.items():
            if (execution, task, route) in runs:
                yield Span(
                    execution=execution,
                    actor=self.workers.get((execution, task, route, item))
                    or task_actor_path(task, route),
                    kind="item",
                    name=f"{task}[{item}]",
                    start=start,
                    duration=max(0.0, now - start),
                    status=RUNNING,
                    task=task,
                    route=route,
                    run=run if run is not None else runs[(execution, task, route)],
                    item=item,
                )
        for (execution, run), (task, route, start, action) in self.open_runs.items():
            yield Span(
                execution=execution,
                actor=task_actor_path(task, route),
                kind="task",
                name=f"{task}@{route}",
                start=start,
                duration=max(0.0, now - start),
                status=RUNNING,
                task=task,
                route=route,
                run=run,
                action=action,
            )


def iter_spans(events: Iterable[TraceEvent]) -> Iterator[Span | Flow]:
    """Turn events into spans and flows as they come.

    A message span starts at its ``message.handled`` mono minus ``duration``; a task run
    span at its ``task.started`` (else ``task.finished`` minus ``duration``); an item span
    ends at its ``item.finished`` and sits on the worker that handled it when known. A flow
    is yielded once both its ``message.sent`` and ``message.received`` were seen (either
    order). Task runs and items (seen on ``detail`` lines) still open at the end are yielded
    last, up to the last line read, with status ``running``.
    """
    builder = _SpanBuilder()
    for ev in events:
        produced = builder.feed(ev)
        if produced is not None:
            yield produced
    yield from builder.still_open()

"""Folding trace events into per-execution records: :class:`TraceAggregator`.

It is fed events one by one (from :func:`runtime.trace.reader.iter_events`) and keeps
O(actors + task runs) state per execution (:mod:`runtime.trace.builders`), plus, for
with-items task runs, the item durations (for percentiles) and, only when asked, the
per-item details. :meth:`TraceAggregator.records` freezes what it saw into
:class:`~runtime.trace.records.ExecutionRecord` values. Events are dispatched by a table
keyed by the ``event`` field; unknown events only move the clocks and the actor's span.

Misuse: do not keep events to aggregate later (feed them as they are read); do not ask for
``item_details`` unless you show items one by one (it keeps five numbers per item); do not
feed the events of one execution to two aggregators and merge (records are not additive).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable

from runtime.trace.builders import ActorBuilder, ExecBuilder, status_code
from runtime.trace.fields import as_float, as_int, as_str, as_strs
from runtime.trace.reader import TraceEvent, parse_actor
from runtime.trace.records import (
    FAILED_STATUSES,
    RUNNING,
    ErrorInfo,
    ExecutionRecord,
    RerunRecord,
    StagedRecord,
    TransitionRecord,
)

__all__ = ["TraceAggregator"]


class TraceAggregator:
    """Fold trace events into per-execution records, in O(actors + task runs) memory.

    ``accept`` keeps only executions whose id it approves. ``item_durations`` keeps every
    with-items duration (for percentiles); ``item_details`` also keeps index, status, start
    and worker per item (for ``--items``); ``keep_graph`` keeps ``transition.evaluated``
    and ``task.staged`` lines (for ``why``).
    """

    def __init__(
        self,
        *,
        accept: Callable[[str], bool] | None = None,
        item_durations: bool = True,
        item_details: bool = False,
        keep_graph: bool = False,
    ) -> None:
        self._accept = accept
        self._item_durations = item_durations or item_details
        self._item_details = item_details
        self._keep_graph = keep_graph
        self._execs: dict[str, ExecBuilder] = {}
        self._rejected: set[str] = set()
        self._handlers: dict[str, Callable[[ExecBuilder, TraceEvent, float], None]] = {
            "workflow.started": self._workflow_started,
            "workflow.finished": self._workflow_finished,
            "actor.spawned": self._actor_spawned,
            "actor.stopped": self._actor_stopped,
            "actor.failed": self._actor_failed,
            "message.received": self._message_received,
            "message.handled": self._message_handled,
            "task.started": self._task_started,
            "task.retrying": self._task_retrying,
            "item.finished": self._item_finished,
            "task.finished": self._task_finished,
            "transition.evaluated": self._transition,
            "task.staged": self._staged,
            "workflow.rerun": self._rerun,
            "inquiry": self._inquiry,
        }

    def feed_all(self, events: Iterable[TraceEvent]) -> TraceAggregator:
        """Feed every event of ``events``; return ``self``."""
        for ev in events:
            self.feed(ev)
        return self

    def feed(self, ev: TraceEvent) -> None:
        """Fold one event in (unknown events only update the actor's and clock's state)."""
        execution: str = ev["execution"]
        ex = self._execs.get(execution)
        mono = float(ev["mono"])
        if ex is None:
            if execution in self._rejected:
                return
            if self._accept is not None and not self._accept(execution):
                self._rejected.add(execution)
                return
            ex = self._execs[execution] = ExecBuilder(
                execution, mono, as_float(ev.get("ts")), self._keep_graph
            )
        ex.first_mono = min(ex.first_mono, mono)
        ex.last_mono = max(ex.last_mono, mono)
        actor = ev.get("actor")
        if isinstance(actor, str):
            builder = ex.actors.get(actor)
            if builder is None:
                builder = ex.actors[actor] = ActorBuilder(actor, mono)
            else:
                builder.first_mono = min(builder.first_mono, mono)
                builder.last_mono = max(builder.last_mono, mono)
            if self._item_details:
                self._item_seen(ex, ev, actor, mono)
        handler = self._handlers.get(ev["event"])
        if handler is not None:
            handler(ex, ev, mono)

    @staticmethod
    def _item_seen(ex: ExecBuilder, ev: TraceEvent, actor: str, mono: float) -> None:
        """A line naming an item: its worker, and when it was first sent (the ``detail``
        level's ``message.sent`` of ``Perform`` by the supervisor, which precedes its
        ``item.finished``; a worker's lines may follow it) until ``item.finished``."""
        item = ev.get("item")
        if not isinstance(item, int) or isinstance(item, bool):
            return
        ref = parse_actor(actor)
        if ref.worker is not None and ref.task is not None:
            ex.item_workers[(ref.task, ref.route, item)] = ref.worker
        task = ev.get("task")
        if isinstance(task, str) and ev["event"] == "message.sent" and ev.get("msg") == "Perform":
            ex.item_started.setdefault((task, as_int(ev.get("route")), item), mono)

    def records(self) -> list[ExecutionRecord]:
        """Return one record per execution seen, in order of first appearance."""
        return [ex.freeze() for ex in self._execs.values()]

    # -- handlers ---------------------------------------------------------------------

    @staticmethod
    def _actor(ex: ExecBuilder, ev: TraceEvent, mono: float) -> ActorBuilder | None:
        actor = ev.get("actor")
        return ex.actors.get(actor) if isinstance(actor, str) else None

    def _workflow_started(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        ex.workflow = as_str(ev.get("workflow"))
        ex.dialect = as_str(ev.get("dialect"))
        ex.parent_execution = as_str(ev.get("parent_execution"))
        ex.parent_task = as_str(ev.get("parent_task"))
        ex.start_ts = as_float(ev.get("ts"))
        ex.start_mono = mono

    def _workflow_finished(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        ex.finished = True
        ex.status = str(ev.get("status") or "finished")
        ex.duration = as_float(ev.get("duration"))
        errors = ev.get("errors")
        ex.errors = []
        if isinstance(errors, list):
            for err in errors:
                if isinstance(err, dict):
                    ex.errors.append(
                        ErrorInfo(
                            kind=as_str(err.get("kind")),
                            task=as_str(err.get("task")),
                            route=as_int(err.get("route")),
                            message=as_str(err.get("message")),
                        )
                    )
                else:
                    ex.errors.append(ErrorInfo(message=str(err)))

    def _actor_spawned(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        actor = self._actor(ex, ev, mono)
        if actor is not None:
            actor.kind = as_str(ev.get("kind")) or actor.kind
            actor.parent = as_str(ev.get("parent"))
            actor.thread = as_str(ev.get("thread"))
            actor.spawned_mono = mono

    def _actor_stopped(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        actor = self._actor(ex, ev, mono)
        if actor is not None:
            actor.stopped_mono = mono
            if actor.status == RUNNING:
                actor.status = "stopped"

    def _actor_failed(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        ex.actor_failures += 1
        actor = self._actor(ex, ev, mono)
        if actor is not None:
            actor.status = "failed"
            actor.stopped_mono = mono
            kind = ev.get("error_type")
            message = ev.get("error")
            actor.error = f"{kind}: {message}" if kind else as_str(message)

    def _message_received(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        actor = self._actor(ex, ev, mono)
        wait = as_float(ev.get("mailbox_wait"))
        if actor is not None and wait is not None:
            actor.wait_total += wait
            actor.wait_count += 1

    def _message_handled(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        actor = self._actor(ex, ev, mono)
        if actor is not None:
            actor.messages += 1
            actor.busy += as_float(ev.get("duration")) or 0.0

    def _task_started(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        run = ex.run(ev)
        if run is None:
            return
        run.starts += 1
        if run.start_mono is None:
            run.start_mono = mono
            run.action = as_str(ev.get("action"))
            run.items = as_int(ev.get("items"))
            run.concurrency = as_int(ev.get("concurrency"))
        attempt = as_int(ev.get("attempt"))
        if attempt is not None and run.finished is False:
            run.attempts = max(run.attempts or 0, attempt)

    def _inquiry(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        """A run waiting for an inquiry's answer is ``pending`` until its end says more."""
        run = ex.run(ev)
        if run is not None and not run.finished:
            run.status = "pending" if ev.get("status") == "pending" else RUNNING

    def _task_retrying(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        run = ex.run(ev)
        if run is not None:
            run.retries += 1

    def _item_finished(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        run = ex.run(ev)
        if run is None:
            return
        status = str(ev.get("status") or "succeeded")
        if status == "succeeded":
            run.items_succeeded += 1
        elif status in FAILED_STATUSES:
            run.items_failed += 1
        else:
            run.items_canceled += 1
        if not self._item_durations:
            return
        duration = as_float(ev.get("duration")) or 0.0
        if run.durations is None:
            run.durations = array("d")
        run.durations.append(duration)
        if self._item_details:
            if run.d_index is None:
                run.d_index, run.d_start = array("q"), array("d")
                run.d_status, run.d_worker = array("b"), array("i")
            assert run.d_start is not None and run.d_status is not None
            assert run.d_worker is not None
            item = as_int(ev.get("item"))
            index = -1 if item is None else item
            run.d_index.append(index)
            run.d_start.append(mono - duration)
            run.d_status.append(status_code(status))
            ex.item_started.pop((run.task, run.route, index), None)
            worker = ex.item_workers.pop((run.task, run.route, index), None)
            named = ev.get("worker")
            if worker is None and isinstance(named, str):
                worker = parse_actor(named).worker  # info-level traces name it on the line
            run.d_worker.append(-1 if worker is None else worker)

    def _task_finished(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        run = ex.run(ev)
        if run is None:
            return
        run.finished = True
        run.status = str(ev.get("status") or "finished")
        actor = self._actor(ex, ev, mono)
        if actor is not None and actor.status == RUNNING:
            actor.status = run.status  # a with-items task's row has no actor of its own
        run.attempts = as_int(ev.get("attempts")) or run.attempts
        run.final_duration = as_float(ev.get("duration"))
        run.end_mono = mono
        run.error = as_str(ev.get("error"))
        items = as_int(ev.get("items"))
        if items is not None:
            run.items = items
            failed = as_int(ev.get("items_failed"))
            seen = run.items_succeeded + run.items_failed + run.items_canceled
            if seen == 0 and failed is not None:
                # No item.finished lines were seen: take the totals from task.finished.
                run.items_failed = failed
                run.items_succeeded = max(0, items - failed)

    def _transition(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        if ex.transitions is None:
            return
        ex.transitions.append(
            TransitionRecord(
                mono=mono,
                task=str(ev.get("task")),
                route=as_int(ev.get("route")),
                run=as_int(ev.get("run")),
                index=as_int(ev.get("transition")),
                when=as_str(ev.get("when")),
                result=bool(ev.get("result")),
                targets=as_strs(ev.get("targets")),
                published=as_strs(ev.get("published")),
                error=as_str(ev.get("error")),
            )
        )

    def _rerun(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        """A finished execution runs again: it is no longer finished."""
        ex.finished = False
        ex.status = RUNNING
        runs = ev.get("runs")
        for entry in runs if isinstance(runs, list) else ():
            if isinstance(entry, dict):
                ex.reruns.append(RerunRecord(
                    mono=mono, number=as_int(ev.get("number")), task=str(entry.get("task")),
                    run=as_int(entry.get("run")), rerun_of=as_int(entry.get("rerun_of"))))

    def _staged(self, ex: ExecBuilder, ev: TraceEvent, mono: float) -> None:
        if ex.staged is None:
            return
        join = ev.get("join")
        ex.staged.append(
            StagedRecord(
                mono=mono,
                task=str(ev.get("task")),
                route=as_int(ev.get("route")),
                run=as_int(ev.get("run")),
                source=as_str(ev.get("source")),
                join=join if isinstance(join, str | int) and not isinstance(join, bool) else None,
                satisfied=as_int(ev.get("satisfied")),
                required=as_int(ev.get("required")),
                ready=bool(ev.get("ready")),
            )
        )

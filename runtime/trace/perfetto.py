"""Export a trace as Chrome trace-event JSON, which ui.perfetto.dev and chrome://tracing open.

:func:`export_perfetto` streams ``{"traceEvents": [...], "displayTimeUnit": "ms"}`` to a
text stream while it reads the trace: one process per execution (``process_name``
metadata), one thread per actor (``thread_name`` metadata), a complete event (``ph: "X"``)
per handled message (it starts at the ``message.handled`` mono minus the handler's
duration), per task run and per item (on the actor that ran it), and a flow (``ph: "s"`` on
the sender's thread at send time, ``ph: "f"``/``bp: "e"`` on the receiver's thread at
receive time, same ``id``) for every message whose send and receive are both in the trace.
Timestamps are microseconds of the trace's ``mono`` clock.

Misuse: do not merge exports of traces written by different processes into one view (their
monotonic clocks are unrelated); do not expect a flow for a message whose receiver was
already gone (it has no ``message.received``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from runtime.trace.reader import (
    DEFAULT_MAX_ERRORS,
    ErrorHandler,
    ExecutionInfo,
    ExecutionNotFound,
    TraceFilter,
    iter_events,
    parse_actor,
    scan_executions,
    with_descendants,
)
from runtime.trace.spans import Flow, Span, iter_spans

__all__ = ["PerfettoExport", "export_perfetto", "select_executions"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PerfettoExport:
    """What an export wrote."""

    events: int
    """Trace events written (metadata included)."""
    executions: tuple[str, ...]
    """Executions that have a process in the output, in pid order."""
    flows: int


def select_executions(
    index: dict[str, ExecutionInfo], filt: TraceFilter, *, path: str
) -> set[str] | None:
    """Executions an export keeps: those matching the id prefix and the status (with
    their sub-workflows), or ``None`` for all. Raises :class:`ExecutionNotFound`."""
    if filt.execution is None and filt.status is None:
        return None
    roots = [
        info.execution
        for info in index.values()
        if filt.execution_matches(info.execution)
        and (filt.status is None or info.status == filt.status)
    ]
    if not roots:
        raise ExecutionNotFound(filt.execution or "", path=path)
    return with_descendants(index, roots)


def _micros(seconds: float) -> float:
    return round(seconds * 1e6, 3)


class _Writer:
    def __init__(self, out: TextIO, index: dict[str, ExecutionInfo]) -> None:
        self.out = out
        self.index = index
        self.count = 0
        self.flows = 0
        self.pids: dict[str, int] = {}
        self.tids: dict[tuple[str, str], int] = {}

    def write(self, event: dict[str, Any]) -> None:
        self.out.write(("\n" if self.count == 0 else ",\n") + json.dumps(event))
        self.count += 1

    def pid(self, execution: str) -> int:
        pid = self.pids.get(execution)
        if pid is None:
            pid = self.pids[execution] = len(self.pids) + 1
            info = self.index.get(execution)
            workflow = info.workflow if info is not None and info.workflow else "?"
            parent = ""
            if info is not None and info.parent_execution is not None:
                parent = f" (sub of {info.parent_execution[:8]}/{info.parent_task})"
            self.write(
                {
                    "ph": "M",
                    "name": "process_name",
                    "pid": pid,
                    "tid": 0,
                    "ts": 0,
                    "args": {"name": f"{workflow} {execution[:8]}{parent}"},
                }
            )
            self.write(
                {
                    "ph": "M",
                    "name": "process_sort_index",
                    "pid": pid,
                    "tid": 0,
                    "ts": 0,
                    "args": {"sort_index": pid},
                }
            )
        return pid

    def tid(self, execution: str, actor: str) -> tuple[int, int]:
        pid = self.pid(execution)
        key = (execution, actor)
        tid = self.tids.get(key)
        if tid is None:
            # tids are unique across processes: some importers key threads by tid alone.
            tid = self.tids[key] = len(self.tids) + 1
            self.write(
                {
                    "ph": "M",
                    "name": "thread_name",
                    "pid": pid,
                    "tid": tid,
                    "ts": 0,
                    "args": {"name": actor},
                }
            )
            self.write(
                {
                    "ph": "M",
                    "name": "thread_sort_index",
                    "pid": pid,
                    "tid": tid,
                    "ts": 0,
                    "args": {"sort_index": tid},
                }
            )
        return pid, tid

    def span(self, span: Span) -> None:
        pid, tid = self.tid(span.execution, span.actor)
        args: dict[str, Any] = {}
        if span.kind == "message":
            args["msg_id"] = span.msg_id
            if span.item is not None:
                args["item"] = span.item
        else:
            args.update(status=span.status, run=span.run)
            if span.kind == "task":
                args.update(attempts=span.attempts, action=span.action)
            else:
                args["item"] = span.item
        self.write(
            {
                "ph": "X",
                "cat": span.kind,
                "name": span.name,
                "pid": pid,
                "tid": tid,
                "ts": _micros(span.start),
                "dur": max(0.0, _micros(span.duration)),
                "args": args,
            }
        )

    def flow(self, flow: Flow) -> None:
        self.flows += 1
        pid, sender = self.tid(flow.execution, flow.sender)
        _, receiver = self.tid(flow.execution, flow.receiver)
        common = {"cat": "message", "name": flow.name, "id": self.flows, "pid": pid}
        self.write({"ph": "s", **common, "tid": sender, "ts": _micros(flow.send_mono)})
        self.write({"ph": "f", "bp": "e", **common, "tid": receiver, "ts": _micros(flow.recv_mono)})


def _task_of(actor: str) -> str | None:
    return parse_actor(actor).task


def _keep(item: Span | Flow, task: str | None) -> bool:
    if task is None:
        return True
    if isinstance(item, Flow):
        return task in (_task_of(item.sender), _task_of(item.receiver))
    return task in (item.task, _task_of(item.actor))


def export_perfetto(
    path: str,
    out: TextIO,
    *,
    filt: TraceFilter | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_error: ErrorHandler | None = None,
) -> PerfettoExport:
    """Write the Chrome trace-event JSON of the trace at ``path`` to ``out``.

    Filters: ``execution`` (prefix; sub-workflows come along), ``status`` (executions that
    ended so), ``task`` (spans and flows of that task's actors).
    """
    filt = filt or TraceFilter()
    index = scan_executions(path)
    chosen = select_executions(index, filt, path=path)
    writer = _Writer(out, index)
    out.write('{"traceEvents": [')
    events: Iterator[Any] = iter_events(
        path, max_errors=max_errors, on_error=on_error, executions=chosen
    )
    for item in iter_spans(events):
        if not _keep(item, filt.task):
            continue
        if isinstance(item, Flow):
            writer.flow(item)
        else:
            writer.span(item)
    out.write('\n], "displayTimeUnit": "ms"}\n')
    return PerfettoExport(events=writer.count, executions=tuple(writer.pids), flows=writer.flows)

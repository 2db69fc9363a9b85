"""A text Gantt chart of one execution: one row per task run (and per item with ``items``).

:func:`build_timeline` flattens an :class:`runtime.trace.tree.ExecutionTree` into rows with
start offsets and durations (sub-workflows appear as a row followed by their own task runs,
indented). A row that has not finished (a task run, an item in flight, a sub-workflow) is
``running`` and drawn up to ``now``: the last trace line of the tree unless the caller
knows a later time (the console passes its request's). :func:`render_timeline` draws each
row's bar scaled to a total width, with the start offset, duration and status as labels.
Bars: ``█`` succeeded, ``▒`` failed or timed out, ``░`` running or canceled.

Misuse: do not read sub-millisecond detail off the bars (one column is ``total / width``);
use ``--json`` for exact numbers. Do not render a timeline of items for huge with-items runs
expecting a readable chart (it is one row per item).
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from dataclasses import dataclass
from typing import Any, TextIO

from runtime.trace.formatting import format_duration, format_offset
from runtime.trace.records import FAILED_STATUSES, RUNNING
from runtime.trace.tree import ExecutionTree

__all__ = [
    "Timeline",
    "TimelineRow",
    "build_timeline",
    "default_width",
    "render_timeline",
    "timeline_to_json",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineRow:
    """One bar: a task run, an item, or a sub-workflow execution."""

    kind: str
    """``task``, ``item`` or ``execution``."""
    label: str
    depth: int
    execution: str
    start: float
    """Seconds from the root execution's start."""
    duration: float
    status: str
    task: str | None = None
    route: int | None = None
    run: int | None = None
    item: int | None = None
    running: bool = False
    """Not finished: the bar ends at the timeline's ``now``, an open end."""

    @property
    def end(self) -> float:
        """Offset of the end of the bar."""
        return self.start + self.duration


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    """The rows of one execution's chart."""

    execution: str
    workflow: str | None
    status: str
    total: float
    """Seconds the chart spans (the execution, or the last bar's end if later)."""
    rows: tuple[TimelineRow, ...]
    now: float = 0.0
    """Offset running bars are drawn up to (the last line seen, or the caller's time)."""
    running: bool = False
    """The execution has not finished."""


def default_width() -> int:
    """The terminal's width (80 when it cannot be told)."""
    return shutil.get_terminal_size((80, 24)).columns


def last_mono(tree: ExecutionTree) -> float:
    """``mono`` of the last trace line of ``tree``'s executions."""
    children = [child for node in tree.runs for child in node.children]
    return max([tree.record.last_mono, *(last_mono(c) for c in (*children, *tree.orphans))])


def build_timeline(tree: ExecutionTree, *, items: bool = False,
                   now: float | None = None) -> Timeline:
    """Flatten ``tree`` into chart rows (item rows only if ``items``); running rows end at
    ``now`` (a ``mono``; default and at least: the tree's last line)."""
    end = max(last_mono(tree), now if now is not None else -math.inf) - tree.base_mono
    rows: list[TimelineRow] = []
    _collect(tree, rows, 0, items)
    rows = [_open(row, end) if row.running else row for row in rows]
    record = tree.record
    own = record.duration if record.finished else max(record.duration, end)
    return Timeline(
        execution=record.execution,
        workflow=record.workflow,
        status=record.status,
        total=max([own, *(row.end for row in rows), 0.0]),
        rows=tuple(rows),
        now=end,
        running=not record.finished,
    )


def _open(row: TimelineRow, end: float) -> TimelineRow:
    """A running row drawn up to ``end``."""
    return dataclasses.replace(row, duration=max(row.duration, end - row.start))


def _collect(tree: ExecutionTree, rows: list[TimelineRow], depth: int, items: bool) -> None:
    base = tree.base_mono
    for node in tree.runs:
        run = node.run
        start = (run.start_mono if run.start_mono is not None else base) - base
        rows.append(
            TimelineRow(
                kind="task",
                label=run.label,
                depth=depth,
                execution=run.execution,
                start=start,
                duration=run.duration or 0.0,
                status=run.status,
                task=run.task,
                route=run.route,
                run=run.run,
                running=not run.finished,
            )
        )
        if items:
            for item in node.items:
                worker = "" if item.worker is None else f" w{item.worker}"
                rows.append(
                    TimelineRow(
                        kind="item",
                        label=f"#{item.index}{worker}",
                        depth=depth + 1,
                        execution=run.execution,
                        start=item.start_mono - base,
                        duration=item.duration,
                        status=item.status,
                        task=run.task,
                        route=run.route,
                        run=run.run,
                        item=item.index,
                        running=item.status == RUNNING,
                    )
                )
        for child in node.children:
            _execution_row(child, rows, depth + 1, items)
    for orphan in tree.orphans:
        _execution_row(orphan, rows, depth + 1, items)


def _execution_row(tree: ExecutionTree, rows: list[TimelineRow], depth: int, items: bool) -> None:
    record = tree.record
    rows.append(
        TimelineRow(
            kind="execution",
            label=f"↳ {record.workflow or record.execution[:8]}",
            depth=depth,
            execution=record.execution,
            start=record.start_mono - tree.base_mono,
            duration=record.duration,
            status=record.status,
            running=not record.finished,
        )
    )
    _collect(tree, rows, depth + 1, items)


def timeline_to_json(timeline: Timeline) -> dict[str, Any]:
    """Return the chart's data as a JSON-ready dict."""
    return {
        "execution": timeline.execution,
        "workflow": timeline.workflow,
        "status": timeline.status,
        "total": timeline.total,
        "now": timeline.now,
        "running": timeline.running,
        "rows": [
            {
                "kind": row.kind,
                "label": row.label,
                "depth": row.depth,
                "execution": row.execution,
                "task": row.task,
                "route": row.route,
                "run": row.run,
                "item": row.item,
                "start": row.start,
                "duration": row.duration,
                "status": row.status,
                "running": row.running,
            }
            for row in timeline.rows
        ],
    }


def _glyph(status: str) -> str:
    if status == "succeeded":
        return "█"
    if status in FAILED_STATUSES:
        return "▒"
    return "░"


def render_timeline(timeline: Timeline, stream: TextIO, *, width: int | None = None) -> None:
    """Draw the chart, ``width`` columns wide (default: the terminal's width)."""
    width = width or default_width()
    labels = ["  " * row.depth + row.label for row in timeline.rows]
    label_w = min(max([len(label) for label in labels] + [4]), 32)
    rights = [
        f"{format_offset(row.start)}  {format_duration(row.duration)}  {row.status}"
        for row in timeline.rows
    ]
    right_w = max([len(right) for right in rights] + [0])
    bar_w = max(10, width - label_w - right_w - 4)
    total = timeline.total or 1e-9
    stream.write(
        f"{timeline.execution}  {timeline.workflow or '?'}  {timeline.status}"
        f"  total {format_duration(timeline.total)}"
        f"  (1 column = {format_duration(timeline.total / bar_w)})\n"
    )
    end_label = format_duration(timeline.total)
    axis = "0" + end_label.rjust(bar_w - 1) if bar_w > len(end_label) + 1 else "0".ljust(bar_w)
    stream.write(f"{'':{label_w}} {axis}\n")
    for row, label, right in zip(timeline.rows, labels, rights, strict=True):
        first = min(bar_w - 1, max(0, int(row.start / total * bar_w)))
        last = min(bar_w, max(first + 1, round(row.end / total * bar_w)))
        bar = " " * first + _glyph(row.status) * (last - first) + " " * (bar_w - last)
        shown = label if len(label) <= label_w else label[: label_w - 1] + "…"
        stream.write(f"{shown:<{label_w}} |{bar}| {right}\n")

"""The timeline of one execution with its with-items runs grouped, as JSON for the console.

:func:`grouped_timeline` is :func:`runtime.trace.timeline.build_timeline` without item rows
(one row per task run and sub-workflow, as ``troupe trace timeline`` draws them), each
with-items task row carrying ``items``: its counts and item durations, and ``lanes``, one per
worker (``w<k>``), each a list of ``[start, duration, status]`` spans (seconds from the
root's start), where consecutive items of one status closer than ``total / resolution``
seconds are merged: a 10,000-item run is a few spans per lane, not 10,000 rows, and the
console expands the row into its lanes. The data builder is the trace tools' own.

Misuse: aggregate the trace with ``item_details`` (else ``lanes`` are empty, the counts
stay); do not read single items off merged spans (``troupe trace tree --items`` lists them).
"""

from __future__ import annotations

from typing import Any

from runtime.trace.records import FAILED_STATUSES, ItemRecord
from runtime.trace.timeline import build_timeline, timeline_to_json
from runtime.trace.tree import ExecutionTree, RunNode

__all__ = ["RESOLUTION", "grouped_timeline", "item_lanes"]

RESOLUTION = 600
"""Spans a lane is at most about this many across the chart (one per few pixels)."""


def _runs(tree: ExecutionTree, into: dict[tuple[str, int], RunNode]) -> None:
    for node in tree.runs:
        into[(node.run.execution, node.run.run)] = node
        for child in node.children:
            _runs(child, into)
    for orphan in tree.orphans:
        _runs(orphan, into)


def item_lanes(items: tuple[ItemRecord, ...], base: float,
               quantum: float) -> list[dict[str, Any]]:
    """One lane per worker (in worker order; None first): its items as spans from ``base``,
    those of one status less than ``quantum`` apart merged."""
    by_worker: dict[int | None, list[ItemRecord]] = {}
    for item in sorted(items, key=lambda i: i.start_mono):
        by_worker.setdefault(item.worker, []).append(item)
    lanes = []
    for worker in sorted(by_worker, key=lambda w: -1 if w is None else w):
        spans: list[list[Any]] = []
        for item in by_worker[worker]:
            start = item.start_mono - base
            status = "failed" if item.status in FAILED_STATUSES else item.status
            last = spans[-1] if spans else None
            if last is not None and last[2] == status and start - (last[0] + last[1]) <= quantum:
                last[1] = max(last[1], start + item.duration - last[0])
            else:
                spans.append([start, item.duration, status])
        lanes.append({"worker": worker, "spans": spans})
    return lanes


def _items(node: RunNode, base: float, quantum: float) -> dict[str, Any]:
    run = node.run
    dist = run.item_durations
    return {
        "total": run.items if run.items is not None else len(node.items),
        "succeeded": run.items_succeeded,
        "failed": run.items_failed,
        "canceled": run.items_canceled,
        "p50": dist.p50 if dist else None,
        "p95": dist.p95 if dist else None,
        "max": dist.max if dist else None,
        "lanes": item_lanes(node.items, base, quantum),
    }


def grouped_timeline(tree: ExecutionTree, *, resolution: int = RESOLUTION) -> dict[str, Any]:
    """The chart's rows, with-items runs grouped (see the module docstring)."""
    data = timeline_to_json(build_timeline(tree, items=False))
    runs: dict[tuple[str, int], RunNode] = {}
    _runs(tree, runs)
    quantum = (data["total"] or 0.0) / max(resolution, 1)
    for row in data["rows"]:
        node = runs.get((row["execution"], row["run"])) if row["kind"] == "task" else None
        row["items"] = None if node is None or not node.run.with_items else \
            _items(node, tree.base_mono, quantum)
    return data

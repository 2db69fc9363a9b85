"""The actor tree of one execution: supervisor, task runs, items and nested sub-workflows.

:func:`build_tree` arranges aggregated records (:class:`runtime.trace.model.LoadedExecution`)
into an :class:`ExecutionTree`: the supervisor, then one :class:`RunNode` per task run (a
with-items run is one node with item counts and p50/p95/max item durations, and the items
themselves when they were kept), with each sub-workflow execution nested under the task run
that started it. :func:`tree_to_json` and :func:`render_tree` present it.

Misuse: do not build a tree from records aggregated without ``item_details`` and expect
``items`` rows (they are empty then); do not compare offsets across files (they are relative
to the root execution's start, measured on its process's monotonic clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TextIO

from runtime.trace.formatting import format_duration, format_time
from runtime.trace.model import LoadedExecution
from runtime.trace.records import ExecutionRecord, ItemRecord, TaskRunRecord

__all__ = ["ExecutionTree", "RunNode", "build_tree", "render_tree", "tree_to_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunNode:
    """A task run in the tree, with its (filtered) items and its sub-workflows."""

    run: TaskRunRecord
    items: tuple[ItemRecord, ...] = ()
    children: tuple[ExecutionTree, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionTree:
    """An execution with its task runs in start order."""

    record: ExecutionRecord
    base_mono: float
    """``mono`` offsets are measured from (the root execution's start)."""
    runs: tuple[RunNode, ...] = ()
    orphans: tuple[ExecutionTree, ...] = ()
    """Sub-workflows whose parent task run is not in the trace."""

    def count_runs(self) -> int:
        """Task runs in this tree and every nested one."""
        total = len(self.runs)
        for node in self.runs:
            total += sum(child.count_runs() for child in node.children)
        return total + sum(orphan.count_runs() for orphan in self.orphans)


def _parent_run(record: ExecutionRecord, runs: tuple[TaskRunRecord, ...]) -> TaskRunRecord | None:
    """The run of ``record.parent_task`` that was running when ``record`` started."""
    candidates = [run for run in runs if run.task == record.parent_task]
    if not candidates:
        return None
    started = [run for run in candidates if (run.start_mono or 0.0) <= record.start_mono]
    for run in reversed(started):
        end = (run.start_mono or 0.0) + (run.duration or 0.0)
        if record.start_mono <= end:
            return run
    return started[-1] if started else candidates[0]


def build_tree(
    loaded: LoadedExecution,
    *,
    task: str | None = None,
    status: str | None = None,
    execution: str | None = None,
    base_mono: float | None = None,
) -> ExecutionTree:
    """Arrange ``loaded`` as a tree; ``task``/``status`` keep only matching runs and items."""
    record = loaded.records[execution or loaded.root]
    base = record.start_mono if base_mono is None else base_mono
    by_run: dict[int, list[ExecutionTree]] = {}
    orphans: list[ExecutionTree] = []
    for child in loaded.children_of(record.execution):
        subtree = build_tree(
            loaded, task=task, status=status, execution=child.execution, base_mono=base
        )
        parent = _parent_run(child, record.task_runs)
        if parent is None:
            orphans.append(subtree)
        else:
            by_run.setdefault(parent.run, []).append(subtree)
    filtering = task is not None or status is not None
    nodes: list[RunNode] = []
    for run in sorted(record.task_runs, key=lambda r: (r.start_mono or 0.0, r.run)):
        children = tuple(by_run.get(run.run, ()))
        if filtering:
            # A run that does not match stays as the context of matching sub-workflows.
            children = tuple(child for child in children if child.count_runs() > 0)
        task_ok = task is None or run.task == task
        items: tuple[ItemRecord, ...] = ()
        if task_ok:
            items = tuple(
                item for item in (run.item_details or ()) if status is None or item.status == status
            )
        matched = task_ok and (status is None or run.status == status or bool(items))
        if matched or children:
            nodes.append(RunNode(run=run, items=items if matched else (), children=children))
    if filtering:
        orphans = [orphan for orphan in orphans if orphan.count_runs() > 0]
    return ExecutionTree(record=record, base_mono=base, runs=tuple(nodes), orphans=tuple(orphans))


def _offset(tree: ExecutionTree, mono: float | None) -> float | None:
    return None if mono is None else mono - tree.base_mono


def _items_json(run: TaskRunRecord) -> dict[str, Any] | None:
    if not run.with_items:
        return None
    dist = run.item_durations
    return {
        "total": run.items if run.items is not None else run.items_finished,
        "done": run.items_succeeded,
        "failed": run.items_failed,
        "canceled": run.items_canceled,
        "p50": dist.p50 if dist else None,
        "p95": dist.p95 if dist else None,
        "max": dist.max if dist else None,
        "mean": dist.mean if dist else None,
    }


def tree_to_json(tree: ExecutionTree, *, items: bool = False) -> dict[str, Any]:
    """Return the tree as JSON-ready data (``item_list`` per run only if ``items``)."""
    record = tree.record
    tasks: list[dict[str, Any]] = []
    for node in tree.runs:
        run = node.run
        entry: dict[str, Any] = {
            "task": run.task,
            "route": run.route,
            "run": run.run,
            "actor": run.actor,
            "action": run.action,
            "status": run.status,
            "finished": run.finished,
            "attempts": run.attempts,
            "retries": run.retries,
            "start_offset": _offset(tree, run.start_mono),
            "duration": run.duration,
            "error": run.error,
            "items": _items_json(run),
            "children": [tree_to_json(child, items=items) for child in node.children],
        }
        if items and run.with_items:
            entry["item_list"] = [
                {
                    "index": item.index,
                    "status": item.status,
                    "duration": item.duration,
                    "worker": item.worker,
                    "start_offset": item.start_mono - tree.base_mono,
                }
                for item in node.items
            ]
        tasks.append(entry)
    return {
        "execution": record.execution,
        "workflow": record.workflow,
        "dialect": record.dialect,
        "parent_execution": record.parent_execution,
        "parent_task": record.parent_task,
        "status": record.status,
        "start_time": record.start_time,
        "start_offset": record.start_mono - tree.base_mono,
        "duration": record.duration,
        "errors": record.error_count,
        "supervisor": {
            "actor": "wf",
            "status": record.status,
            "duration": record.duration,
        },
        "tasks": tasks,
        "orphans": [tree_to_json(orphan, items=items) for orphan in tree.orphans],
    }


def _run_line(run: TaskRunRecord) -> str:
    parts = [run.label, run.status, f"attempts {run.attempts}", format_duration(run.duration)]
    if run.action:
        parts.append(run.action)
    if run.with_items:
        total = run.items if run.items is not None else run.items_finished
        counts = f"items {total}: {run.items_succeeded} done, {run.items_failed} failed"
        if run.items_canceled:
            counts += f", {run.items_canceled} canceled"
        parts.append(counts)
        dist = run.item_durations
        if dist is not None and dist.count:
            parts.append(
                f"p50 {format_duration(dist.p50)}  p95 {format_duration(dist.p95)}"
                f"  max {format_duration(dist.max)}"
            )
    if run.error:
        parts.append(f"error: {run.error}")
    return "  ".join(parts)


def _item_line(item: ItemRecord) -> str:
    worker = "-" if item.worker is None else f"w{item.worker}"
    return f"#{item.index}  {item.status}  {format_duration(item.duration)}  {worker}"


def render_tree(tree: ExecutionTree, stream: TextIO, *, items: bool = False) -> None:
    """Write the tree as indented text (box-drawing branches) to ``stream``."""
    _render(tree, stream, "", "", items)


def _render(tree: ExecutionTree, stream: TextIO, head: str, prefix: str, items: bool) -> None:
    record = tree.record
    started = f"  started {format_time(record.start_ts)}" if record.start_ts is not None else ""
    stream.write(
        f"{head}execution {record.execution}  {record.workflow or '?'}"
        f"  {record.status}  {format_duration(record.duration)}{started}\n"
    )
    errors = f"  errors {record.error_count}" if record.error_count else ""
    stream.write(
        f"{prefix}wf  supervisor  {record.status}  {format_duration(record.duration)}{errors}\n"
    )
    entries: list[tuple[str, object]] = [("run", node) for node in tree.runs]
    entries += [("orphan", orphan) for orphan in tree.orphans]
    for position, (kind, value) in enumerate(entries):
        last = position == len(entries) - 1
        branch, cont = ("└─ ", "   ") if last else ("├─ ", "│  ")
        if kind == "orphan":
            assert isinstance(value, ExecutionTree)
            _render(
                value, stream, f"{prefix}{branch}(parent task not in trace) ", prefix + cont, items
            )
            continue
        assert isinstance(value, RunNode)
        stream.write(f"{prefix}{branch}{_run_line(value.run)}\n")
        subs: list[ItemRecord | ExecutionTree] = []
        if items:
            subs.extend(value.items)
        subs.extend(value.children)
        for sub_position, sub in enumerate(subs):
            sub_last = sub_position == len(subs) - 1
            sub_branch, sub_cont = ("└─ ", "   ") if sub_last else ("├─ ", "│  ")
            if isinstance(sub, ItemRecord):
                stream.write(f"{prefix}{cont}{sub_branch}{_item_line(sub)}\n")
            else:
                _render(
                    sub,
                    stream,
                    f"{prefix}{cont}{sub_branch}sub-workflow ",
                    prefix + cont + sub_cont,
                    items,
                )

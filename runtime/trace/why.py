"""Why a task ran (or did not): the chain of stagings and transitions that led to it.

:func:`explain` walks back from each run of the task: its ``task.staged`` lines (which
source run staged it, join progress), the source's ``transition.evaluated`` line that
targeted it (``when`` expression, result, published keys), then the source run itself,
recursively, down to a start task (one nothing staged). For a task that never started it
lists every transition that targeted it (with its result and the source's status), every
staging that was not ready (join not satisfied: satisfied/required), and the task runs that
never finished (candidates for what the join still waits on). The result is a flat list of
:class:`WhyStep` with depths, rendered as an indented chain or as JSON.

Misuse: do not expect a chain for a task of a sub-workflow from its parent's id (name the
sub-workflow's execution); do not read ``unfinished`` steps as proven causes (the trace does
not say which tasks a join waits for, only how many, and a source that never finished never
evaluated the transitions that would name its targets).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from runtime.trace.formatting import format_duration, format_offset
from runtime.trace.records import ExecutionRecord, StagedRecord, TaskRunRecord, TransitionRecord

__all__ = ["WhyStep", "explain", "render_why", "why_to_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WhyStep:
    """One link of the chain.

    ``kind`` is ``run`` (a task run), ``staged`` (a ``task.staged`` line), ``transition``
    (a ``transition.evaluated`` line), ``start`` (nothing staged the run above: a start
    task), ``rerun`` (the run above ran again in a rerun: its first run, below, explains
    it), ``seen`` (a run explained earlier in the chain), ``missing`` (a source run the
    trace lacks), ``not_started`` (the task never started), ``unfinished`` (a run that
    never finished) or ``unreached`` (no transition targeted the task).
    """

    depth: int
    kind: str
    task: str | None
    route: int | None = None
    run: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the step as a JSON-ready dict (``data`` fields inlined)."""
        return {
            "depth": self.depth,
            "kind": self.kind,
            "task": self.task,
            "route": self.route,
            "run": self.run,
            **self.data,
        }

    def describe(self) -> str:
        """One line of human text for this step."""
        d = self.data
        where = f"{self.task}@{'?' if self.route is None else self.route}"
        if self.kind == "run":
            return (
                f"{where} (run {self.run}) {d['status']}:"
                f" started {format_offset(d['start_offset'])},"
                f" took {format_duration(d['duration'])}, attempts {d['attempts']}"
            )
        if self.kind == "staged":
            join = "" if d["join"] is None else f"join {d['join']}, "
            ready = "ready" if d["ready"] else "not ready"
            return (
                f"staged {where} from {d['source']} (run {d['source_run']}):"
                f" {join}{d['satisfied']}/{d['required']} satisfied, {ready}"
            )
        if self.kind == "transition":
            when = d["when"] if d["when"] is not None else "(always)"
            published = f", published {', '.join(d['published'])}" if d["published"] else ""
            error = f", error: {d['error']}" if d["error"] else ""
            result = "true" if d["result"] else "false"
            return (
                f"transition #{d['transition']} of {d['source']}@{d['source_route']}"
                f" (run {d['source_run']}, {d['source_status']}): when {when} -> {result}"
                f"{published}{error}"
            )
        if self.kind == "rerun":
            return (f"{where} (run {self.run}) ran again in rerun #{d['number']}, "
                    f"a rerun of run {d['rerun_of']}")
        if self.kind == "start":
            return f"{where} is a start task: nothing staged it"
        if self.kind == "seen":
            return f"{where} (run {self.run}): explained above"
        if self.kind == "missing":
            return f"source run {d['source_run']} is not in the trace"
        if self.kind == "not_started":
            return f"{self.task} never started (execution {d['execution_status']})"
        if self.kind == "unfinished":
            return f"{where} (run {self.run}) never finished ({d['status']})"
        if self.kind == "unreached":
            return f"no transition targeted {self.task}"
        return f"{self.kind} {where}"


def _run_step(run: TaskRunRecord, depth: int, base: float) -> WhyStep:
    return WhyStep(
        depth=depth,
        kind="run",
        task=run.task,
        route=run.route,
        run=run.run,
        data={
            "status": run.status,
            "start_offset": None if run.start_mono is None else run.start_mono - base,
            "duration": run.duration,
            "attempts": run.attempts,
            "action": run.action,
        },
    )


def _staged_step(staged: StagedRecord, depth: int) -> WhyStep:
    return WhyStep(
        depth=depth,
        kind="staged",
        task=staged.task,
        route=staged.route,
        run=None,
        data={
            "source": staged.source,
            "source_run": staged.run,
            "join": staged.join,
            "satisfied": staged.satisfied,
            "required": staged.required,
            "ready": staged.ready,
        },
    )


class _Walker:
    def __init__(self, record: ExecutionRecord) -> None:
        self.record = record
        self.base = record.start_mono
        self.runs = {run.run: run for run in record.task_runs}
        self.steps: list[WhyStep] = []
        self.visited: set[int] = set()
        self.reruns = {rerun.run: rerun for rerun in record.reruns}

    def transition_step(self, tr: TransitionRecord, target: str, depth: int) -> WhyStep:
        source = self.runs.get(tr.run) if tr.run is not None else None
        return WhyStep(
            depth=depth,
            kind="transition",
            task=target,
            data={
                "source": tr.task,
                "source_route": tr.route,
                "source_run": tr.run,
                "source_status": source.status if source is not None else "unknown",
                "transition": tr.index,
                "when": tr.when,
                "result": tr.result,
                "targets": list(tr.targets),
                "published": list(tr.published),
                "error": tr.error,
            },
        )

    def previous_start(self, run: TaskRunRecord) -> float:
        earlier = [
            other.start_mono
            for other in self.record.task_runs
            if other.task == run.task
            and other.route == run.route
            and other.start_mono is not None
            and run.start_mono is not None
            and other.start_mono < run.start_mono
        ]
        return max(earlier, default=-math.inf)

    def source(self, run_number: int | None, depth: int) -> None:
        source = self.runs.get(run_number) if run_number is not None else None
        if source is None:
            self.steps.append(
                WhyStep(depth=depth, kind="missing", task=None, data={"source_run": run_number})
            )
        else:
            self.walk(source, depth)

    def walk(self, run: TaskRunRecord, depth: int) -> None:
        if run.run in self.visited:
            self.steps.append(
                WhyStep(depth=depth, kind="seen", task=run.task, route=run.route, run=run.run)
            )
            return
        self.visited.add(run.run)
        self.steps.append(_run_step(run, depth, self.base))
        rerun = self.reruns.get(run.run)
        if rerun is not None:
            self.steps.append(WhyStep(depth=depth + 1, kind="rerun", task=run.task,
                                      route=run.route, run=run.run,
                                      data={"number": rerun.number,
                                            "rerun_of": rerun.rerun_of}))
            self.source(rerun.rerun_of, depth + 2)
            return
        start = run.start_mono if run.start_mono is not None else math.inf
        after = self.previous_start(run)
        staged = [
            s
            for s in self.record.staged
            if s.task == run.task and s.route == run.route and after < s.mono <= start
        ]
        if staged:
            for line in staged:
                self.steps.append(_staged_step(line, depth + 1))
                for tr in self.record.transitions:
                    if tr.run == line.run and run.task in tr.targets and tr.mono <= line.mono:
                        self.steps.append(self.transition_step(tr, run.task, depth + 2))
                self.source(line.run, depth + 2)
            return
        transitions = [
            tr
            for tr in self.record.transitions
            if tr.result and run.task in tr.targets and after < tr.mono <= start
        ]
        if transitions:
            for tr in transitions:
                self.steps.append(self.transition_step(tr, run.task, depth + 1))
                self.source(tr.run, depth + 1)
            return
        self.steps.append(
            WhyStep(depth=depth + 1, kind="start", task=run.task, route=run.route, run=run.run)
        )

    def never_started(self, task: str) -> None:
        record = self.record
        self.steps.append(
            WhyStep(
                depth=0,
                kind="not_started",
                task=task,
                data={"execution_status": record.status},
            )
        )
        shown: set[int] = set()
        for tr in record.transitions:
            if task not in tr.targets:
                continue
            self.steps.append(self.transition_step(tr, task, 1))
            if not tr.result:
                continue
            for number, line in enumerate(record.staged):
                if line.task == task and line.run == tr.run and number not in shown:
                    shown.add(number)
                    self.steps.append(_staged_step(line, 2))
        for number, line in enumerate(record.staged):
            if line.task == task and number not in shown:
                self.steps.append(_staged_step(line, 1))
        if not any(step.kind in ("transition", "staged") for step in self.steps):
            self.steps.append(WhyStep(depth=1, kind="unreached", task=task))
        # A source that never finished evaluated no transition: its run is a likely cause.
        for run in record.task_runs:
            if not run.finished:
                self.steps.append(
                    WhyStep(
                        depth=1,
                        kind="unfinished",
                        task=run.task,
                        route=run.route,
                        run=run.run,
                        data={"status": run.status},
                    )
                )


def explain(record: ExecutionRecord, task: str) -> list[WhyStep]:
    """Return the chain that made ``task`` run in ``record`` (or kept it from running).

    ``record`` must have been aggregated with ``keep_graph=True``. The list is empty only
    when the trace never mentions the task and every task run in it finished (a task nothing
    mentions yet may still be waiting on an unfinished one).
    """
    walker = _Walker(record)
    runs = sorted(
        (run for run in record.task_runs if run.task == task),
        key=lambda run: (run.start_mono if run.start_mono is not None else math.inf, run.run),
    )
    if runs:
        for run in runs:
            walker.walk(run, 0)
        return walker.steps
    mentioned = any(task in tr.targets for tr in record.transitions) or any(
        line.task == task for line in record.staged
    )
    if not mentioned and all(run.finished for run in record.task_runs):
        return []
    walker.never_started(task)
    return walker.steps


def why_to_json(record: ExecutionRecord, task: str, steps: list[WhyStep]) -> dict[str, Any]:
    """Return the chain as JSON-ready data: the execution, the task and the list of steps."""
    return {
        "execution": record.execution,
        "workflow": record.workflow,
        "task": task,
        "started": any(step.kind == "run" and step.task == task for step in steps),
        "steps": [step.to_json() for step in steps],
    }


def render_why(record: ExecutionRecord, task: str, steps: list[WhyStep], stream: TextIO) -> None:
    """Write the chain as indented lines, deepest cause last."""
    stream.write(f"why {task} in {record.execution} ({record.workflow or '?'}, {record.status})\n")
    for step in steps:
        stream.write(f"{'  ' * (step.depth + 1)}{step.describe()}\n")

"""Synthetic actor traces for the trace-reader tests (format: docs/trace-format.md).

:func:`write_demo_trace` writes one realistic file: a parent execution with a chain of tasks,
a with-items task (N items, 4 workers), a failed task, a retried task, a join with
``task.staged`` lines, a task that never ran because its transition evaluated false, a join
that was never satisfied, and a sub-workflow; plus, optionally, a second top-level
execution. The returned :class:`Demo` lists the facts tests assert on.

The graph of the parent execution (``demo.yaml``)::

    start -> fanout (with-items) --+--> join_all (join: all) -> sub (runs child.yaml)
          -> flaky (retried once) -+
          -> check --when false--> never_ran
                   --when true---> broken (fails) --on success--> gate (join with fanout)
                                                  --on failure--> cleanup
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = "e1000000aaaa4bbb8ccc000000000001"
CHILD = "c2000000aaaa4bbb8ccc000000000002"
OTHER = "5e000000aaaa4bbb8ccc000000000003"
MONO0 = 5000.0
TS0 = 1_700_000_000.0
WORKERS = 4


class TraceGen:
    """Collects the lines of one execution on a simulated clock (offsets in seconds)."""

    def __init__(self, execution: str, lines: list[dict[str, Any]]) -> None:
        self.execution = execution
        self.lines = lines
        self.msg_id = 0
        self.ctx_version = 0
        self.threads = 0

    def emit(self, event: str, at: float, actor: str = "wf", **fields: Any) -> None:
        """One line; ``task``/``route``/``item``/``attempt`` default to null."""
        line: dict[str, Any] = {
            "event": event,
            "ts": TS0 + at,
            "mono": MONO0 + at,
            "execution": self.execution,
            "actor": actor,
            "task": None,
            "route": None,
            "item": None,
            "attempt": None,
            "ctx_version": self.ctx_version if actor == "wf" else None,
        }
        line.update(fields)
        self.lines.append(line)

    def spawn(self, at: float, actor: str, kind: str, parent: str | None) -> None:
        self.threads += 1
        self.emit("actor.spawned", at, actor, kind=kind, parent=parent, thread=f"t{self.threads}")

    def message(
        self,
        msg: str,
        sender: str,
        receiver: str,
        *,
        sent: float,
        received: float,
        handled: float,
        **common: Any,
    ) -> None:
        """Emit sent / received / handled; ``handled`` is the handler's duration."""
        self.msg_id += 1
        ids = {"msg": msg, "msg_id": self.msg_id}
        self.emit("message.sent", sent, sender, to=receiver, **ids, **common)
        self.emit(
            "message.received",
            received,
            receiver,
            sender=sender,
            mailbox_wait=received - sent,
            **ids,
            **common,
        )
        self.emit(
            "message.handled", received + handled, receiver, duration=handled, **ids, **common
        )

    def transition(
        self,
        at: float,
        task: str,
        run: int,
        *,
        index: int,
        when: str | None,
        result: bool,
        targets: list[str],
        published: Iterable[str] = (),
    ) -> None:
        keys = list(published)
        if keys:
            self.ctx_version += 1
        self.emit(
            "transition.evaluated",
            at,
            task=task,
            route=0,
            run=run,
            transition=index,
            when=when,
            result=result,
            targets=targets,
            published=keys,
            error=None,
        )

    def staged(
        self,
        at: float,
        target: str,
        source: str,
        *,
        run: int,
        join: str | int | None = None,
        satisfied: int = 1,
        required: int = 1,
    ) -> None:
        self.emit(
            "task.staged",
            at,
            task=target,
            route=0,
            run=run,
            source=source,
            join=join,
            satisfied=satisfied,
            required=required,
            ready=satisfied >= required,
        )

    def task(
        self,
        name: str,
        run: int,
        start: float,
        duration: float,
        *,
        status: str = "succeeded",
        action: str = "troupe.echo",
        error: str | None = None,
        attempts: int = 1,
    ) -> float:
        """A plain task run (with ``attempts - 1`` failed attempts first); return its end."""
        actor = f"wf/{name}@0"
        common: dict[str, Any] = {"task": name, "route": 0}
        self.emit(
            "task.started",
            start,
            run=run,
            action=action,
            items=None,
            concurrency=None,
            attempt=1,
            **common,
        )
        self.spawn(start + 0.0001, actor, "task", "wf")
        slot = duration / attempts
        for attempt in range(1, attempts + 1):
            t0 = start + (attempt - 1) * slot
            at = {"attempt": attempt, **common}
            self.message(
                "RunTask", "wf", actor, sent=t0 + 0.0002, received=t0 + 0.0003,
                handled=slot - 0.003, **at,
            )  # fmt: skip
            self.message(
                "TaskResult", actor, "wf", sent=t0 + slot - 0.0025, received=t0 + slot - 0.002,
                handled=0.0001, **at,
            )  # fmt: skip
            if attempt < attempts:
                timer = run * 100 + attempt
                self.emit("task.retrying", t0 + slot - 0.0015, run=run, delay=0.0,
                          reason="failed", **at)  # fmt: skip
                self.emit("timer.set", t0 + slot - 0.0014, timer_id=timer, kind="retry",
                          delay=0.0, **at)  # fmt: skip
                self.emit("timer.fired", t0 + slot - 0.0002, timer_id=timer, kind="retry", **at)
        end = start + duration
        self.emit("actor.stopped", end - 0.0005, actor, kind="task", **common)
        self.emit(
            "task.finished",
            end,
            run=run,
            status=status,
            attempts=attempts,
            duration=duration,
            items=None,
            items_failed=None,
            error=error,
            attempt=attempts,
            **common,
        )
        return end

    def with_items(self, run: int, start: float, items: int, failed: tuple[int, ...]) -> float:
        """The ``fanout`` with-items run: ``WORKERS`` workers, items in waves; return its end."""
        actor = "wf/fanout@0"
        common: dict[str, Any] = {"task": "fanout", "route": 0}
        self.emit(
            "task.started",
            start,
            run=run,
            action="core.http",
            items=items,
            concurrency=WORKERS,
            attempt=1,
            **common,
        )
        self.spawn(start + 0.0001, actor, "task", "wf")
        self.message(
            "RunTask", "wf", actor, sent=start + 0.0002, received=start + 0.0003, handled=0.0002,
            attempt=1, **common,
        )  # fmt: skip
        for k in range(WORKERS):
            self.spawn(start + 0.0006 + k * 0.00001, f"{actor}/w{k}", "item", actor)
        wave = 0.02
        for index in range(items):
            worker = f"{actor}/w{index % WORKERS}"
            t0 = start + 0.001 + (index // WORKERS) * wave + (index % WORKERS) * 0.0001
            d = item_duration(index)
            at = {"item": index, **common}
            self.message(
                "RunItem", actor, worker, sent=t0, received=t0 + 0.0002, handled=d - 0.0006, **at
            )
            self.message(
                "ItemResult", worker, actor, sent=t0 + d - 0.0003, received=t0 + d - 0.0002,
                handled=0.00005, **at,
            )  # fmt: skip
            status = "failed" if index in failed else "succeeded"
            self.emit("item.finished", t0 + d + 0.0001, run=run, status=status, duration=d, **at)
        end = start + 0.001 + ((items + WORKERS - 1) // WORKERS) * wave + 0.002
        for k in range(WORKERS):
            self.emit("actor.stopped", end - 0.001, f"{actor}/w{k}", kind="item", **common)
        self.message(
            "TaskResult", actor, "wf", sent=end - 0.0008, received=end - 0.0006, handled=0.0001,
            attempt=1, **common,
        )  # fmt: skip
        self.emit("actor.stopped", end - 0.0004, actor, kind="task", **common)
        self.emit(
            "task.finished",
            end,
            run=run,
            status="failed" if failed else "succeeded",
            attempts=1,
            duration=end - start,
            items=items,
            items_failed=len(failed),
            error=f"{len(failed)} item(s) failed" if failed else None,
            attempt=1,
            **common,
        )
        return end


@dataclass
class Demo:
    """Facts about the trace :func:`write_demo_trace` wrote."""

    path: Path
    items: int
    failed_items: tuple[int, ...]
    root_actors: list[str] = field(default_factory=list)
    lines: int = 0


def item_duration(index: int) -> float:
    """Duration of item ``index`` of the with-items task (deterministic, varied)."""
    return 0.010 + (index % 7) * 0.001 + (index % 3) * 0.0005


def _parent(lines: list[dict[str, Any]], items: int, failed: tuple[int, ...]) -> float:
    """The parent execution's lines up to and including ``sub``'s run; return sub's start."""
    g = TraceGen(ROOT, lines)
    g.spawn(0.0, "wf", "supervisor", None)
    g.emit("workflow.started", 0.0, workflow="demo.yaml", dialect="orquesta",
           parent_execution=None, parent_task=None,
           inputs={"who": "world", "token": "***"})  # fmt: skip
    start_end = g.task("start", 1, 0.001, 0.010)
    g.transition(start_end + 0.0005, "start", 1, index=0, when="<% succeeded() %>", result=True,
                 targets=["fanout", "flaky", "check"], published=["greeting"])  # fmt: skip
    for target in ("fanout", "flaky", "check"):
        g.staged(start_end + 0.0008, target, "start", run=1)
    fan_end = g.with_items(2, start_end + 0.001, items, failed)
    flaky_end = g.task("flaky", 3, start_end + 0.002, 0.090, attempts=2, action="core.flaky")
    check_end = g.task("check", 4, start_end + 0.003, 0.010)
    g.transition(check_end + 0.0002, "check", 4, index=0, when="<% ctx().strict %>",
                 result=False, targets=["never_ran"])  # fmt: skip
    g.transition(check_end + 0.0003, "check", 4, index=1, when="<% not ctx().strict %>",
                 result=True, targets=["broken"])  # fmt: skip
    g.staged(check_end + 0.0004, "broken", "check", run=4)
    broken_end = g.task("broken", 5, check_end + 0.001, 0.010, status="failed",
                        action="core.fail", error="ActionFailed: exit code 3")  # fmt: skip
    g.transition(broken_end + 0.0002, "broken", 5, index=0, when="<% succeeded() %>",
                 result=False, targets=["gate"])  # fmt: skip
    g.transition(broken_end + 0.0003, "broken", 5, index=1, when="<% failed() %>",
                 result=True, targets=["cleanup"])  # fmt: skip
    g.staged(broken_end + 0.0004, "cleanup", "broken", run=5)
    g.task("cleanup", 6, broken_end + 0.001, 0.010)
    # The join: whichever of fanout/flaky ends last makes join_all ready.
    ends = sorted([(fan_end, "fanout", 2), (flaky_end, "flaky", 3)])
    for count, (end, name, run) in enumerate(ends, start=1):
        fanout = name == "fanout"
        g.transition(end + 0.0002, name, run, index=0, when="<% succeeded() %>", result=True,
                     targets=["join_all", "gate"] if fanout else ["join_all"],
                     published=["results"] if fanout else [])  # fmt: skip
        g.staged(end + 0.0003, "join_all", name, run=run, join="all", satisfied=count,
                 required=2)  # fmt: skip
        if fanout:
            g.staged(end + 0.0004, "gate", "fanout", run=run, join="all", satisfied=1,
                     required=2)  # fmt: skip
    join_end = g.task("join_all", 7, ends[-1][0] + 0.001, 0.005)
    g.transition(join_end + 0.0002, "join_all", 7, index=0, when=None, result=True,
                 targets=["sub"])  # fmt: skip
    g.staged(join_end + 0.0003, "sub", "join_all", run=7)
    sub_start = join_end + 0.001
    sub_end = g.task("sub", 8, sub_start, 0.050, action="demo.child")
    total = sub_end + 0.002
    g.emit("actor.stopped", total - 0.0005, "wf", kind="supervisor")
    g.emit("workflow.finished", total, status="failed", duration=total,
           errors=[{"kind": "task", "task": "broken", "route": 0, "message": "exit code 3"}],
           output=None)  # fmt: skip
    return sub_start


def _child(lines: list[dict[str, Any]], sub_start: float) -> None:
    """The sub-workflow ``sub`` runs: child_a -> child_b."""
    c = TraceGen(CHILD, lines)
    begin = sub_start + 0.002
    c.spawn(begin, "wf", "supervisor", "wf/sub@0")
    c.emit("workflow.started", begin, workflow="child.yaml", dialect="orquesta",
           parent_execution=ROOT, parent_task="sub", inputs={})  # fmt: skip
    a_end = c.task("child_a", 1, begin + 0.001, 0.010)
    c.transition(a_end + 0.0002, "child_a", 1, index=0, when=None, result=True,
                 targets=["child_b"])  # fmt: skip
    c.staged(a_end + 0.0003, "child_b", "child_a", run=1)
    b_end = c.task("child_b", 2, a_end + 0.001, 0.010)
    c.emit("actor.stopped", b_end + 0.0005, "wf", kind="supervisor")
    c.emit("workflow.finished", b_end + 0.001, status="succeeded", duration=b_end + 0.001 - begin,
           errors=[], output={"n": 1})  # fmt: skip


def _other(lines: list[dict[str, Any]], base: float) -> None:
    """A second, unrelated top-level execution with one task."""
    o = TraceGen(OTHER, lines)
    o.spawn(base, "wf", "supervisor", None)
    o.emit("workflow.started", base, workflow="other.yaml", dialect="attune",
           parent_execution=None, parent_task=None, inputs={})  # fmt: skip
    end = o.task("only", 1, base + 0.001, 0.020, action="troupe.echo")
    o.emit("workflow.finished", end + 0.001, status="succeeded", duration=end + 0.001 - base,
           errors=[], output={})  # fmt: skip


def write_demo_trace(
    path: Path,
    *,
    items: int = 8,
    failed_items: Iterable[int] = (),
    other: bool = True,
    garbage: Iterable[str] = (),
    partial_last: bool = False,
) -> Demo:
    """Write the demo trace to ``path`` and return its facts.

    ``garbage`` lines are inserted after the first line (malformed lines); ``partial_last``
    appends half a line without a newline (a trace being written).
    """
    failed = tuple(sorted(set(failed_items)))
    lines: list[dict[str, Any]] = []
    sub_start = _parent(lines, items, failed)
    _child(lines, sub_start)
    if other:
        _other(lines, max(line["mono"] for line in lines) - MONO0 + 1.0)
    lines.sort(key=lambda line: line["mono"])  # written in time order, threads interleaved
    text = [json.dumps(line) for line in lines]
    for offset, junk in enumerate(garbage):
        text.insert(1 + offset, junk)
    with open(path, "w", encoding="utf-8") as handle:
        for line in text:
            handle.write(line + "\n")
        if partial_last:
            handle.write(text[-1][: len(text[-1]) // 2])
    tasks = ("start", "fanout", "flaky", "check", "broken", "cleanup", "join_all", "sub")
    root_actors = ["wf", *(f"wf/{name}@0" for name in tasks)]
    root_actors += [f"wf/fanout@0/w{k}" for k in range(WORKERS)]
    return Demo(path=path, items=items, failed_items=failed, root_actors=root_actors,
                lines=len(text))  # fmt: skip


@pytest.fixture
def demo(tmp_path: Path) -> Demo:
    """The default demo trace (8 items, second execution present)."""
    return write_demo_trace(tmp_path / "demo.trace.jsonl")


@dataclass
class CliResult:
    """Exit status and the two output streams of one CLI run."""

    rc: int
    out: str
    err: str

    def json(self) -> Any:
        """The standard output parsed as JSON."""
        return json.loads(self.out)


def run_cli(*argv: str | Path) -> CliResult:
    """Run ``troupe trace`` in-process with the arguments given."""
    from runtime.trace.cli import main

    out, err = io.StringIO(), io.StringIO()
    rc = main([str(arg) for arg in argv], out, err)
    return CliResult(rc=rc, out=out.getvalue(), err=err.getvalue())

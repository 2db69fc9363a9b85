"""Streaming reader of Troupe's JSON-lines actor traces (see ``docs/trace-format.md``).

:func:`iter_events` yields one parsed line (a plain ``dict``) at a time, reading the file
line by line, so a trace of any size is read in constant memory. A malformed line is handed
to ``on_error`` as a :class:`TraceFormatError` (with ``path`` and ``line``) and skipped;
past ``max_errors`` of them the reader raises instead. An incomplete last line (a trace
still being written) is silently left out. :func:`scan_executions` is a cheap first pass
that indexes the executions of a file (id, workflow, parent, status) without parsing every
line, and :func:`resolve_execution` turns a user's id prefix into one execution id.

Misuse: do not collect the events into a list (``list(iter_events(...))``) to "look at them
twice": read the file twice, or aggregate as you go (:mod:`runtime.trace.aggregate`). Do not
mutate the yielded dicts and keep them around; they are fresh per line but meant to be
consumed. Do not rely on event order across actors: lines of different threads interleave,
order by ``mono`` where it matters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from runtime.errors import TroupeError

__all__ = [
    "DEFAULT_MAX_ERRORS",
    "ActorRef",
    "AmbiguousExecution",
    "ErrorHandler",
    "ExecutionInfo",
    "ExecutionNotFound",
    "TraceEvent",
    "TraceFilter",
    "TraceFormatError",
    "event_problem",
    "iter_events",
    "parse_actor",
    "resolve_execution",
    "scan_executions",
    "with_descendants",
]

TraceEvent = dict[str, Any]
"""One parsed trace line: ``event``, ``execution`` (str) and ``mono`` (float) are present."""

DEFAULT_MAX_ERRORS = 10
"""How many malformed lines a reader skips (reporting each) before it gives up."""


class TraceFormatError(TroupeError):
    """A trace line is not what ``docs/trace-format.md`` describes.

    ``path`` is the trace file, ``line`` the 1-based line number, ``reason`` what is wrong.
    """

    def __init__(self, reason: str, *, path: str, line: int) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        super().__init__(f"{path}:{line}: {reason}")


class ExecutionNotFound(TroupeError):
    """No execution of the trace has an id starting with ``prefix``."""

    def __init__(self, prefix: str, *, path: str) -> None:
        self.prefix = prefix
        self.path = path
        super().__init__(f"{path}: no execution matches {prefix!r}")


class AmbiguousExecution(TroupeError):
    """Several executions match ``prefix`` (or none was named and the file has several)."""

    def __init__(self, prefix: str, *, path: str, candidates: Iterable[str]) -> None:
        self.prefix = prefix
        self.path = path
        self.candidates = tuple(candidates)
        shown = ", ".join(self.candidates[:10])
        more = f" and {len(self.candidates) - 10} more" if len(self.candidates) > 10 else ""
        what = f"{prefix!r} matches" if prefix else "the trace has"
        super().__init__(f"{path}: {what} several executions: {shown}{more}")


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceFilter:
    """The ``--execution`` / ``--task`` / ``--status`` filters of the ``trace`` commands.

    Each command says what ``task`` and ``status`` apply to (executions, task runs, lines);
    ``execution`` is always an id prefix.
    """

    execution: str | None = None
    """Execution id prefix, or ``None`` for every execution."""
    task: str | None = None
    """Task name, or ``None`` for every task."""
    status: str | None = None
    """Status (``succeeded``, ``failed``, ``running``...), or ``None`` for any."""

    def execution_matches(self, execution: str) -> bool:
        """Tell whether ``execution`` starts with the execution prefix (if any)."""
        return self.execution is None or execution.startswith(self.execution)

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return self.execution is not None or self.task is not None or self.status is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorRef:
    """What an actor path says: ``wf``, ``wf/<task>@<route>`` or ``wf/<task>@<route>/w<k>``."""

    path: str
    task: str | None = None
    route: int | None = None
    worker: int | None = None

    @property
    def kind(self) -> str:
        """``supervisor``, ``task`` or ``item`` (``other`` for paths of unknown shape)."""
        if self.worker is not None:
            return "item"
        if self.task is not None:
            return "task"
        return "supervisor" if "/" not in self.path else "other"

    @property
    def task_actor(self) -> str | None:
        """Path of the task actor this actor belongs to (itself for a task actor)."""
        if self.task is None:
            return None
        return self.path.rsplit("/", 1)[0] if self.worker is not None else self.path


@lru_cache(maxsize=4096)
def parse_actor(path: str) -> ActorRef:
    """Split an actor path into task, route and worker number (cached: paths repeat)."""
    parts = path.split("/")
    if len(parts) < 2:
        return ActorRef(path=path)
    name, at, route_text = parts[1].rpartition("@")
    if not at or not name:
        return ActorRef(path=path)
    try:
        route = int(route_text)
    except ValueError:
        return ActorRef(path=path)
    worker: int | None = None
    if len(parts) >= 3 and parts[2].startswith("w"):
        try:
            worker = int(parts[2][1:])
        except ValueError:
            worker = None
    return ActorRef(path=path, task=name, route=route, worker=worker)


ErrorHandler = Callable[[TraceFormatError], None]
"""Receives each malformed line (as an unraised error) before the reader skips it."""


def event_problem(obj: Any) -> str | None:
    """Return why a parsed JSON line is not a trace event, or ``None`` if it is one."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    if not isinstance(obj.get("event"), str):
        return "missing or non-string 'event'"
    if not isinstance(obj.get("execution"), str):
        return "missing or non-string 'execution'"
    mono = obj.get("mono")
    if isinstance(mono, bool) or not isinstance(mono, int | float):
        return "missing or non-numeric 'mono'"
    return None


def iter_events(
    path: str | Path,
    *,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_error: ErrorHandler | None = None,
    executions: Container[str] | None = None,
) -> Iterator[TraceEvent]:
    """Yield the events of the trace at ``path`` in file order, one line at a time.

    ``executions`` keeps only lines of those execution ids. Raises :class:`OSError` if the
    file cannot be opened, and :class:`TraceFormatError` once more than ``max_errors``
    malformed lines were seen (each one before that goes to ``on_error`` and is skipped).
    """
    name = str(path)
    errors = 0
    with open(path, "rb") as handle:
        lineno = 0
        for raw in handle:
            lineno += 1
            if not raw.strip():
                continue
            complete = raw.endswith(b"\n")
            try:
                obj = json.loads(raw)
            except ValueError as exc:
                if not complete:
                    return  # the last line is still being written
                reason: str | None = f"invalid JSON: {exc}"
            else:
                reason = event_problem(obj)
            if reason is not None:
                errors += 1
                err = TraceFormatError(reason, path=name, line=lineno)
                if errors > max_errors:
                    raise TraceFormatError(
                        f"more than {max_errors} malformed lines (last: {reason})",
                        path=name,
                        line=lineno,
                    )
                if on_error is not None:
                    on_error(err)
                continue
            if executions is not None and obj["execution"] not in executions:
                continue
            yield obj


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionInfo:
    """What the first pass learns about one execution of a trace file."""

    execution: str
    workflow: str | None = None
    parent_execution: str | None = None
    parent_task: str | None = None
    start_ts: float | None = None
    start_mono: float | None = None
    """``mono`` of ``workflow.started`` (``None`` if the file lacks that line)."""
    status: str = "running"
    """``status`` of ``workflow.finished``, or ``running`` if it has not finished."""


_EXECUTION_RE = re.compile(rb'"execution"\s*:\s*"((?:[^"\\]|\\.)*)"')


def scan_executions(path: str | Path) -> dict[str, ExecutionInfo]:
    """Index the executions of a trace file (in order of first appearance).

    Only ``workflow.started``/``workflow.finished`` lines are fully parsed; other lines only
    contribute their execution id, so this pass is much cheaper than :func:`iter_events`.
    Malformed lines are ignored here (the full pass reports them).
    """
    found: dict[str, dict[str, Any]] = {}
    with open(path, "rb") as handle:
        for raw in handle:
            if b'"workflow.started"' in raw or b'"workflow.finished"' in raw:
                try:
                    obj = json.loads(raw)
                except ValueError:
                    continue
                if event_problem(obj) is not None:
                    continue
                entry = found.setdefault(obj["execution"], {"execution": obj["execution"]})
                if obj["event"] == "workflow.started":
                    entry.update(
                        workflow=_opt_str(obj.get("workflow")),
                        parent_execution=_opt_str(obj.get("parent_execution")),
                        parent_task=_opt_str(obj.get("parent_task")),
                        start_ts=_opt_float(obj.get("ts")),
                        start_mono=float(obj["mono"]),
                    )
                elif obj["event"] == "workflow.finished":
                    entry["status"] = str(obj.get("status") or "finished")
                continue
            match = _EXECUTION_RE.search(raw)
            if match is None:
                continue
            try:
                execution = json.loads(b'"' + match.group(1) + b'"')
            except ValueError:
                continue
            if execution not in found:
                found[execution] = {"execution": execution}
    return {key: ExecutionInfo(**value) for key, value in found.items()}


def with_descendants(index: dict[str, ExecutionInfo], roots: Iterable[str]) -> set[str]:
    """Return ``roots`` plus every execution whose parent chain reaches one of them."""
    chosen = set(roots)
    children: dict[str, list[str]] = {}
    for info in index.values():
        if info.parent_execution is not None:
            children.setdefault(info.parent_execution, []).append(info.execution)
    todo = list(chosen)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in chosen:
                chosen.add(child)
                todo.append(child)
    return chosen


def resolve_execution(index: dict[str, ExecutionInfo], prefix: str | None, *, path: str) -> str:
    """Return the one execution ``prefix`` names.

    An exact id wins; otherwise candidates whose ancestor is also a candidate are dropped
    (a sub-workflow sharing the prefix does not make it ambiguous). With no prefix, the
    file must hold exactly one top-level execution.
    """
    if prefix is not None and prefix in index:
        return prefix
    wanted = prefix or ""
    candidates = [key for key in index if key.startswith(wanted)]
    if not candidates:
        raise ExecutionNotFound(wanted, path=path)
    cands = set(candidates)

    def has_candidate_ancestor(key: str) -> bool:
        seen: set[str] = set()
        parent = index[key].parent_execution
        while parent is not None and parent not in seen:
            if parent in cands:
                return True
            seen.add(parent)
            parent = index[parent].parent_execution if parent in index else None
        return False

    roots = [key for key in candidates if not has_candidate_ancestor(key)]
    if len(roots) == 1:
        return roots[0]
    raise AmbiguousExecution(wanted, path=path, candidates=roots or candidates)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)

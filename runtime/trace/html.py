"""A self-contained HTML page with a zoomable timeline of one execution's actors.

:func:`export_html` renders the Jinja template ``templates/trace.html.j2`` (package data,
with its ``trace.css`` and ``trace.js`` included inline: no network, no external fonts) into
one file: one row per actor (``data-actor`` attribute; with-items workers grouped under their
task's row, collapsible), bars for handled messages and for task-run and item spans, a time
axis, zoom by mouse wheel / buttons / drag, and a details panel that shows the task's status,
attempts, durations, route and action when a bar or a row is clicked. Autoescaping is on; the
data is embedded as JSON in ``<script type="application/json">`` tags through Jinja's
``tojson`` (every ``<``, ``>``, ``&`` and ``'`` escaped, so no ``</script>`` can occur in
it); the slices are streamed into the page while the trace is read (:class:`_Page` is the
template's view of the execution). After rendering, the page sets ``document.title`` to
``ok:<rows>``, or ``error:<message>`` if its script failed (headless tests read it).

Misuse: do not open pages of huge executions expecting every message to be visible at once
(bars narrower than a pixel merge; zoom in); do not edit the embedded JSON by hand (indices
into ``names`` and ``actors`` must stay consistent); do not embed data in the template other
than through ``tojson`` (a ``|safe`` string can close the script tag).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

import jinja2
from jinja2.utils import htmlsafe_json_dumps

from runtime.trace.aggregate import TraceAggregator
from runtime.trace.reader import (
    DEFAULT_MAX_ERRORS,
    ErrorHandler,
    ExecutionNotFound,
    TraceEvent,
    TraceFilter,
    iter_events,
    parse_actor,
    resolve_execution,
    scan_executions,
)
from runtime.trace.records import ActorRecord, ExecutionRecord, TaskRunRecord
from runtime.trace.spans import Flow, Span, iter_spans

__all__ = ["HtmlExport", "embed_json", "export_html"]

_KINDS = {"message": 0, "task": 1, "item": 2}
_JSON_OPTIONS: dict[str, Any] = {"separators": (",", ":")}


@dataclass(frozen=True, slots=True, kw_only=True)
class HtmlExport:
    """What a page shows."""

    execution: str
    actors: int
    """Rows (one per actor)."""
    slices: int


def embed_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` tag (``<``, ``>``, ``&``, ``'`` escaped)."""
    return str(htmlsafe_json_dumps(value, **_JSON_OPTIONS))


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("runtime.trace", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.policies["json.dumps_kwargs"] = _JSON_OPTIONS
    return env.get_template("trace.html.j2")


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 4)


def _ms_or_none(seconds: float | None) -> float | None:
    return None if seconds is None else _ms(seconds)


class _Interner:
    def __init__(self) -> None:
        self.values: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, value: str | None) -> int:
        if value is None:
            return -1
        code = self.index.get(value)
        if code is None:
            code = self.index[value] = len(self.values)
            self.values.append(value)
        return code


def _tee(events: Iterator[TraceEvent], aggregator: TraceAggregator) -> Iterator[TraceEvent]:
    for ev in events:
        aggregator.feed(ev)
        yield ev


def _actor_json(actor: ActorRecord, base: float) -> dict[str, Any]:
    return {
        "path": actor.path,
        "kind": actor.kind,
        "task": actor.task,
        "route": actor.route,
        "worker": actor.worker,
        "parent": actor.parent,
        "thread": actor.thread,
        "status": actor.status,
        "error": actor.error,
        "messages": actor.messages,
        "busy_ms": _ms(actor.busy),
        "wait_ms": _ms_or_none(actor.mean_mailbox_wait),
        "first_ms": _ms(actor.first_mono - base),
    }


def _task_json(run: TaskRunRecord, base: float) -> dict[str, Any]:
    items = None
    if run.with_items:
        dist = run.item_durations
        items = {
            "total": run.items if run.items is not None else run.items_finished,
            "done": run.items_succeeded,
            "failed": run.items_failed,
            "canceled": run.items_canceled,
            "p50_ms": None if dist is None else _ms_or_none(dist.p50),
            "p95_ms": None if dist is None else _ms_or_none(dist.p95),
            "max_ms": None if dist is None else _ms_or_none(dist.max),
        }
    return {
        "run": run.run,
        "task": run.task,
        "route": run.route,
        "actor": run.actor,
        "status": run.status,
        "attempts": run.attempts,
        "retries": run.retries,
        "action": run.action,
        "start_ms": None if run.start_mono is None else _ms(run.start_mono - base),
        "duration_ms": _ms_or_none(run.duration),
        "error": run.error,
        "items": items,
    }


def _slice(span: Span, actor: int, base: float, names: _Interner) -> list[Any]:
    kind = _KINDS[span.kind]
    ref = span.msg_id if span.kind == "message" else span.item
    name = span.task if span.kind == "item" else span.name
    return [
        actor,
        _ms(span.start - base),
        _ms(span.duration),
        kind,
        names(name),
        names(span.status),
        -1 if span.run is None else span.run,
        -1 if ref is None else ref,
    ]


class _Page:
    """The template's view of one execution: slices while the trace is read, then the meta.

    :meth:`slices` reads the trace (feeding the aggregator as it goes); :meth:`meta` must be
    called after it (the template does so), when every actor and name is known.
    """

    def __init__(
        self,
        events: Iterator[TraceEvent],
        *,
        root: str,
        workflow: str | None,
        base: float | None,
        keep_actor: Callable[[str], bool],
        not_found: ExecutionNotFound,
    ) -> None:
        self.workflow = workflow or ""
        self.short_id = root[:8]
        self.aggregator = TraceAggregator(accept={root}.__contains__)
        self._events = _tee(events, self.aggregator)
        self._base = base
        self._keep_actor = keep_actor
        self._not_found = not_found
        self.actors: dict[str, int] = {}
        self.names = _Interner()
        self.count = 0

    def slices(self) -> Iterator[list[Any]]:
        """The page's slice rows (``[actor, start_ms, duration_ms, kind, name, status, run,
        ref]``), as the trace is read."""
        for span in iter_spans(self._events):
            if isinstance(span, Flow) or not self._keep_actor(span.actor):
                continue
            if self._base is None:
                self._base = span.start
            actor = self.actors.setdefault(span.actor, len(self.actors))
            self.count += 1
            yield _slice(span, actor, self._base, self.names)

    def meta(self) -> dict[str, Any]:
        """The execution, its actors (one row each, in slice index order) and task runs."""
        records = self.aggregator.records()
        if not records:
            raise self._not_found
        record = records[0]
        base = record.start_mono if self._base is None else self._base
        for actor_record in sorted(record.actors, key=lambda a: a.first_mono):
            if self._keep_actor(actor_record.path):
                self.actors.setdefault(actor_record.path, len(self.actors))
        return {
            "execution": record.execution,
            "workflow": record.workflow,
            "dialect": record.dialect,
            "status": record.status,
            "start_time": record.start_time,
            "duration_ms": _ms(record.duration),
            "running": not record.finished,
            "now_ms": _ms(record.last_mono - base),
            "errors": [
                {"kind": e.kind, "task": e.task, "route": e.route, "message": e.message}
                for e in record.errors
            ],
            "actors": [_actor_json(actor, base) for actor in self._actor_rows(record, base)],
            "names": self.names.values,
            "tasks": [
                _task_json(run, base) for run in record.task_runs if self._keep_actor(run.actor)
            ],
        }

    def _actor_rows(self, record: ExecutionRecord, base: float) -> Iterator[ActorRecord]:
        known = {actor.path: actor for actor in record.actors}
        for path in sorted(self.actors, key=self.actors.__getitem__):
            actor = known.get(path)
            if actor is None:  # seen only as the worker of an item span
                ref = parse_actor(path)
                actor = ActorRecord(
                    execution=record.execution,
                    path=path,
                    kind=ref.kind,
                    task=ref.task,
                    route=ref.route,
                    worker=ref.worker,
                    first_mono=base,
                    last_mono=base,
                )
            yield actor


def export_html(
    path: str,
    out: TextIO,
    *,
    execution: str | None = None,
    filt: TraceFilter | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    on_error: ErrorHandler | None = None,
) -> HtmlExport:
    """Write the page of the execution ``execution`` (an id prefix) names to ``out``.

    ``filt.status`` requires the execution to have ended so (else
    :class:`ExecutionNotFound`); ``filt.task`` keeps the supervisor and that task's actors.
    """
    filt = filt or TraceFilter()
    index = scan_executions(path)
    root = resolve_execution(index, execution, path=path)
    info = index[root]
    if filt.status is not None and info.status != filt.status:
        raise ExecutionNotFound(execution or root, path=path)
    task = filt.task

    def keep_actor(actor: str) -> bool:
        return task is None or "/" not in actor or parse_actor(actor).task == task

    page = _Page(
        iter_events(path, max_errors=max_errors, on_error=on_error, executions={root}),
        root=root,
        workflow=info.workflow,
        base=info.start_mono,
        keep_actor=keep_actor,
        not_found=ExecutionNotFound(execution or root, path=path),
    )
    for chunk in _template().generate(page=page):
        out.write(chunk)
    return HtmlExport(execution=root, actors=len(page.actors), slices=page.count)

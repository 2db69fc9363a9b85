"""A self-contained HTML page with a zoomable timeline of one execution's actors.

:func:`export_html` writes one file (inline CSS and JS, no network, no external fonts): one
row per actor (``data-actor`` attribute; with-items workers grouped under their task's row,
collapsible), bars for handled messages and for task-run and item spans, a time axis, zoom by
mouse wheel / buttons / drag, and a details panel that shows the task's status, attempts,
durations, route and action when a bar or a row is clicked. The data is embedded as JSON in
``<script type="application/json">`` tags (every ``<`` escaped, so ``</script>`` cannot
occur in it); the slices are streamed into the page while the trace is read. After
rendering, the page sets ``document.title`` to ``ok:<rows>``, or ``error:<message>`` if its
script failed (headless tests read it).

Misuse: do not open pages of huge executions expecting every message to be visible at once
(bars narrower than a pixel merge; zoom in); do not edit the embedded JSON by hand (indices
into ``names`` and ``actors`` must stay consistent).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from runtime.trace.model import (
    ActorRecord,
    ExecutionRecord,
    Flow,
    Span,
    TraceAggregator,
    iter_spans,
)
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

__all__ = ["HtmlExport", "embed_json", "export_html"]

_KINDS = {"message": 0, "task": 1, "item": 2}


@dataclass(frozen=True, slots=True, kw_only=True)
class HtmlExport:
    """What a page shows."""

    execution: str
    actors: int
    """Rows (one per actor)."""
    slices: int


def embed_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` tag: every ``<`` is escaped."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 4)


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
        "wait_ms": None if actor.mean_mailbox_wait is None else _ms(actor.mean_mailbox_wait),
        "first_ms": _ms(actor.first_mono - base),
    }


def _meta(
    record: ExecutionRecord,
    base: float,
    actors: list[str],
    names: _Interner,
    keep_actor: Any,
) -> dict[str, Any]:
    known = {actor.path: actor for actor in record.actors}
    actor_rows = []
    for path in actors:
        actor = known.get(path)
        if actor is None:
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
        actor_rows.append(_actor_json(actor, base))
    tasks = []
    for run in record.task_runs:
        if not keep_actor(run.actor):
            continue
        dist = run.item_durations
        items = None
        if run.with_items:
            items = {
                "total": run.items if run.items is not None else run.items_finished,
                "done": run.items_succeeded,
                "failed": run.items_failed,
                "canceled": run.items_canceled,
                "p50_ms": None if dist is None or dist.p50 is None else _ms(dist.p50),
                "p95_ms": None if dist is None or dist.p95 is None else _ms(dist.p95),
                "max_ms": None if dist is None or dist.max is None else _ms(dist.max),
            }
        tasks.append(
            {
                "run": run.run,
                "task": run.task,
                "route": run.route,
                "actor": run.actor,
                "status": run.status,
                "attempts": run.attempts,
                "retries": run.retries,
                "action": run.action,
                "start_ms": None if run.start_mono is None else _ms(run.start_mono - base),
                "duration_ms": None if run.duration is None else _ms(run.duration),
                "error": run.error,
                "items": items,
            }
        )
    return {
        "execution": record.execution,
        "workflow": record.workflow,
        "dialect": record.dialect,
        "status": record.status,
        "start_time": record.start_time,
        "duration_ms": _ms(record.duration),
        "errors": [
            {"kind": e.kind, "task": e.task, "route": e.route, "message": e.message}
            for e in record.errors
        ],
        "actors": actor_rows,
        "names": names.values,
        "tasks": tasks,
    }


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
    base = info.start_mono
    task = filt.task

    def keep_actor(actor: str) -> bool:
        return task is None or "/" not in actor or parse_actor(actor).task == task

    aggregator = TraceAggregator(accept={root}.__contains__)
    events = _tee(
        iter_events(path, max_errors=max_errors, on_error=on_error, executions={root}),
        aggregator,
    )
    actors: dict[str, int] = {}
    names = _Interner()
    out.write(_HEAD.replace("@TITLE@", _text(f"trace {info.workflow or ''} {root[:8]}")))
    out.write('<script type="application/json" id="troupe-slices">[')
    count = 0
    for span in iter_spans(events):
        if isinstance(span, Flow) or not keep_actor(span.actor):
            continue
        if base is None:
            base = span.start
        actor = actors.setdefault(span.actor, len(actors))
        row = _slice(span, actor, base, names)
        out.write(("" if count == 0 else ",") + embed_json(row))
        count += 1
    out.write("]</script>\n")
    records = aggregator.records()
    if not records:
        raise ExecutionNotFound(execution or root, path=path)
    record = records[0]
    if base is None:
        base = record.start_mono
    for actor_record in sorted(record.actors, key=lambda a: a.first_mono):
        if keep_actor(actor_record.path):
            actors.setdefault(actor_record.path, len(actors))
    ordered = sorted(actors, key=actors.__getitem__)
    meta = _meta(record, base, ordered, names, keep_actor)
    out.write('<script type="application/json" id="troupe-meta">')
    out.write(embed_json(meta))
    out.write("</script>\n")
    out.write(_TAIL)
    return HtmlExport(execution=root, actors=len(ordered), slices=count)


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


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<script>
window.onerror = function (message) {
  document.title = 'error:' + message;
};
</script>
<style>
:root { --label: 260px; --row: 22px; --bg: #ffffff; --fg: #1d2330; --muted: #6b7280;
        --line: #e5e7eb; --head: #23304a; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--fg);
             font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { background: var(--head); color: #fff; padding: 8px 12px; display: flex;
         align-items: center; gap: 16px; flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0; font-weight: 600; }
header .facts { color: #cbd5e1; font-family: ui-monospace, monospace; font-size: 12px; }
header .status-failed, header .status-timed_out { color: #fca5a5; }
header .status-succeeded { color: #86efac; }
.controls { margin-left: auto; display: flex; gap: 6px; align-items: center; }
.controls button { background: #3b4a6b; color: #fff; border: 1px solid #55658a;
                   border-radius: 4px; padding: 2px 10px; cursor: pointer; font-size: 13px; }
.controls button:hover { background: #4b5d85; }
.controls .range { color: #cbd5e1; font-family: ui-monospace, monospace; font-size: 12px; }
main { display: flex; height: calc(100% - 44px); }
#timeline { flex: 1; overflow: auto; position: relative; user-select: none; }
#axis { position: sticky; top: 0; z-index: 2; display: flex; background: #f8fafc;
        border-bottom: 1px solid var(--line); height: 24px; }
#axis .corner { width: var(--label); flex: none; padding: 4px 8px; color: var(--muted);
                font-size: 11px; }
#axis canvas { flex: 1; height: 24px; min-width: 0; }
.row { display: flex; height: var(--row); border-bottom: 1px solid #f1f5f9; }
.row.hidden { display: none; }
.row:hover { background: #f8fafc; }
.row.selected { background: #eef2ff; }
.label { width: var(--label); flex: none; padding: 2px 8px; white-space: nowrap; overflow: hidden;
         text-overflow: ellipsis; font-family: ui-monospace, monospace; font-size: 12px;
         cursor: pointer; }
.label .toggle { display: inline-block; width: 14px; color: var(--muted); }
.label .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%;
              margin-right: 6px; background: #9ca3af; }
.label .dot.failed { background: #dc2626; }
.label .dot.stopped { background: #16a34a; }
.row canvas.lane { flex: 1; height: var(--row); min-width: 0; cursor: crosshair; }
.row.kind-item .label { color: #475569; }
aside { width: 320px; flex: none; border-left: 1px solid var(--line); padding: 10px 12px;
        overflow: auto; background: #fcfcfd; }
aside h2 { font-size: 14px; margin: 0 0 8px; }
aside table { border-collapse: collapse; width: 100%; }
aside td { padding: 2px 4px; vertical-align: top; border-bottom: 1px solid #f1f5f9; }
aside td:first-child { color: var(--muted); width: 40%; }
aside .hint { color: var(--muted); }
.legend { margin-top: 12px; color: var(--muted); font-size: 12px; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 8px;
               vertical-align: middle; }
</style>
</head>
<body>
<header>
  <h1 id="wf-name">trace</h1>
  <span class="facts" id="wf-facts"></span>
  <div class="controls">
    <button id="zoom-in" title="Zoom in">+</button>
    <button id="zoom-out" title="Zoom out">&minus;</button>
    <button id="zoom-reset" title="Show everything">Reset</button>
    <span class="range" id="range"></span>
  </div>
</header>
<main>
  <div id="timeline">
    <div id="axis"><div class="corner">actor</div><canvas id="axis-canvas"></canvas></div>
    <div id="rows"></div>
  </div>
  <aside id="details">
    <h2>Details</h2>
    <div id="details-body"><p class="hint">Click a bar or a row to see its task.
      Wheel to zoom, drag to pan.</p></div>
    <div class="legend">
      <span style="background:#16a34a"></span>succeeded
      <span style="background:#dc2626"></span>failed
      <span style="background:#9ca3af"></span>running
      <span style="background:linear-gradient(90deg,#60a5fa,#a855f7)"></span>messages
      (colour per type; thin band below: task runs and items)
    </div>
  </aside>
</main>
"""

_TAIL = r"""<script>
(function () {
  'use strict';
  var slices = JSON.parse(document.getElementById('troupe-slices').textContent);
  var meta = JSON.parse(document.getElementById('troupe-meta').textContent);
  var names = meta.names;
  var actors = meta.actors;
  var STATUS = { succeeded: '#16a34a', failed: '#dc2626', timed_out: '#ea580c',
                 canceled: '#9ca3af', running: '#9ca3af' };
  var dpr = window.devicePixelRatio || 1;

  function fmt(ms) {
    if (ms === null || ms === undefined) { return '-'; }
    if (ms < 1) { return (ms * 1000).toFixed(0) + 'us'; }
    if (ms < 1000) { return ms.toFixed(1) + 'ms'; }
    if (ms < 60000) { return (ms / 1000).toFixed(3) + 's'; }
    return Math.floor(ms / 60000) + 'm' + ((ms % 60000) / 1000).toFixed(1) + 's';
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function hue(text) {
    var h = 0;
    for (var i = 0; i < text.length; i++) { h = (h * 31 + text.charCodeAt(i)) % 360; }
    return 'hsl(' + (200 + h % 80) + ',70%,58%)';
  }

  // ---- data per actor
  var lanes = actors.map(function () { return []; });
  var lo = 0, hi = meta.duration_ms || 0;
  for (var i = 0; i < slices.length; i++) {
    var s = slices[i];
    lanes[s[0]].push(s);
    if (s[1] < lo) { lo = s[1]; }
    if (s[1] + s[2] > hi) { hi = s[1] + s[2]; }
  }
  if (hi <= lo) { hi = lo + 1; }
  lanes.forEach(function (lane) {
    lane.sort(function (a, b) { return a[3] === b[3] ? a[1] - b[1] : a[3] - b[3]; });
  });
  var tasksByRun = {};
  meta.tasks.forEach(function (t) { tasksByRun[t.run] = t; });
  function taskOfActor(actor) {
    var found = null;
    meta.tasks.forEach(function (t) {
      if (t.task === actor.task && t.route === actor.route) { found = t; }
    });
    return found;
  }

  // ---- header
  document.getElementById('wf-name').textContent = meta.workflow || meta.execution;
  var facts = document.getElementById('wf-facts');
  facts.appendChild(document.createTextNode(meta.execution + '  '));
  facts.appendChild(el('span', 'status-' + meta.status, meta.status));
  facts.appendChild(document.createTextNode('  ' + fmt(meta.duration_ms) +
    (meta.start_time ? '  ' + meta.start_time : '')));

  // ---- rows: supervisor, then task actors by first appearance, workers under their task
  var order = actors.map(function (a, idx) { return idx; });
  var groupOf = {};
  actors.forEach(function (a, idx) {
    if (a.worker !== null && a.task !== null) {
      var parentPath = a.path.slice(0, a.path.lastIndexOf('/'));
      groupOf[idx] = parentPath;
    }
  });
  var byPath = {};
  actors.forEach(function (a, idx) { byPath[a.path] = idx; });
  function rank(a) { return a.path.indexOf('/') < 0 ? 0 : 1; }
  var tops = order.filter(function (idx) {
    return !(idx in groupOf) || !(groupOf[idx] in byPath);
  });
  tops.sort(function (x, y) {
    var ax = actors[x], ay = actors[y];
    return rank(ax) - rank(ay) || ax.first_ms - ay.first_ms || (ax.path < ay.path ? -1 : 1);
  });
  var members = {};
  order.forEach(function (idx) {
    if ((idx in groupOf) && (groupOf[idx] in byPath)) {
      var owner = byPath[groupOf[idx]];
      (members[owner] = members[owner] || []).push(idx);
    }
  });
  var rowsEl = document.getElementById('rows');
  var rows = [];
  var selectedRow = null;
  function addRow(idx, depth) {
    var a = actors[idx];
    var row = el('div', 'row kind-' + a.kind);
    row.setAttribute('data-actor', a.path);
    var label = el('div', 'label');
    label.style.paddingLeft = (8 + depth * 16) + 'px';
    var toggle = el('span', 'toggle', members[idx] ? '\u25be' : '');
    label.appendChild(toggle);
    label.appendChild(el('span', 'dot ' + a.status));
    label.appendChild(document.createTextNode(a.path));
    label.title = a.path + ' (' + a.kind + ', ' + a.status + ')';
    var canvas = el('canvas', 'lane');
    row.appendChild(label);
    row.appendChild(canvas);
    rowsEl.appendChild(row);
    var entry = { idx: idx, el: row, canvas: canvas, lane: lanes[idx], hidden: false };
    rows.push(entry);
    label.addEventListener('click', function (ev) {
      if (members[idx] && ev.target === toggle) {
        var collapsed = toggle.textContent === '\u25be';
        toggle.textContent = collapsed ? '\u25b8' : '\u25be';
        rows.forEach(function (r) {
          if (members[idx].indexOf(r.idx) >= 0) {
            r.hidden = collapsed;
            r.el.classList.toggle('hidden', collapsed);
          }
        });
        schedule();
        return;
      }
      select(entry);
      showActor(a, null);
    });
    if (members[idx]) {
      members[idx].sort(function (x, y) { return actors[x].worker - actors[y].worker; });
      members[idx].forEach(function (m) { addRow(m, depth + 1); });
    }
  }
  tops.forEach(function (idx) { addRow(idx, 0); });

  // ---- view and drawing
  var view = { t0: lo, t1: hi };
  var pending = false;
  function schedule() {
    if (!pending) { pending = true; window.requestAnimationFrame(draw); }
  }
  function laneWidth() {
    var first = rows.length ? rows[0].canvas : document.getElementById('axis-canvas');
    return Math.max(1, first.clientWidth || 1);
  }
  function xOf(t, width) { return (t - view.t0) / (view.t1 - view.t0) * width; }
  function tOf(x, width) { return view.t0 + x / width * (view.t1 - view.t0); }
  function sizeCanvas(canvas, height) {
    var w = Math.max(1, canvas.clientWidth);
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(height * dpr);
    }
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { ctx: ctx, w: w };
  }
  function niceStep(span, target) {
    var raw = span / target;
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }
  function drawAxis() {
    var c = sizeCanvas(document.getElementById('axis-canvas'), 24);
    var ctx = c.ctx;
    ctx.clearRect(0, 0, c.w, 24);
    ctx.fillStyle = '#6b7280';
    ctx.strokeStyle = '#cbd5e1';
    ctx.font = '11px ui-monospace, monospace';
    var step = niceStep(view.t1 - view.t0, Math.max(2, c.w / 110));
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var x = Math.round(xOf(t, c.w)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, 16); ctx.lineTo(x, 24); ctx.stroke();
      var text = fmt(t);
      if (x + 3 + ctx.measureText(text).width < c.w) { ctx.fillText(text, x + 3, 13); }
    }
  }
  function drawRow(r) {
    var h = 22;
    var c = sizeCanvas(r.canvas, h);
    var ctx = c.ctx, w = c.w;
    ctx.clearRect(0, 0, w, h);
    var lastEnd = -1;
    for (var i = 0; i < r.lane.length; i++) {
      var s = r.lane[i];
      var a = s[1], b = s[1] + s[2];
      if (b < view.t0 || a > view.t1) { continue; }
      var x0 = Math.max(-1, xOf(a, w)), x1 = Math.min(w + 1, xOf(b, w));
      var width = Math.max(1, x1 - x0);
      if (s[3] === 0) {
        if (x0 + width <= lastEnd && width <= 1) { continue; }
        lastEnd = x0 + width;
        ctx.fillStyle = hue(names[s[4]] || '');
        ctx.fillRect(x0, 3, width, 9);
      } else {
        var status = s[5] >= 0 ? names[s[5]] : 'running';
        ctx.fillStyle = STATUS[status] || '#9ca3af';
        ctx.globalAlpha = s[3] === 1 ? 0.55 : 0.8;
        ctx.fillRect(x0, 14, width, 6);
        ctx.globalAlpha = 1;
      }
    }
  }
  function draw() {
    pending = false;
    drawAxis();
    rows.forEach(function (r) { if (!r.hidden) { drawRow(r); } });
    document.getElementById('range').textContent = fmt(view.t0) + ' \u2013 ' + fmt(view.t1);
  }
  function zoom(factor, anchor) {
    var span = (view.t1 - view.t0) * factor;
    var full = hi - lo;
    span = Math.min(Math.max(span, 1e-3), full * 1.05);
    var at = anchor === undefined ? (view.t0 + view.t1) / 2 : anchor;
    var ratio = (at - view.t0) / (view.t1 - view.t0);
    view.t0 = at - span * ratio;
    view.t1 = view.t0 + span;
    schedule();
  }
  document.getElementById('zoom-in').addEventListener('click', function () { zoom(0.5); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoom(2); });
  document.getElementById('zoom-reset').addEventListener('click', function () {
    view.t0 = lo; view.t1 = hi; schedule();
  });
  var timeline = document.getElementById('timeline');
  timeline.addEventListener('wheel', function (ev) {
    if (ev.target.tagName !== 'CANVAS') { return; }
    ev.preventDefault();
    var rect = ev.target.getBoundingClientRect();
    zoom(Math.exp(ev.deltaY * 0.0015), tOf(ev.clientX - rect.left, rect.width));
  }, { passive: false });
  var drag = null;
  timeline.addEventListener('mousedown', function (ev) {
    if (ev.target.tagName !== 'CANVAS') { return; }
    drag = { x: ev.clientX, t0: view.t0, t1: view.t1, moved: false };
  });
  window.addEventListener('mousemove', function (ev) {
    if (!drag) { return; }
    var dx = ev.clientX - drag.x;
    if (Math.abs(dx) > 3) { drag.moved = true; }
    if (!drag.moved) { return; }
    var dt = dx / laneWidth() * (drag.t1 - drag.t0);
    view.t0 = drag.t0 - dt; view.t1 = drag.t1 - dt;
    schedule();
  });
  window.addEventListener('mouseup', function () {
    window.setTimeout(function () { drag = null; }, 0);
  });
  function hitAt(r, t, y, slack) {
    var wantMessage = y < 13;
    var hit = null;
    for (var i = 0; i < r.lane.length; i++) {
      var s = r.lane[i];
      if (wantMessage !== (s[3] === 0)) { continue; }
      if (s[1] - slack <= t && t <= s[1] + s[2] + slack) { hit = s; }
    }
    return hit;
  }
  rows.forEach(function (r) {
    r.canvas.addEventListener('click', function (ev) {
      if (drag && drag.moved) { return; }
      var rect = r.canvas.getBoundingClientRect();
      var x = ev.clientX - rect.left, y = ev.clientY - rect.top;
      var t = tOf(x, rect.width), slack = 3 / rect.width * (view.t1 - view.t0);
      select(r);
      showActor(actors[r.idx], hitAt(r, t, y, slack));
    });
  });
  window.addEventListener('resize', schedule);

  // ---- details
  function select(r) {
    if (selectedRow) { selectedRow.el.classList.remove('selected'); }
    selectedRow = r;
    r.el.classList.add('selected');
  }
  function showActor(actor, hit) {
    var body = document.getElementById('details-body');
    body.textContent = '';
    var table = el('table');
    function add(key, value) {
      if (value === null || value === undefined || value === '') { return; }
      var tr = el('tr');
      tr.appendChild(el('td', '', key));
      tr.appendChild(el('td', '', String(value)));
      table.appendChild(tr);
    }
    var task = null;
    if (hit && hit[3] !== 0 && hit[6] >= 0) { task = tasksByRun[hit[6]] || null; }
    if (!task) { task = taskOfActor(actor); }
    if (task) {
      add('Task', task.task);
      add('Route', task.route);
      add('Run', task.run);
      add('Status', task.status);
      add('Attempts', task.attempts);
      add('Retries', task.retries);
      add('Duration', fmt(task.duration_ms));
      add('Started at', fmt(task.start_ms));
      add('Action', task.action);
      if (task.items) {
        add('Items', task.items.done + ' done, ' + task.items.failed + ' failed of ' +
            task.items.total);
        add('Item p50 / p95 / max', fmt(task.items.p50_ms) + ' / ' + fmt(task.items.p95_ms) +
            ' / ' + fmt(task.items.max_ms));
      }
      add('Error', task.error);
    } else {
      add('Actor', actor.path);
      add('Workflow', meta.workflow);
      add('Status', meta.status);
      add('Duration', fmt(meta.duration_ms));
    }
    if (hit && hit[3] === 2) {
      add('Item', hit[7]);
      add('Item status', hit[5] >= 0 ? names[hit[5]] : '');
      add('Item duration', fmt(hit[2]));
      add('Worker', actor.worker !== null ? 'w' + actor.worker : '');
    } else if (hit && hit[3] === 0) {
      add('Message', names[hit[4]]);
      add('Message id', hit[7] >= 0 ? hit[7] : '');
      add('Handled in', fmt(hit[2]));
      add('Handled at', fmt(hit[1]));
    }
    add('Actor', task ? actor.path : '');
    add('Messages handled', actor.messages);
    add('Mean mailbox wait', actor.wait_ms === null ? '' : fmt(actor.wait_ms));
    if (actor.error) { add('Actor error', actor.error); }
    var title = el('h2', '', task ? task.task + '@' + task.route : actor.path);
    body.appendChild(title);
    body.appendChild(table);
  }

  // A link can select a row: #actor=<path>[&t=<ms>[&lane=message]] (as if clicked there).
  function fromHash() {
    var params = {};
    window.location.hash.replace(/^#/, '').split('&').forEach(function (part) {
      var at = part.indexOf('=');
      if (at > 0) { params[part.slice(0, at)] = decodeURIComponent(part.slice(at + 1)); }
    });
    if (!params.actor) { return; }
    rows.forEach(function (r) {
      if (actors[r.idx].path !== params.actor) { return; }
      var hit = null;
      if (params.t !== undefined) {
        hit = hitAt(r, parseFloat(params.t), params.lane === 'message' ? 0 : 20, 0);
      }
      select(r);
      showActor(actors[r.idx], hit);
      r.el.scrollIntoView({ block: 'nearest' });
    });
  }
  window.addEventListener('hashchange', fromHash);

  draw();
  fromHash();
  document.title = 'ok:' + rows.length;
})();
</script>
</body>
</html>
"""

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
    (meta.running ? ' so far (up to the last line)' : '') +
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
  // A running bar has no end yet: an arrow head past its right edge says so.
  function openEnd(ctx, x, y, h) {
    ctx.fillStyle = '#475569';
    ctx.beginPath();
    ctx.moveTo(x, y - 1);
    ctx.lineTo(x + 5, y + h / 2);
    ctx.lineTo(x, y + h + 1);
    ctx.closePath();
    ctx.fill();
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
        if (status === 'running') { openEnd(ctx, x0 + width, 14, 6); }
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

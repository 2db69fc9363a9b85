// renderTimeline(container, timeline): the timeline of one execution's trace, from
// GET /api/v1/executions/{id}/timeline (docs/api.md; the data `troupe trace timeline --json`
// gives, built by runtime/trace/timeline.py): a bar per task run and sub-workflow, nested
// sub-workflows indented, each bar coloured by status and placed on a shared time axis. A
// with-items task is one row (its items aggregated: counts and p50/p95/max) that expands into
// one lane per worker, each showing the spans of items it ran. Calling it again redraws from
// fresh data and keeps the rows the reader expanded.
import { colourOf, el, ensureStyles, seconds, workflowName } from "./views.js";

const TICKS = 5;
const expandedBy = new WeakMap();

function percent(value, total) {
  return `${Math.max(0, Math.min(100, (value / total) * 100)).toFixed(3)}%`;
}

function bar(start, duration, status, total, title) {
  const node = el("div", "tl-bar");
  node.style.left = percent(start, total);
  node.style.width = `max(2px, ${percent(duration, total)})`;
  node.style.background = colourOf(status);
  node.title = title;
  return node;
}

function axis(total) {
  const row = el("div", "tl-row tl-axis");
  row.setAttribute("aria-hidden", "true");
  row.appendChild(el("div", "tl-label", ""));
  const track = el("div", "tl-track");
  for (let i = 0; i <= TICKS; i++) {
    const tick = el("span", "tl-tick", seconds((total * i) / TICKS));
    tick.style.left = percent((total * i) / TICKS, total);
    track.appendChild(tick);
  }
  row.append(track, el("div", "tl-right", ""));
  return row;
}

function itemsText(items) {
  const parts = [`${items.succeeded} succeeded`];
  if (items.failed) parts.push(`${items.failed} failed`);
  if (items.canceled) parts.push(`${items.canceled} canceled`);
  return `${items.total} items: ${parts.join(", ")}; p50 ${seconds(items.p50)}, ` +
    `p95 ${seconds(items.p95)}, max ${seconds(items.max)}`;
}

function lanes(row, total) {
  const box = el("div", "tl-lanes");
  box.setAttribute("role", "group");
  for (const lane of row.items.lanes) {
    const line = el("div", "tl-row tl-lane");
    line.dataset.worker = lane.worker === null ? "" : String(lane.worker);
    const label = el("div", "tl-label", lane.worker === null ? "items" : `w${lane.worker}`);
    label.style.paddingLeft = `${8 + (row.depth + 1) * 14}px`;
    const track = el("div", "tl-track");
    for (const [start, duration, status] of lane.spans) {
      track.appendChild(bar(start, duration, status, total,
        `${row.label} w${lane.worker}: ${status} from +${seconds(start)} for ${seconds(duration)}`));
    }
    line.append(label, track, el("div", "tl-right", `${lane.spans.length} spans`));
    box.appendChild(line);
  }
  return box;
}

function taskRow(row, total, expanded) {
  const line = el("div", `tl-row tl-${row.kind}`);
  line.setAttribute("role", "listitem");
  line.dataset.kind = row.kind;
  if (row.task) line.dataset.task = row.task;
  const label = el("div", "tl-label");
  label.style.paddingLeft = `${8 + row.depth * 14}px`;
  const track = el("div", "tl-track");
  const title = `${row.label}: ${row.status}, from +${seconds(row.start)} for ${seconds(row.duration)}`;
  track.appendChild(bar(row.start, row.duration, row.status, total, title));
  const right = el("div", "tl-right", `+${seconds(row.start)}  ${seconds(row.duration)}  ${row.status}`);
  line.append(label, track, right);
  const parts = [line];
  if (row.items) {
    const key = `${row.execution}:${row.run}`;
    const open = expanded.has(key);
    const toggle = el("button", "toggle", open ? "\u25be" : "\u25b8");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.setAttribute("aria-label", `Show the workers of ${row.label}`);
    label.appendChild(toggle);
    const box = lanes(row, total);
    box.hidden = !open;
    toggle.addEventListener("click", () => {
      const now = box.hidden;
      box.hidden = !now;
      toggle.textContent = now ? "\u25be" : "\u25b8";
      toggle.setAttribute("aria-expanded", String(now));
      if (now) expanded.add(key); else expanded.delete(key);
    });
    line.classList.add("tl-items");
    line.title = itemsText(row.items);
    right.textContent += `  ${row.items.total} items`;
    parts.push(box);
  }
  const name = row.kind === "execution" ? `\u21b3 ${workflowName(row.label.replace(/^\u21b3 /, ""))}`
    : row.label;
  label.appendChild(el("span", "tl-name", name));
  label.title = row.label;
  return parts;
}

/** Draw `timeline` ({execution, workflow, status, total, rows}) into `container`. */
export function renderTimeline(container, timeline) {
  ensureStyles();
  let expanded = expandedBy.get(container);
  if (!expanded) {
    expanded = new Set();
    expandedBy.set(container, expanded);
  }
  const total = timeline.total > 0 ? timeline.total : 1e-9;
  const frame = el("div", "troupe-timeline");
  frame.appendChild(el("p", "tl-head",
    `${workflowName(timeline.workflow) || timeline.execution}  ${timeline.status}  total ${seconds(timeline.total)}`));
  frame.appendChild(axis(total));
  const rows = el("div", "tl-rows");
  rows.setAttribute("role", "list");
  rows.setAttribute("aria-label", "Timeline");
  for (const row of timeline.rows || []) rows.append(...taskRow(row, total, expanded));
  frame.appendChild(rows);
  container.replaceChildren(frame);
  return frame;
}

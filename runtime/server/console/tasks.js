// The task table of one execution: rendered once, then updated row by row (text set only
// when it changed). A with-items task is one row with a bar (done, failed, running, waiting
// for a worker), never one row per item, so 10,000 items cost the same as one.

import { duration, el, setStatus, setText } from "./dom.js";

const PARTS = ["succeeded", "failed", "running", "waiting"];

function makeBar(name) {
  const parts = PARTS.map((part) => el("span", { class: `part p-${part}` }));
  const bar = el("div", { class: "bar", role: "progressbar", "aria-valuemin": "0",
    "aria-label": `items of ${name}` }, ...parts);
  const label = el("span", { class: "bar-label" });
  return { node: el("div", { class: "progress" }, bar, label), bar, parts, label };
}

function drawBar(view, items) {
  const total = items.total || 0;
  for (const [index, part] of PARTS.entries()) {
    const width = total ? `${(100 * items[part]) / total}%` : "0%";
    if (view.parts[index].style.width !== width) view.parts[index].style.width = width;
  }
  view.bar.setAttribute("aria-valuemax", String(total));
  view.bar.setAttribute("aria-valuenow", String(items.done));
  const extra = PARTS.slice(1).filter((part) => items[part]).map((part) => `${items[part]} ${part}`);
  setText(view.label, `${items.done}/${total} done${extra.length ? ` · ${extra.join(" · ")}` : ""}`);
}

export class TaskTable {
  constructor() {
    this.rows = new Map();
    this.latest = new Map();  // "task#route" -> the row of its latest run
    this.body = el("tbody", { id: "tasks" });
    this.node = el("div", { class: "scroll" }, el("table", { class: "grid" },
      el("caption", { class: "sr-only" }, "Task runs"),
      el("thead", {}, el("tr", {}, ...["Task", "Route", "Status", "Attempts", "Duration",
        "Progress"].map((name, at) => el("th", { scope: "col", class: [1, 3, 4].includes(at) ? "opt" : null },
        name)))), this.body));
  }

  /** Bring the table to `tasks` (the execution JSON's), adding only the new rows. */
  update(tasks) {
    const seen = new Map();
    for (const task of tasks) {
      const base = `${task.name}#${task.route}`;
      const n = (seen.get(base) || 0) + 1;
      seen.set(base, n);
      const key = `${base}#${n}`;
      let row = this.rows.get(key);
      if (!row) {
        row = this.makeRow(task);
        this.rows.set(key, row);
        this.body.append(row.node);
      }
      this.latest.set(base, row);
      row.task = { ...task, items: task.items && { ...task.items } };
      this.fill(row);
    }
  }

  makeRow(task) {
    const cells = [el("td", { class: "mono" }, task.name), el("td", { class: "num opt" }),
      el("td", {}, el("span", {})), el("td", { class: "num opt" }), el("td", { class: "num opt" }),
      el("td", {})];
    const node = el("tr", { "data-task": task.name, "data-route": String(task.route) }, ...cells);
    return { node, cells, bar: null, task };
  }

  fill(row) {
    const { task, cells } = row;
    setText(cells[1], String(task.route));
    setStatus(cells[2].firstChild, task.status);
    setText(cells[3], String(task.attempts));
    setText(cells[4], duration(task.started_at, task.finished_at));
    if (task.items) {
      if (!row.bar) { row.bar = makeBar(task.name); cells[5].replaceChildren(row.bar.node); }
      drawBar(row.bar, task.items);
    }
  }

  /** Apply one progress event; false when the table cannot (a run it has not seen). */
  apply(event) {
    const row = this.latest.get(`${event.task}#${event.route}`);
    if (!row) return false;
    const { task } = row;
    if (event.kind === "item_finished" && task.items) {
      const items = task.items;
      if (event.done > items.done) {
        items.done = event.done;
        if (event.status === "succeeded") items.succeeded += 1; else items.failed += 1;
        // the slot it freed goes to the next waiting item (the refresh corrects the rest)
        items.running = Math.max(0, Math.min(items.running, items.total - items.done));
        items.waiting = Math.max(0, items.total - items.done - items.running);
      }
    } else if (event.kind === "task_finished") {
      task.status = event.status;
      if (event.attempt) task.attempts = event.attempt;
      task.finished_at = event.time;
    } else if (event.kind === "task_retrying") {
      task.status = "retrying";
    } else {
      return false;
    }
    this.fill(row);
    return true;
  }

  tick() {
    for (const row of this.rows.values()) if (isRunning(row.task)) this.fill(row);
  }
}

function isRunning(task) {
  return !task.finished_at && ["running", "retrying", "delayed", "ready"].includes(task.status);
}

// One execution: its status, parameters (masked by the API), output, errors, the task table,
// the controls, the inquiries and the views' sections; live from its event stream.
// Item events update the table's bars directly; every event also asks for a coalesced
// refresh of the execution's JSON (at most one a second), which corrects what events do not
// say (items started, new task runs).

import { api, stream } from "./api.js";
import { Controls } from "./controls.js";
import { FINAL, duration, el, json, notify, setStatus, setText, when } from "./dom.js";
import { Inquiries } from "./inquiries.js";
import { Panels } from "./panels.js";
import { TaskTable } from "./tasks.js";

const REFRESH_MS = 1000;
const VIEWS_MS = 2000;

function field(label, value) {
  return [el("dt", {}, label), el("dd", {}, value)];
}

export function showExecution(view, id, features) {
  const abort = new AbortController();
  const status = el("span", { id: "exec-status" });
  const facts = {};
  for (const name of ["workflow", "created", "started", "finished", "duration", "parent"]) {
    facts[name] = el("span", { id: `exec-${name}` });
  }
  const table = new TaskTable();
  const controls = new Controls(id, features, () => refresh(true));
  const inquiries = features.routes.inquiries && features.routes.respond
    ? new Inquiries(id, () => refresh(true)) : null;
  const panels = new Panels(id, features);
  const parameters = el("pre", { id: "exec-parameters", tabindex: "0" });
  const output = el("pre", { id: "exec-output", tabindex: "0" });
  const errors = el("tbody", { id: "exec-errors" });
  const refreshButton = el("button", { type: "button", id: "btn-refresh", class: "secondary",
    onclick: () => refresh(true) }, "Refresh");
  view.append(...[
    el("h1", { tabindex: "-1" }, "Execution ", el("span", { class: "mono" }, id)),
    el("dl", { class: "facts" }, ...field("Status", status), ...field("Workflow", facts.workflow),
      ...field("Created", facts.created), ...field("Started", facts.started),
      ...field("Finished", facts.finished), ...field("Duration", facts.duration),
      ...field("Parent", facts.parent)),
    el("div", { class: "toolbar" }, controls.node, refreshButton),
    inquiries ? inquiries.node : null,
    el("section", { id: "tasks-section", "aria-labelledby": "tasks-title" },
      el("h2", { id: "tasks-title" }, "Tasks"), table.node),
    el("section", { id: "errors-section", "aria-labelledby": "errors-title" },
      el("h2", { id: "errors-title" }, "Errors"),
      el("div", { class: "scroll" }, el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, ...["Task", "Route", "Item", "Kind", "Message"]
          .map((name) => el("th", { scope: "col" }, name)))), errors))),
    el("div", { class: "pair" },
      el("section", { "aria-labelledby": "parameters-title" },
        el("h2", { id: "parameters-title" }, "Parameters"), parameters),
      el("section", { "aria-labelledby": "output-title" },
        el("h2", { id: "output-title" }, "Output"), output)),
    ...panels.nodes].filter(Boolean));

  let execution = null;
  let following = false;
  let timer = null;
  let viewsTimer = null;
  let first = true;
  let asks = 0;  // refreshes asked, and the latest one drawn (answers may come out of order)
  let shown = 0;

  function render(data) {
    execution = data;
    document.title = `${data.workflow} ${data.id} — Troupe`;
    setStatus(status, data.status);
    setText(facts.workflow, data.workflow);
    setText(facts.created, when(data.created_at));
    setText(facts.started, when(data.started_at));
    setText(facts.finished, when(data.finished_at));
    setText(facts.duration, duration(data.started_at || data.created_at, data.finished_at));
    if (data.parent) {
      facts.parent.replaceChildren(el("a", { href: `#/executions/${encodeURIComponent(data.parent)}` },
        `${data.parent} (task ${data.parent_task})`));
    } else setText(facts.parent, "—");
    setText(parameters, json(data.parameters));
    setText(output, data.output === null ? "(not finished)" : json(data.output));
    const rows = data.errors.map((e) => el("tr", {}, el("td", { class: "mono" }, e.task || "—"),
      el("td", { class: "num" }, e.route ?? "—"), el("td", { class: "num" }, e.item ?? "—"),
      el("td", {}, e.kind), el("td", { class: "message" }, e.message)));
    errors.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "5", class: "muted" }, "None."))]));
    table.update(data.tasks);
    controls.update(data);
  }

  async function refresh(views) {
    clearTimeout(timer);
    timer = null;
    const asked = ++asks;
    try {
      const data = await api(`/api/v1/executions/${encodeURIComponent(id)}`, { signal: abort.signal });
      if (asked < shown) return;  // a later answer is already on the page
      shown = asked;
      render(data);
    } catch (error) {
      if (!abort.signal.aborted) notify(`Could not read the execution: ${error.message}`);
      return;
    }
    performance.mark(first ? "troupe:interactive" : "troupe:refreshed");
    first = false;
    if (!FINAL.has(execution.status) && !following) follow(execution.last_event);
    if (views) refreshViews();
  }

  function refreshViews() {
    clearTimeout(viewsTimer);
    viewsTimer = null;
    panels.refresh();
    if (inquiries) inquiries.refresh().catch((error) => notify(`Inquiries: ${error.message}`));
  }

  function later(views) {
    if (!timer) timer = setTimeout(() => refresh(false), REFRESH_MS);
    if (views && !viewsTimer) viewsTimer = setTimeout(refreshViews, VIEWS_MS);
  }

  async function follow(after) {
    following = true;
    let last = after;
    try {
      await stream(`/api/v1/executions/${encodeURIComponent(id)}/events`, {
        signal: abort.signal, lastId: last,
        onMessage: (message) => {
          if (message.event === "end") { refresh(true); return; }
          if (message.id) last = Number(message.id);
          const event = message.data;
          table.apply(event);
          later(true);
          if (event.kind === "workflow_paused" || event.kind === "workflow_resumed"
              || event.kind === "workflow_finished") refresh(false);
        },
      });
    } catch (error) {
      if (!abort.signal.aborted) notify(`Live updates interrupted: ${error.message}`);
    } finally {
      following = false;
    }
    if (!abort.signal.aborted && !FINAL.has(execution.status)) {
      setTimeout(() => { if (!abort.signal.aborted) refresh(false); }, 2000);  // reconnect
    }
  }

  const ticker = setInterval(() => {
    table.tick();
    if (execution && !FINAL.has(execution.status)) {
      setText(facts.duration, duration(execution.started_at || execution.created_at, null));
    }
  }, 1000);
  refresh(true);
  return { stop() { abort.abort(); clearTimeout(timer); clearTimeout(viewsTimer); clearInterval(ticker); } };
}

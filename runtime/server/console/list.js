// The executions list: filters, pages by the API's cursor, live rows from GET /api/v1/events.
// Status and workflow filter on the server (a query of the list); the text filter hides the
// loaded rows whose id, workflow and status do not contain it.

import { api, stream } from "./api.js";
import { FINAL, duration, el, notify, setStatus, setText, when } from "./dom.js";

const STATUSES = ["requested", "running", "pausing", "paused", "failing", "canceling",
  "succeeded", "failed", "canceled"];
const PAGE = 50;

export function showList(view, features) {
  const rows = new Map();
  const abort = new AbortController();
  let cursor = null;
  let loading = null;

  const status = el("select", { id: "f-status", name: "status" },
    el("option", { value: "" }, "any"), ...STATUSES.map((s) => el("option", { value: s }, s)));
  const workflow = el("input", { id: "f-workflow", name: "workflow", type: "text",
    autocomplete: "off", list: "workflow-names" });
  const text = el("input", { id: "f-text", name: "text", type: "search", autocomplete: "off" });
  const names = el("datalist", { id: "workflow-names" });
  const filters = el("form", { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
    el("div", {}, el("label", { for: "f-status" }, "Status"), status),
    el("div", {}, el("label", { for: "f-workflow" }, "Workflow"), workflow, names),
    el("div", {}, el("label", { for: "f-text" }, "Text"), text));
  const body = el("tbody", { id: "executions" });
  const table = el("table", { class: "grid", "aria-describedby": "list-count" },
    el("caption", { class: "sr-only" }, "Executions, newest first"),
    el("thead", {}, el("tr", {}, ...["Execution", "Workflow", "Status", "Started", "Duration",
      "Tasks", "Items"].map((name) => el("th", { scope: "col" }, name)))), body);
  const count = el("p", { id: "list-count", class: "muted" });
  const more = el("button", { type: "button", id: "more", hidden: true,
    onclick: () => load(false) }, "Load more");
  view.append(el("h1", { tabindex: "-1" }, "Executions"), filters,
    el("div", { class: "scroll" }, table), count, more);

  function matches(summary) {
    if (status.value && summary.status !== status.value) return false;
    if (workflow.value.trim() && summary.workflow !== workflow.value.trim()) return false;
    return true;
  }

  function visible(summary) {
    const needle = text.value.trim().toLowerCase();
    return !needle || [summary.id, summary.workflow, summary.status]
      .some((value) => value.toLowerCase().includes(needle));
  }

  function makeRow(summary) {
    const link = el("a", { href: `#/executions/${encodeURIComponent(summary.id)}` }, summary.id);
    const row = el("tr", { "data-id": summary.id },
      el("td", { class: "mono" }, link), el("td", {}), el("td", {}, el("span", {})),
      el("td", {}), el("td", { class: "num" }), el("td", { class: "num" }), el("td", { class: "num" }));
    return row;
  }

  function fill(row, summary) {
    row.summary = summary;
    const cells = row.children;
    setText(cells[1], summary.parent
      ? `${summary.workflow} (sub-workflow of ${summary.parent}, task ${summary.parent_task})`
      : summary.workflow);
    setStatus(cells[2].firstChild, summary.status);
    setText(cells[3], when(summary.created_at));
    setText(cells[4], duration(summary.created_at, summary.finished_at));
    const counts = summary.counts;
    setText(cells[5], counts ? `${counts.tasks_done}/${counts.tasks}` : "—");
    const items = counts && counts.items;
    setText(cells[6], items && items.total
      ? `${items.done}/${items.total}${items.failed ? ` (${items.failed} failed)` : ""}` : "—");
    row.hidden = !visible(summary);
  }

  function upsert(summary, live) {
    let row = rows.get(summary.id);
    if (!row) {
      if (!matches(summary)) return;
      // newest first: a live row goes before the first older one; one older than every
      // loaded row while the server has more belongs to a later page
      const before = live ? [...body.children].find((other) =>
        other.summary.created_at < summary.created_at) : null;
      if (live && !before && cursor) return;
      row = makeRow(summary);
      rows.set(summary.id, row);
      body.insertBefore(row, before || null);
    }
    fill(row, summary);
  }

  function counted() {
    const shown = [...rows.values()].filter((row) => !row.hidden).length;
    setText(count, `${shown} shown of ${rows.size} loaded${cursor ? " (more on the server)" : ""}`);
  }

  async function load(reset) {
    if (loading) await loading;
    const query = new URLSearchParams({ limit: String(Math.min(PAGE, features.page_limit)) });
    if (status.value) query.set("status", status.value);
    if (workflow.value.trim()) query.set("workflow", workflow.value.trim());
    if (!reset && cursor) query.set("cursor", cursor);
    loading = api(`/api/v1/executions?${query}`, { signal: abort.signal }).then((page) => {
      if (reset) { rows.clear(); body.replaceChildren(); }
      for (const summary of page.items) upsert(summary, false);
      cursor = page.cursor;
      more.hidden = !cursor;
      counted();
    }).catch((error) => { if (!abort.signal.aborted) notify(`Could not list: ${error.message}`); })
      .finally(() => { loading = null; });
    return loading;
  }

  async function follow() {
    // The list is read once the feed follows the journal (": ready"): nothing falls between.
    while (!abort.signal.aborted) {
      try {
        await stream("/api/v1/events", { signal: abort.signal,
          onComment: (comment) => { if (comment === "ready") load(true); },
          onMessage: (message) => {
            if (message.event === "execution") { upsert(message.data, true); counted(); }
          } });
      } catch (error) {
        if (abort.signal.aborted) return;
        notify(`Live updates interrupted (${error.message}); reconnecting`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));  // reconnect backoff
    }
  }

  function refilter() {
    for (const row of rows.values()) row.hidden = !visible(row.summary);
    counted();
  }

  status.addEventListener("change", () => load(true));
  workflow.addEventListener("change", () => load(true));
  text.addEventListener("input", refilter);
  const ticker = setInterval(() => {  // running executions' durations
    for (const row of rows.values()) {
      if (!FINAL.has(row.summary.status)) setText(row.children[4], duration(row.summary.created_at, null));
    }
  }, 1000);
  api("/api/v1/workflows", { signal: abort.signal }).then((answer) => {
    names.replaceChildren(...answer.items.map((item) => el("option", { value: item.name })));
  }).catch(() => {});
  follow();
  return { stop() { abort.abort(); clearInterval(ticker); } };
}

// The validation page: paste a workflow or pick one of the daemon's workflows directory,
// POST /api/v1/validate, and see each diagnostic located in the text (its line marked, its
// column highlighted; choosing a diagnostic puts the editor's cursor there).

import { api } from "./api.js";
import { el, notify, setText } from "./dom.js";

export function showValidate(view) {
  const abort = new AbortController();
  let picked = null;  // {name, text} of the file picked, while the text is unchanged
  const pick = el("select", { id: "v-pick" }, el("option", { value: "" }, "(paste below)"));
  const source = el("textarea", { id: "v-source", rows: "14", spellcheck: "false",
    placeholder: "version: 1.0\ntasks:\n  ..." });
  const run = el("button", { type: "submit", id: "v-run" }, "Validate");
  const verdict = el("p", { id: "v-verdict", role: "status" });
  const list = el("ol", { id: "v-diagnostics", class: "diagnostics" });
  const lines = el("pre", { id: "v-lines", class: "source", "aria-label": "The workflow with its diagnostics" });
  const form = el("form", { class: "validate", onsubmit: (event) => { event.preventDefault(); validate(); } },
    el("label", { for: "v-pick" }, "Workflow of the daemon"), pick,
    el("label", { for: "v-source" }, "Workflow YAML"), source, el("div", {}, run));
  view.append(el("h1", { tabindex: "-1" }, "Validate a workflow"), form, verdict, list, lines);

  api("/api/v1/workflows", { signal: abort.signal }).then((answer) => {
    pick.append(...answer.items.map((item) => el("option", { value: item.name },
      `${item.name}${item.valid ? "" : " (invalid)"}`)));
  }).catch((error) => { if (!abort.signal.aborted) notify(`Workflows: ${error.message}`); });

  pick.addEventListener("change", async () => {
    if (!pick.value) { picked = null; return; }
    const answer = await api(`/api/v1/workflows/${encodeURIComponent(pick.value)}`);
    source.value = answer.text;
    picked = { name: pick.value, text: answer.text };
    validate();
  });

  async function validate() {
    const text = source.value;
    if (!text.trim()) { setText(verdict, "Paste a workflow or pick one first."); return; }
    // A picked file unchanged is validated by name: its sub-workflow paths resolve from it.
    const workflow = picked && picked.text === text ? picked.name : text;
    try {
      const report = await api("/api/v1/validate", { method: "POST", body: { workflow } });
      show(text, report);
    } catch (error) {
      setText(verdict, `Could not validate: ${error.code || error.message}`);
    }
  }

  function show(text, report) {
    const diagnostics = report.diagnostics;
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    setText(verdict, report.valid ? `Valid${report.dialect ? ` (${report.dialect})` : ""}`
      + `${diagnostics.length ? `, ${diagnostics.length} warning(s)` : ""}.`
      : `Invalid: ${errors} error(s), ${diagnostics.length - errors} warning(s).`);
    verdict.className = report.valid ? "ok" : "error";
    list.replaceChildren(...diagnostics.map((d, index) => el("li", { class: `d-${d.severity}` },
      el("button", { type: "button", class: "link", onclick: () => locate(text, d, index) },
        `${d.line ?? "?"}:${d.column ?? "?"}`),
      ` ${d.code} ${d.severity}: ${d.message}${d.path ? ` (${d.path})` : ""}`)));
    drawLines(text, diagnostics);
  }

  function drawLines(text, diagnostics) {
    const byLine = new Map();
    diagnostics.forEach((d, index) => {
      if (d.line) byLine.set(d.line, [...(byLine.get(d.line) || []), { ...d, index }]);
    });
    lines.replaceChildren(...text.split("\n").map((line, at) => {
      const number = at + 1;
      const marks = byLine.get(number);
      const row = el("span", { class: marks ? "line marked" : "line", id: `v-line-${number}`,
        "data-line": String(number) }, el("span", { class: "lineno", "aria-hidden": "true" }, String(number)));
      if (!marks) { row.append(line, "\n"); return row; }
      const column = Math.max(1, Math.min(marks[0].column || 1, line.length || 1));
      row.append(line.slice(0, column - 1),
        el("mark", { class: `m-${marks[0].severity}`, title: marks.map((m) => m.message).join("; ") },
          line.slice(column - 1, column) || " "),
        line.slice(column), el("span", { class: "note" }, `  ← ${marks.map((m) => m.code).join(", ")}`), "\n");
      return row;
    }));
  }

  function locate(text, diagnostic, index) {
    const all = text.split("\n");
    const line = Math.min(Math.max(diagnostic.line || 1, 1), all.length);
    let offset = all.slice(0, line - 1).reduce((sum, row) => sum + row.length + 1, 0);
    offset += Math.max(0, (diagnostic.column || 1) - 1);
    source.focus();
    source.setSelectionRange(offset, offset + 1);
    document.getElementById(`v-line-${line}`)?.scrollIntoView({ block: "nearest" });
    notify(`diagnostic ${index + 1}: line ${line}`);
  }

  source.addEventListener("input", () => { if (picked && picked.text !== source.value) pick.value = ""; });
  return { stop() { abort.abort(); } };
}

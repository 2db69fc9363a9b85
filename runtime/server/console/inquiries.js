// An execution's pending inquiries (GET /api/v1/inquiries?execution=ID), each with a JSON
// response field and a button (POST /api/v1/inquiries/{id}/respond). Shown only when this
// daemon has those endpoints.

import { api } from "./api.js";
import { el, json, notify } from "./dom.js";

export class Inquiries {
  constructor(id, changed) {
    this.id = id;
    this.changed = changed;
    this.list = el("div", { class: "inquiries" });
    this.node = el("section", { id: "inquiries", "aria-labelledby": "inquiries-title" },
      el("h2", { id: "inquiries-title" }, "Inquiries"), this.list);
  }

  async refresh() {
    const query = new URLSearchParams({ execution: this.id, status: "pending" });
    const answer = await api(`/api/v1/inquiries?${query}`);
    this.list.replaceChildren(...(answer.items.length ? answer.items.map((item) => this.card(item))
      : [el("p", { class: "muted" }, "No pending inquiry.")]));
  }

  card(inquiry) {
    const field = `inquiry-${inquiry.id}`;
    const text = el("textarea", { id: field, rows: "4", spellcheck: "false" }, "{}");
    const problems = el("ul", { class: "error", role: "alert" });
    const send = async () => {
      let response;
      try { response = JSON.parse(text.value); } catch (error) {
        problems.replaceChildren(el("li", {}, `not JSON: ${error.message}`));
        return;
      }
      try {
        await api(`/api/v1/inquiries/${encodeURIComponent(inquiry.id)}/respond`,
          { method: "POST", body: { response } });
        notify(`inquiry ${inquiry.id} answered`);
        this.changed();
      } catch (error) {
        const errors = (error.body && error.body.error && error.body.error.errors) || [];
        problems.replaceChildren(...(errors.length
          ? errors.map((e) => el("li", {}, `${(e.path || []).join(".") || "(response)"}: ${e.message}`))
          : [el("li", {}, error.code || error.message)]));
      }
    };
    return el("div", { class: "card", "data-inquiry": inquiry.id },
      el("p", {}, el("strong", {}, inquiry.task), inquiry.prompt ? ` — ${inquiry.prompt}` : ""),
      inquiry.schema ? el("details", {}, el("summary", {}, "Schema"), el("pre", {}, json(inquiry.schema))) : null,
      el("label", { for: field }, "Response (JSON)"), text,
      el("button", { type: "button", onclick: send }, "Respond"), problems);
  }
}

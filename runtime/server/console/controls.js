// An execution's controls: cancel, pause, resume (enabled by its status, as the API allows),
// and rerun with a choice of tasks when this daemon has POST .../rerun.

import { api } from "./api.js";
import { FINAL, el, notify } from "./dom.js";

const ALLOWED = {
  cancel: new Set(["requested", "running", "pausing", "paused", "failing", "canceling"]),
  pause: new Set(["running", "pausing"]),
  resume: new Set(["pausing", "paused"]),
};

export class Controls {
  constructor(id, features, changed) {
    this.id = id;
    this.changed = changed;
    this.buttons = {};
    const row = el("div", { class: "controls", role: "group", "aria-label": "Control the execution" });
    for (const name of Object.keys(ALLOWED)) {
      this.buttons[name] = el("button", { type: "button", id: `btn-${name}`, disabled: true,
        onclick: () => this.send(name) }, name[0].toUpperCase() + name.slice(1));
      row.append(this.buttons[name]);
    }
    this.node = el("div", {}, row);
    this.rerun = features.routes.rerun ? this.makeRerun() : null;
    if (this.rerun) this.node.append(this.rerun.node);
  }

  async send(name, body) {
    const button = this.buttons[name];
    if (button) button.disabled = true;
    try {
      const answer = await api(`/api/v1/executions/${encodeURIComponent(this.id)}/${name}`,
        { method: "POST", body });
      notify(`${name}: told (the execution was ${answer.status})`);
    } catch (error) {
      notify(`${name} refused: ${error.code || error.message}`);
    }
    this.changed();
  }

  makeRerun() {
    const choices = el("fieldset", { class: "choices" }, el("legend", {}, "Tasks to rerun (none: the failed ones)"));
    const button = el("button", { type: "button", id: "btn-rerun", disabled: true,
      onclick: () => {
        const tasks = [...choices.querySelectorAll("input:checked")].map((box) => box.value);
        this.send("rerun", tasks.length ? { tasks } : {});
      } }, "Rerun");
    const node = el("details", { id: "rerun", class: "rerun" }, el("summary", {}, "Rerun…"), choices, button);
    return { node, choices, button, names: new Set() };
  }

  update(execution) {
    for (const [name, allowed] of Object.entries(ALLOWED)) {
      this.buttons[name].disabled = !allowed.has(execution.status) || execution.parent !== null;
    }
    if (!this.rerun) return;
    this.rerun.button.disabled = !FINAL.has(execution.status) || execution.parent !== null;
    for (const task of execution.tasks) {
      if (this.rerun.names.has(task.name)) continue;
      this.rerun.names.add(task.name);
      const box = `rerun-${this.rerun.names.size}`;
      this.rerun.choices.append(el("div", { class: "choice" },
        el("input", { type: "checkbox", id: box, value: task.name }),
        el("label", { for: box }, task.name)));
    }
  }
}

// The sections drawn by the views' renderers: <section id="graph|actors|timeline"> calling
// renderGraph / renderActors / renderTimeline(container, json) of ./graph.js, ./actors.js,
// ./timeline.js with the JSON of GET /api/v1/executions/{id}/graph|actors|timeline.
// A section whose module or endpoint this daemon lacks says so (nothing is fetched).

import { api } from "./api.js";
import { el, setText } from "./dom.js";

const PANELS = [
  { name: "graph", title: "Workflow graph", render: "renderGraph" },
  { name: "actors", title: "Actor tree", render: "renderActors" },
  { name: "timeline", title: "Timeline", render: "renderTimeline", needs: "traces" },
];

export class Panels {
  constructor(id, features) {
    this.id = id;
    this.panels = PANELS.map((panel) => {
      const body = el("div", { class: "panel-body" });
      const note = el("p", { class: "muted" });
      const node = el("section", { id: panel.name, "aria-labelledby": `${panel.name}-title` },
        el("h2", { id: `${panel.name}-title` }, panel.title), note, body);
      const served = features.modules[panel.name] && features.routes[panel.name];
      const on = served && (!panel.needs || features[panel.needs]);
      if (!served) setText(note, "Not available on this daemon.");
      else if (!on) setText(note, "This daemon writes no traces (trace_dir is off): no timeline.");
      return { ...panel, node, body, note, on, module: null };
    });
    this.nodes = this.panels.map((panel) => panel.node);
  }

  async refresh() {
    await Promise.all(this.panels.filter((panel) => panel.on).map((panel) => this.draw(panel)));
  }

  async draw(panel) {
    try {
      panel.module = panel.module || await import(`./${panel.name}.js`);
      const data = await api(`/api/v1/executions/${encodeURIComponent(this.id)}/${panel.name}`);
      panel.module[panel.render](panel.body, data);
      setText(panel.note, "");
    } catch (error) {
      setText(panel.note, `Could not draw: ${error.message}`);
    }
  }
}

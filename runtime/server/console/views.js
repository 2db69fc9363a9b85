// What the three views of one execution share (graph.js, actors.js, timeline.js): their
// stylesheet, the status colours, element helpers and the duration format. Not a view itself.

const STYLE_ID = "troupe-views-css";

/** Status -> colour (the trace page's palette: runtime/trace/templates/trace.js). */
export const STATUS_COLOURS = {
  succeeded: "#16a34a", failed: "#dc2626", timed_out: "#ea580c", canceled: "#6b7280",
  canceling: "#6b7280", running: "#2563eb", pending: "#a16207", paused: "#a16207",
  pausing: "#a16207", delayed: "#a16207", requested: "#64748b", scheduled: "#64748b",
  retrying: "#c2410c", stopped: "#16a34a", failing: "#dc2626",
};

/** The colour of a status (grey for none or an unknown one). */
export function colourOf(status) {
  return STATUS_COLOURS[status] || "#94a3b8";
}

/** Link views.css once per document (beside this module, wherever it is served from). */
export function ensureStyles(doc = document) {
  if (doc.getElementById(STYLE_ID)) return;
  const link = doc.createElement("link");
  link.id = STYLE_ID;
  link.rel = "stylesheet";
  link.href = new URL("./views.css", import.meta.url).href;
  doc.head.appendChild(link);
}

/** An HTML element with a class and text. */
export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** An SVG element with attributes. */
export function svg(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

/** Seconds as "850us", "12.3ms", "4.500s", "2m3.0s" ("-" for none). */
export function seconds(value) {
  if (value === null || value === undefined) return "-";
  const ms = value * 1000;
  if (ms < 1) return `${(ms * 1000).toFixed(0)}us`;
  if (ms < 1000) return `${ms.toFixed(1)}ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(3)}s`;
  return `${Math.floor(ms / 60000)}m${((ms % 60000) / 1000).toFixed(1)}s`;
}

/** A workflow as the store lists it: a file's stem ("deploy" for "/srv/flows/deploy.yaml"). */
export function workflowName(text) {
  if (!text) return "";
  const match = /([^/\\]+)\.ya?ml$/.exec(text);
  return match ? match[1] : text;
}

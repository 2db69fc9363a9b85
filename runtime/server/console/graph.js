// renderGraph(container, graph): the workflow graph of one execution as SVG, from
// GET /api/v1/executions/{id}/graph (docs/api.md). The server lays it out (layer, order:
// runtime/graph_layout.py); this draws it top to bottom: a box per task coloured by the
// status of its latest run, joins with a double border and a badge with their count, engine
// commands as pills, transitions as arrows (taken ones bold, loops dashed and routed round
// the side), each element titled for a tooltip. Calling it again redraws from fresh data.
import { colourOf, ensureStyles, svg } from "./views.js";

const W = 156, H = 38, GAP_X = 36, GAP_Y = 54, PAD = 24, LOOP_OUT = 28;
const SHORT = { succeeded: "ok", failed: "fail", timed_out: "timeout", expr: "if" };
let renders = 0;

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}\u2026` : text;
}

function place(nodes) {
  const width = {};
  for (const node of nodes) {
    const layer = node.layer ?? 0;
    width[layer] = Math.max(width[layer] || 0, (node.order ?? 0) + 1);
  }
  const widest = Math.max(1, ...Object.values(width));
  const at = {};
  for (const node of nodes) {
    const layer = node.layer ?? 0;
    const offset = (widest - width[layer]) * (W + GAP_X) / 2;
    at[node.name] = { x: PAD + offset + (node.order ?? 0) * (W + GAP_X),
                      y: PAD + layer * (H + GAP_Y), node };
  }
  const layers = Math.max(0, ...nodes.map((n) => n.layer ?? 0)) + 1;
  return { at, width: 2 * PAD + widest * (W + GAP_X) + LOOP_OUT, height: 2 * PAD + layers * (H + GAP_Y) };
}

function edgePath(a, b, edge) {
  if (edge.from === edge.to) {
    const x = a.x + W, y = a.y + H / 2;
    return `M${x},${y - 8} C${x + LOOP_OUT},${y - 24} ${x + LOOP_OUT},${y + 24} ${x},${y + 8}`;
  }
  if (edge.loop) {  // back up the graph: out of the right side, round, into the right side
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x + W, y2 = b.y + H / 2;
    const side = Math.max(x1, x2) + LOOP_OUT;
    return `M${x1},${y1} C${side},${y1} ${side},${y2} ${x2},${y2}`;
  }
  const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y;
  const bend = Math.max(18, (y2 - y1) / 2);
  return `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
}

function markers(id) {
  const defs = svg("defs");
  for (const [name, colour] of [["", "#94a3b8"], ["-taken", "#1e293b"]]) {
    const marker = svg("marker", { id: `${id}${name}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
                                   markerUnits: "userSpaceOnUse", markerWidth: 9,
                                   markerHeight: 9, orient: "auto-start-reverse" });
    marker.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: colour }));
    defs.appendChild(marker);
  }
  return defs;
}

function drawEdge(group, edge, at, id) {
  const a = at[edge.from], b = at[edge.to];
  if (!a || !b) return;
  const classes = ["edge", edge.taken ? "taken" : "", edge.loop ? "loop" : ""].filter(Boolean);
  const path = svg("path", { d: edgePath(a, b, edge), class: classes.join(" "),
                             "marker-end": `url(#${id}${edge.taken ? "-taken" : ""})` });
  path.dataset.from = edge.from;
  path.dataset.to = edge.to;
  path.dataset.on = edge.on;
  const title = svg("title");
  title.textContent = `${edge.from} \u2192 ${edge.to}: ${edge.label || edge.on}` +
    `${edge.taken ? " (taken)" : ""}${edge.loop ? " (loop)" : ""}`;
  path.appendChild(title);
  group.appendChild(path);
  const short = SHORT[edge.on];
  if (short && edge.from !== edge.to && !edge.loop) {
    const text = svg("text", { x: (a.x + b.x) / 2 + W / 2 + 6, y: (a.y + H + b.y) / 2 + 12,
                               class: "edge-label" });
    text.textContent = short;
    group.appendChild(text);
  }
}

function drawNode(group, node, spot) {
  const g = svg("g", { class: `node${node.command ? " command" : ""}${node.join ? " join" : ""}`,
                       transform: `translate(${spot.x},${spot.y})`, tabindex: 0 });
  g.dataset.task = node.name;
  g.dataset.status = node.status || "";
  const fill = node.status ? colourOf(node.status) : "#ffffff";
  const ink = node.status ? "#ffffff" : "#1e293b";
  const radius = node.command ? H / 2 : 6;
  g.appendChild(svg("rect", { width: W, height: H, rx: radius, fill, class: "box" }));
  if (node.join) {
    g.appendChild(svg("rect", { x: 3, y: 3, width: W - 6, height: H - 6, rx: 4, class: "join-ring",
                                fill: "none", stroke: ink }));
    const badge = svg("g", { class: "join-badge", transform: `translate(${W - 2},-4)` });
    badge.appendChild(svg("rect", { x: -30, y: -8, width: 34, height: 16, rx: 8 }));
    const count = svg("text", { x: -13, y: 4, "text-anchor": "middle" });
    count.textContent = `\u22c8 ${node.join === true ? "all" : node.join}`;
    badge.appendChild(count);
    g.appendChild(badge);
  }
  const name = svg("text", { x: W / 2, y: node.action ? 16 : 23, "text-anchor": "middle",
                             fill: ink, class: "name" });
  name.textContent = clip(node.name, 22);
  g.appendChild(name);
  if (node.action) {
    const action = svg("text", { x: W / 2, y: 30, "text-anchor": "middle", fill: ink,
                                 class: "action" });
    action.textContent = clip(node.action + (node.runs > 1 ? `  \u00d7${node.runs}` : ""), 26);
    g.appendChild(action);
  }
  const title = svg("title");
  title.textContent = `${node.name}${node.action ? ` (${node.action})` : ""}: ` +
    `${node.status || "not run"}, ${node.runs} run${node.runs === 1 ? "" : "s"}` +
    `${node.join ? `, join ${node.join}` : ""}`;
  g.appendChild(title);
  group.appendChild(g);
}

/** Draw `graph` ({nodes, edges}) into `container`, replacing what it held. */
export function renderGraph(container, graph) {
  ensureStyles();
  const nodes = graph.nodes || [], edges = graph.edges || [];
  const id = `troupe-arrow-${++renders}`;
  const { at, width, height } = place(nodes);
  const root = svg("svg", { class: "troupe-graph", width, height, viewBox: `0 0 ${width} ${height}`,
                            role: "img",
                            "aria-label": `Workflow graph: ${nodes.length} tasks, ${edges.length} transitions` });
  root.appendChild(markers(id));
  const edgeGroup = svg("g", { class: "edges" });
  const nodeGroup = svg("g", { class: "nodes" });
  for (const edge of edges) drawEdge(edgeGroup, edge, at, id);
  for (const node of nodes) drawNode(nodeGroup, node, at[node.name]);
  root.append(edgeGroup, nodeGroup);
  const frame = document.createElement("div");
  frame.className = "troupe-graph-frame";
  frame.appendChild(root);
  container.replaceChildren(frame);
  return root;
}

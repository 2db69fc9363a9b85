// renderActors(container, tree): the actor tree of one execution, from
// GET /api/v1/executions/{id}/actors (docs/api.md): the supervisor, its task actors, their
// item workers (a with-items task shows its live workers and counts the rest) and the
// sub-workflows' supervisors under the task that started them, at every depth. Nested lists
// (a tree for assistive technology), each node with children collapsible by its toggle
// (keyboard: a button); the mailbox depth shows while it runs (`live`). Calling it again
// redraws from fresh data and keeps what the reader collapsed.
import { colourOf, el, ensureStyles } from "./views.js";

const KINDS = { supervisor: "supervisor", subworkflow: "sub-workflow", task: "task", item: "item" };
const collapsedBy = new WeakMap();

function itemsText(items) {
  const parts = [`${items.done} done`];
  if (items.running) parts.push(`${items.running} running`);
  if (items.waiting) parts.push(`${items.waiting} waiting for a worker`);
  if (items.failed) parts.push(`${items.failed} failed`);
  const hidden = items.total - items.shown;
  return `items ${items.total}: ${parts.join(", ")}` +
    (hidden > 0 ? ` (${items.shown} actor${items.shown === 1 ? "" : "s"} shown)` : "");
}

function line(node, live) {
  const row = el("div", "actor-line");
  const dot = el("span", "dot");
  dot.style.background = colourOf(node.status);
  dot.title = node.status;
  row.append(dot, el("span", `kind kind-${node.kind}`, KINDS[node.kind] || node.kind),
             el("span", "actor-name", node.name || node.path));
  row.append(el("span", "actor-status", node.status));
  if (live && node.mailbox !== null && node.mailbox !== undefined) {
    const box = el("span", `mailbox${node.mailbox > 0 ? " busy" : ""}`, `mailbox ${node.mailbox}`);
    box.title = "messages waiting in its mailbox";
    row.append(box);
  }
  if (node.items) row.append(el("span", "items", itemsText(node.items)));
  if (node.omitted) row.append(el("span", "omitted", `+${node.omitted} earlier runs not shown`));
  const path = el("span", "actor-path", node.path);
  row.append(path);
  return row;
}

function branch(node, live, collapsed) {
  const item = el("li", `actor actor-${node.kind}`);
  item.setAttribute("role", "treeitem");
  item.dataset.path = node.path;
  item.dataset.kind = node.kind;
  const row = line(node, live);
  item.appendChild(row);
  const children = node.children || [];
  if (children.length) {
    const open = !collapsed.has(node.path);
    item.setAttribute("aria-expanded", String(open));
    const toggle = el("button", "toggle", open ? "\u25be" : "\u25b8");
    toggle.type = "button";
    toggle.setAttribute("aria-label", `${open ? "Collapse" : "Expand"} ${node.name || node.path}`);
    row.prepend(toggle);
    const list = el("ul", "actor-children");
    list.setAttribute("role", "group");
    list.hidden = !open;
    for (const child of children) list.appendChild(branch(child, live, collapsed));
    item.appendChild(list);
    toggle.addEventListener("click", () => {
      const now = list.hidden;
      list.hidden = !now;
      toggle.textContent = now ? "\u25be" : "\u25b8";
      item.setAttribute("aria-expanded", String(now));
      toggle.setAttribute("aria-label", `${now ? "Collapse" : "Expand"} ${node.name || node.path}`);
      if (now) collapsed.delete(node.path); else collapsed.add(node.path);
    });
  }
  return item;
}

/** Draw `tree` ({live, root}) into `container`, replacing what it held. */
export function renderActors(container, tree) {
  ensureStyles();
  let collapsed = collapsedBy.get(container);
  if (!collapsed) {
    collapsed = new Set();
    collapsedBy.set(container, collapsed);
  }
  const frame = el("div", "troupe-actors");
  frame.appendChild(el("p", `actors-source ${tree.live ? "live" : "rebuilt"}`,
    tree.live ? "Live: the running actors, with their mailbox depths"
              : "Rebuilt after the run, from its trace (nothing runs it here now)"));
  const list = el("ul", "actor-tree");
  list.setAttribute("role", "tree");
  list.setAttribute("aria-label", "Actor tree");
  if (tree.root) list.appendChild(branch(tree.root, tree.live, collapsed));
  frame.appendChild(list);
  container.replaceChildren(frame);
  return frame;
}

// Small DOM and formatting helpers shared by the console's pages.

/** An element: `el("a", {href: "#/", class: "x"}, "text", child, ...)`. */
export function el(tag, attrs = {}, ...children) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) made.addEventListener(name.slice(2), value);
    else if (name === "class") made.className = value;
    else made.setAttribute(name, value === true ? "" : String(value));
  }
  made.append(...children.filter((child) => child !== null && child !== undefined));
  return made;
}

/** Set an element's text only when it changed (no layout work otherwise). */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export const FINAL = new Set(["succeeded", "failed", "canceled"]);

export function statusBadge(status) {
  return el("span", { class: `status s-${status}` }, status);
}

export function setStatus(node, status) {
  const name = `status s-${status}`;
  if (node.className !== name) node.className = name;
  setText(node, status);
}

export function when(text) {
  if (!text) return "—";
  const moment = new Date(text);
  return moment.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

/** "1.2 s", "3 min 4 s", "2 h 5 min" between two RFC 3339 times (the second: now). */
export function duration(start, end) {
  if (!start) return "—";
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  if (ms < 0) return "0 s";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

/** Tell the user something (the page's polite live region). */
export function notify(text) {
  setText(document.getElementById("notice"), text);
}

// The daemon's API from the page: JSON calls and server-sent event streams, with the token.
// The token lives in sessionStorage (this tab's session) and goes in an Authorization
// header on every call; streams are read with fetch (EventSource cannot send headers), so
// the token never appears in a URL or a log.

const KEY = "troupe.token";
const unauthorized = new Set();

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

/** Call `callback()` whenever the daemon answers 401 (a missing or wrong token). */
export function onUnauthorized(callback) {
  unauthorized.add(callback);
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || null;
    this.body = body;
  }
}

function headers(extra) {
  const made = { Accept: "application/json", ...extra };
  const given = token();
  if (given) made.Authorization = `Bearer ${given}`;
  return made;
}

/** The JSON of `method path` (body sent as JSON); throws ApiError when not 2xx. */
export async function api(path, { method = "GET", body, signal } = {}) {
  const init = { method, signal, cache: "no-store",
    headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { raw: text }; }
  }
  if (response.status === 401) unauthorized.forEach((callback) => callback());
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Read the text/event-stream at `path` until it ends or `signal` aborts:
 *  `onMessage({event, id, data})` for each message (data parsed as JSON),
 *  `onComment(text)` for each comment line. Resolves when the stream ends. */
export async function stream(path, { onMessage, onComment = () => {}, signal, lastId }) {
  const extra = { Accept: "text/event-stream" };
  if (lastId) extra["Last-Event-ID"] = String(lastId);
  const response = await fetch(path, { headers: headers(extra), signal, cache: "no-store" });
  if (response.status === 401) unauthorized.forEach((callback) => callback());
  if (!response.ok) throw new ApiError(response.status, null);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      dispatch(block, onMessage, onComment);
    }
  }
}

function dispatch(block, onMessage, onComment) {
  const message = { event: "message", id: null, data: "" };
  let hasData = false;
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) { onComment(line.slice(1).trim()); continue; }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") message.event = value;
    else if (field === "id") message.id = value;
    else if (field === "data") { message.data += (hasData ? "\n" : "") + value; hasData = true; }
  }
  if (hasData) {
    message.data = JSON.parse(message.data);
    onMessage(message);
  }
}

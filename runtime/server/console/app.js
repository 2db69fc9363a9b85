// The console's entry: the login (when the daemon has a token) and the router.
//   #/                 the executions list (list.js)
//   #/executions/ID    one execution (execution.js)
//   #/validate         the validation page (validate.js)

import { onUnauthorized, setToken, token } from "./api.js";
import { notify } from "./dom.js";

const view = document.getElementById("view");
const login = document.getElementById("login");
const logout = document.getElementById("logout");
let features = null;
let current = null;

async function loadFeatures() {
  const response = await fetch("/console/features.json", { cache: "no-store" });
  features = await response.json();
}

function needsLogin() {
  return features.token_required && !token();
}

function showLogin(message) {
  current?.stop();
  current = null;
  view.replaceChildren();
  login.hidden = false;
  logout.hidden = true;
  document.getElementById("login-error").textContent = message || "";
  document.getElementById("token").focus();
}

async function route() {
  current?.stop();
  current = null;
  if (needsLogin()) { showLogin(); return; }
  login.hidden = true;
  logout.hidden = !features.token_required;
  view.replaceChildren();
  notify("");
  const hash = location.hash || "#/";
  const execution = hash.match(/^#\/executions\/([^/?#]+)/);
  let page = "list";
  if (execution) {
    page = "execution";
    const { showExecution } = await import("./execution.js");
    current = showExecution(view, decodeURIComponent(execution[1]), features);
  } else if (hash.startsWith("#/validate")) {
    page = "validate";
    const { showValidate } = await import("./validate.js");
    current = showValidate(view, features);
  } else {
    const { showList } = await import("./list.js");
    current = showList(view, features);
  }
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  view.querySelector("h1")?.focus({ preventScroll: true });
}

login.addEventListener("submit", (event) => {
  event.preventDefault();
  setToken(document.getElementById("token").value.trim());
  document.getElementById("token").value = "";
  route();
});
logout.addEventListener("click", () => { setToken(null); showLogin(); });
onUnauthorized(() => { setToken(null); showLogin("The daemon refused that token."); });
window.addEventListener("hashchange", route);

await loadFeatures();
await route();

// First run: the server address or its pairing code (typed with the remote's on-screen
// keyboard; the code is decoded here, offline: web/src/core/pairing.js), then sign-in with
// email + password over the JSON token flow.
import { h } from "../dom.js";
import { normaliseServer, tokenLogin } from "../../../web/src/core/tokens.js";
import { decode as decodePairingCode, PairingCodeError } from "../../../web/src/core/pairing.js";

// XXXX-XXXX-XXX, with or without the hyphens (a host name has a dot or a port).
const CODE_SHAPE = /^[0-9a-z]{4}[- ]?[0-9a-z]{4}[- ]?[0-9a-z]{3}$/i;

/** The origin typed as an address or a pairing code: { origin } or { error }. */
export function serverFromInput(text) {
  const raw = String(text || "").trim();
  if (CODE_SHAPE.test(raw)) {
    try {
      return { origin: decodePairingCode(raw).origin };
    } catch (error) {
      if (error instanceof PairingCodeError) return { error: `That pairing code does not work: ${error.message}.` };
      throw error;
    }
  }
  const origin = normaliseServer(raw);
  return origin
    ? { origin }
    : { error: "That is not a server address: type host:port, http://host:port or the pairing code." };
}

function field(id, label, type, value, autocomplete) {
  return h("div.field", null,
    h("label", { for: id, text: label }),
    h(`input#${id}`, { type, value: value || "", autocomplete, autocapitalize: "off", spellcheck: "false" }));
}

/** Ask for the server; `done(origin)` when /api/health answers there. */
export function serverScreen(app, { done }) {
  const message = h("p#server-message.message", { role: "status" });
  const form = h("form.panel", { novalidate: true },
    h("h1", { text: "Welcome to Miauflix" }),
    h("p.lead", { text: "Type the address of your Miauflix server (e.g. 192.168.1.20:8000) or the pairing code the web client shows under Account → Pair a TV (e.g. 60N0-0H87-T0J)." }),
    field("server", "Server address or pairing code", "text", app.server || "", "url"),
    h("button#server-continue.primary", { type: "submit", text: "Continue" }),
    message);
  const input = form.querySelector("#server");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { origin, error: problem } = serverFromInput(input.value);
    if (!origin) {
      message.textContent = problem;
      input.focus();
      return;
    }
    message.textContent = `Checking ${origin}…`;
    try {
      const response = await fetch(`${origin}/api/health`, { credentials: "omit", cache: "no-store" });
      const body = await response.json();
      if (!response.ok || !body || body.status !== "ok") throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      message.textContent = `No Miauflix server answers at ${origin} (${error.message}).`;
      return;
    }
    done(origin);
  });
  return { name: "server", root: h("div.first-run", null, form), focus: () => input };
}

/** Email + password; `done()` once the tokens are stored. */
export function signInScreen(app, { done }) {
  const message = h("p#signin-message.message", { role: "status" });
  const form = h("form.panel", { novalidate: true },
    h("h1", { text: "Sign in" }),
    h("p.lead", null, "Server ", h("strong", { text: app.server })),
    field("email", "Email", "email", "", "username"),
    field("password", "Password", "password", "", "current-password"),
    h("button#signin.primary", { type: "submit", text: "Sign in" }),
    h("button#change-server", { type: "button", text: "Change server", onclick: () => app.forgetServer() }),
    message);
  const email = form.querySelector("#email");
  const password = form.querySelector("#password");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!email.value.trim() || !password.value) {
      message.textContent = "Type your email and password.";
      return;
    }
    message.textContent = "Signing in…";
    try {
      await tokenLogin(app.server, email.value.trim(), password.value, app.tokens);
    } catch (error) {
      password.value = "";
      message.textContent = error.status === 401 ? "Wrong email or password." : `Could not sign in: ${error.message}`;
      return;
    }
    password.value = "";
    done();
  });
  return { name: "signin", root: h("div.first-run", null, form), focus: () => email };
}

// The sign-in form (fields "Email" and "Password", button "Sign in"); cookie session.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, user, announce } from "../state.js";
import { useTitle } from "./common.js";

export function SignIn() {
  useTitle("Sign in");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError("");
    try {
      await api.login(String(form.get("email")).trim(), String(form.get("password")));
      user.value = await api.me();
      announce(`Signed in as ${user.value.email}`);
    } catch (err) {
      setError(
        err.status === 429
          ? `Too many attempts. Try again in ${err.retryAfter || "a few"} seconds.`
          : err.status === 401 || err.status === 403
            ? "Wrong email or password, or the account is disabled."
            : err.message,
      );
    } finally {
      setBusy(false);
    }
  }
  return html`<div class="signin">
    <h1><span class="brand-big">Miauflix</span> Sign in</h1>
    <form onSubmit=${submit} class="stack">
      <label for="signin-email">Email</label>
      <input id="signin-email" name="email" type="email" autocomplete="username" required autofocus />
      <label for="signin-password">Password</label>
      <input id="signin-password" name="password" type="password" autocomplete="current-password" required />
      ${error && html`<p class="error-text" role="alert">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
    </form>
  </div>`;
}

// Account: device profile and language settings, my sessions (list, revoke), password change.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, user, profileSetting, detectedProfile, capabilities, language, announce } from "../state.js";
import { useAsync, useTitle, Loading, ErrorBox } from "./common.js";
import { languageName } from "./movie.js";
import { TraktPanel } from "./trakt.js";
import { PairingPanel } from "./pairing.js";

function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function Settings() {
  const caps = Object.entries({ "H.264": capabilities.h264, "HEVC (x265)": capabilities.hevc, "10-bit": capabilities.tenBit })
    .map(([name, ok]) => `${name}: ${ok ? "yes" : "no"}`)
    .join(" · ");
  return html`<section aria-labelledby="settings-title" class="panel">
    <h2 id="settings-title">Playback settings</h2>
    <fieldset>
      <legend>Device profile (which ranking picks your sources)</legend>
      ${[
        ["auto", `Automatic (this browser: ${detectedProfile})`],
        ["web", "Web: H.264 8-bit only"],
        ["tv", "TV: HEVC and 10-bit too"],
      ].map(
        ([value, label]) => html`<div class="radio">
          <input type="radio" id=${`profile-${value}`} name="profile" value=${value}
            checked=${profileSetting.value === value} onChange=${() => (profileSetting.value = value)} />
          <label for=${`profile-${value}`}>${label}</label>
        </div>`,
      )}
    </fieldset>
    <p class="muted">This browser decodes ${caps}.</p>
    <div class="field-inline">
      <label for="settings-language">Metadata language</label>
      <select id="settings-language" value=${language.value} onChange=${(e) => (language.value = e.currentTarget.value)}>
        ${["en", "es", "fr", "de", "it", "pt", "ja"].map((code) => html`<option value=${code}>${languageName(code)}</option>`)}
      </select>
    </div>
  </section>`;
}

function Sessions() {
  const { data, error, loading, reload } = useAsync(() => api.sessions(), []);
  const [busy, setBusy] = useState(null);
  async function revoke(session) {
    setBusy(session.id);
    try {
      await api.revokeSession(session.id);
      announce("Session revoked");
      if (session.current) user.value = null;
      else reload();
    } catch (err) {
      announce(err.message);
    } finally {
      setBusy(null);
    }
  }
  return html`<section aria-labelledby="sessions-title" class="panel">
    <h2 id="sessions-title">My sessions</h2>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${data &&
    html`<div class="table-wrap"><table class="phone-cards" role="table">
      <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">Device</th><th scope="col" role="columnheader">Address</th><th scope="col" role="columnheader">Signed in</th><th scope="col" role="columnheader">Last used</th><th scope="col" role="columnheader"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody role="rowgroup">
        ${data.results.map(
          (s) => html`<tr key=${s.id} role="row">
            <td role="cell">${s.device}${s.current ? html` <span class="badge">this device</span>` : ""}</td>
            <td role="cell" data-label="Address">${s.ip}</td><td role="cell" data-label="Signed in">${when(s.created_at)}</td>
            <td role="cell" data-label="Last used">${when(s.last_used_at)}</td>
            <td role="cell"><button type="button" disabled=${busy === s.id} onClick=${() => revoke(s)}
              aria-label=${`Revoke session ${s.device}${s.current ? " (this device)" : ""} from ${when(s.created_at)}`}>Revoke</button></td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
  </section>`;
}

function PasswordForm() {
  const [message, setMessage] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const next = String(form.get("new"));
    if (next !== String(form.get("confirm"))) {
      setMessage({ error: true, text: "The new passwords do not match." });
      return;
    }
    try {
      const result = await api.changePassword(String(form.get("old")), next);
      formElement.reset();
      setMessage({ error: false, text: `Password changed; ${result.sessions_revoked} other session(s) signed out.` });
    } catch (err) {
      setMessage({ error: true, text: err.status === 401 ? "The current password is wrong." : err.message });
    }
  }
  return html`<section aria-labelledby="password-title" class="panel">
    <h2 id="password-title">Change password</h2>
    <form class="stack narrow" onSubmit=${submit}>
      <label for="pw-old">Current password</label>
      <input id="pw-old" name="old" type="password" autocomplete="current-password" required />
      <label for="pw-new">New password</label>
      <input id="pw-new" name="new" type="password" autocomplete="new-password" required minlength="10" />
      <label for="pw-confirm">Confirm new password</label>
      <input id="pw-confirm" name="confirm" type="password" autocomplete="new-password" required minlength="10" />
      ${message && html`<p class=${message.error ? "error-text" : "ok-text"} role=${message.error ? "alert" : "status"}>${message.text}</p>`}
      <button type="submit">Change password</button>
    </form>
  </section>`;
}

export function Account() {
  useTitle("Account");
  return html`<div class="page account">
    <h1>Account</h1>
    <p class="muted">Signed in as ${user.value.email} (${user.value.role}).</p>
    <${Settings} />
    <${TraktPanel} />
    <${PairingPanel} />
    <${Sessions} />
    <${PasswordForm} />
  </div>`;
}

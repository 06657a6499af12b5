// Admin: users (create, disable/enable, role, delete) and the audit log (filters, paging).
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, user, announce } from "../state.js";
import { useAsync, useTitle, Loading, ErrorBox, Pager } from "./common.js";

export const AUDIT_EVENTS = [
  "login_success", "login_failure", "refresh", "refresh_reuse", "logout", "logout_all",
  "session_revoked", "session_evicted", "password_change", "password_change_failure",
  "user_created", "user_disabled", "user_enabled", "user_deleted", "role_change",
  "auth_failure_burst", "rate_limited", "admin_read_audit", "admin_read_config", "csrf_failure",
];
const PER_PAGE = 25;

function CreateUser({ onCreated }) {
  const [message, setMessage] = useState(null);
  async function submit(event) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    try {
      const created = await api.createUser(String(form.get("email")).trim(), String(form.get("password")), String(form.get("role")));
      formElement.reset();
      setMessage({ error: false, text: `Created ${created.email}.` });
      onCreated();
    } catch (err) {
      setMessage({ error: true, text: err.message });
    }
  }
  return html`<form class="panel form-grid" onSubmit=${submit} aria-labelledby="create-title">
    <h2 id="create-title">Create a user</h2>
    <label for="new-email">Email</label>
    <input id="new-email" name="email" type="email" required autocomplete="off" />
    <label for="new-password">Password</label>
    <input id="new-password" name="password" type="password" required minlength="10" autocomplete="new-password" />
    <label for="new-role">Role</label>
    <select id="new-role" name="role"><option value="user">user</option><option value="admin">admin</option></select>
    <button type="submit" class="primary">Create user</button>
    ${message && html`<p class=${message.error ? "error-text" : "ok-text"} role=${message.error ? "alert" : "status"}>${message.text}</p>`}
  </form>`;
}

function UserRow({ item, reload }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState("");
  const self = user.value && user.value.id === item.id;
  async function act(promise, text) {
    setError("");
    try {
      await promise;
      announce(text);
      reload();
    } catch (err) {
      setError(err.message);
    }
  }
  return html`<tr role="row">
    <td role="cell">${item.email}${self ? html` <span class="badge">you</span>` : ""}</td>
    <td role="cell" data-label="Role">
      <label class="visually-hidden" for=${`role-${item.id}`}>Role of ${item.email}</label>
      <select id=${`role-${item.id}`} value=${item.role}
        onChange=${(e) => act(api.updateUser(item.id, { role: e.currentTarget.value }), `Role of ${item.email} changed`)}>
        <option value="user">user</option><option value="admin">admin</option>
      </select>
    </td>
    <td role="cell" data-label="Status">${item.disabled ? "disabled" : "active"}</td>
    <td role="cell" class="nowrap">
      <button type="button" onClick=${() => act(api.updateUser(item.id, { disabled: !item.disabled }), `${item.email} ${item.disabled ? "enabled" : "disabled"}`)}
        aria-label=${`${item.disabled ? "Enable" : "Disable"} ${item.email}`}>${item.disabled ? "Enable" : "Disable"}</button>
      ${confirming
        ? html`<button type="button" class="danger" onClick=${() => act(api.deleteUser(item.id), `${item.email} deleted`)}
            aria-label=${`Confirm: delete ${item.email}`}>Confirm delete</button>
          <button type="button" onClick=${() => setConfirming(false)} aria-label=${`Keep ${item.email}`}>Keep</button>`
        : html`<button type="button" onClick=${() => setConfirming(true)} aria-label=${`Delete ${item.email}`}>Delete</button>`}
      ${error && html`<span class="error-text" role="alert">${error}</span>`}
    </td>
  </tr>`;
}

export function AdminUsers() {
  useTitle("Users");
  const [page, setPage] = useState(1);
  const { data, error, loading, reload } = useAsync(() => api.users({ page, per_page: PER_PAGE }), [page]);
  return html`<div>
    <${CreateUser} onCreated=${reload} />
    <section class="panel" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <${ErrorBox} error=${error} retry=${reload} />
      ${loading && !data && html`<${Loading} />`}
      ${data &&
      html`<div class="table-wrap"><table class="phone-cards" role="table">
          <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">Email</th><th scope="col" role="columnheader">Role</th><th scope="col" role="columnheader">Status</th><th scope="col" role="columnheader">Actions</th></tr></thead>
          <tbody role="rowgroup">${data.results.map((item) => html`<${UserRow} key=${item.id} item=${item} reload=${reload} />`)}</tbody>
        </table></div>
        <${Pager} page=${page} totalPages=${Math.ceil(data.total_results / PER_PAGE)} onPage=${setPage} label="User pages" />`}
    </section>
  </div>`;
}

export function AdminAudit() {
  useTitle("Audit log");
  const [filters, setFilters] = useState({ event: "", severity: "", user_id: "", since: "", until: "" });
  const [page, setPage] = useState(1);
  const { data, error, loading, reload } = useAsync(
    () => api.audit({ ...filters, page, per_page: PER_PAGE }),
    [filters, page],
  );
  function apply(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const day = (value, end) => (value ? `${value}T${end}Z` : "");
    setFilters({
      event: String(form.get("event")),
      severity: String(form.get("severity")),
      user_id: String(form.get("user_id")).trim(),
      since: day(String(form.get("since")), "00:00:00"),
      until: day(String(form.get("until")), "23:59:59"),
    });
    setPage(1);
  }
  return html`<section class="panel" aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <form class="filters" onSubmit=${apply}>
      <div><label for="f-event">Event</label>
        <select id="f-event" name="event"><option value="">any</option>${AUDIT_EVENTS.map((e) => html`<option value=${e}>${e}</option>`)}</select></div>
      <div><label for="f-severity">Severity</label>
        <select id="f-severity" name="severity"><option value="">any</option><option>info</option><option>warning</option><option>critical</option></select></div>
      <div><label for="f-user">User id</label><input id="f-user" name="user_id" inputmode="numeric" pattern="[0-9]*" size="6" /></div>
      <div><label for="f-since">From (UTC day)</label><input id="f-since" name="since" type="date" /></div>
      <div><label for="f-until">To (UTC day)</label><input id="f-until" name="until" type="date" /></div>
      <button type="submit">Filter</button>
    </form>
    <${ErrorBox} error=${error} retry=${reload} />
    ${loading && !data && html`<${Loading} />`}
    ${data &&
    html`<p class="muted" role="status">${data.total_results} event(s)</p>
      <div class="table-wrap"><table class="audit">
        <thead><tr><th scope="col">When (UTC)</th><th scope="col">Event</th><th scope="col">Severity</th><th scope="col">User</th><th scope="col">Actor</th><th scope="col">Address</th><th scope="col">Details</th></tr></thead>
        <tbody>
          ${data.results.map(
            (e) => html`<tr key=${e.id} class=${`sev-${e.severity}`}>
              <td class="nowrap">${(e.at || "").replace("T", " ").slice(0, 19)}</td><td>${e.event}</td><td>${e.severity}</td>
              <td>${e.user_id ?? ""}</td><td>${e.actor_id ?? ""}</td><td>${e.ip || ""}</td>
              <td><code>${e.details ? JSON.stringify(e.details) : ""}</code></td>
            </tr>`,
          )}
        </tbody>
      </table></div>
      <${Pager} page=${page} totalPages=${Math.ceil(data.total_results / PER_PAGE)} onPage=${setPage} label="Audit log pages" />`}
  </section>`;
}

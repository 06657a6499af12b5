// Trakt: link an account with a device code (the code, the address, live state while
// waiting), unlink; and the watchlist row for the home page.
import { useEffect, useMemo, useState } from "preact/hooks";
import qrcode from "qrcode-generator";
import { html } from "../html.js";
import { api, announce } from "../state.js";
import { ErrorBox, Loading, Row, useAsync } from "./common.js";

const getState = () => api.request("GET", "/api/trakt");

function when(iso) {
  if (!iso) return "never";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The dark modules of a QR code for `text` as one SVG path, drawn on a white quiet zone
 * (4 modules, as the standard asks) so phones read it on the dark theme too. */
function qrPath(text) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const count = qr.getModuleCount();
  let path = "";
  for (let row = 0; row < count; row += 1)
    for (let col = 0; col < count; col += 1) if (qr.isDark(row, col)) path += `M${col + 4} ${row + 4}h1v1h-1z`;
  return { size: count + 8, path };
}

/** A QR code of the activation address, for linking from a phone. */
function ActivationQr({ url }) {
  const { size, path } = useMemo(() => qrPath(url), [url]);
  return html`<svg class="trakt-qr" role="img" aria-label=${`QR code for ${url}`} data-url=${url}
      viewBox=${`0 0 ${size} ${size}`} width="176" height="176" shape-rendering="crispEdges">
    <rect width=${size} height=${size} fill="#fff" />
    <path d=${path} fill="#000" />
  </svg>`;
}

function Pending({ state, onCancel, busy }) {
  const minutes = Math.max(1, Math.round((state.expires_in || 0) / 60));
  return html`<div class="stack">
    <p>
      Go to <a href=${state.verification_url} target="_blank" rel="noopener noreferrer">${state.verification_url}</a>${" "}and enter this code:
    </p>
    <${ActivationQr} url=${state.verification_url} />
    <p class="trakt-code" aria-label=${`Code ${state.user_code.split("").join(" ")}`}><strong>${state.user_code}</strong></p>
    <p class="muted" role="status">Waiting for Trakt… the code expires in about ${minutes} min.</p>
    <button type="button" disabled=${busy} onClick=${onCancel}>Cancel</button>
  </div>`;
}

/** The "Trakt" panel of the account page. */
export function TraktPanel() {
  const [state, setState] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function refresh() {
    try {
      setState(await getState());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    refresh();
  }, []);
  useEffect(() => {
    if (!state || state.state !== "pending") return undefined;
    const timer = setTimeout(refresh, Math.max(1, state.interval || 5) * 1000);
    return () => clearTimeout(timer);
  }, [state]);
  useEffect(() => {
    if (state && state.state === "linked") announce("Trakt account linked");
  }, [state && state.state]);

  async function act(work, message) {
    setBusy(true);
    try {
      await work();
      if (message) announce(message);
      await refresh();
    } catch (err) {
      setError(err);
      announce(err.message);
    } finally {
      setBusy(false);
    }
  }
  const link = () => act(() => api.request("POST", "/api/trakt/link"), "Enter the code at Trakt");
  const unlink = () => act(() => api.request("DELETE", "/api/trakt"), "Trakt account unlinked");

  let body;
  if (!state) body = html`<${Loading} label="Loading Trakt…" />`;
  else if (state.state === "pending") body = html`<${Pending} state=${state} onCancel=${unlink} busy=${busy} />`;
  else if (state.state === "linked")
    body = html`<div class="stack">
      <p>Linked since ${when(state.linked_at)}; last synced ${when(state.synced_at)}.
        ${state.pending_scrobbles ? ` ${state.pending_scrobbles} player event(s) waiting to be sent.` : ""}</p>
      <button type="button" disabled=${busy} onClick=${unlink}>Unlink Trakt</button>
    </div>`;
  else
    body = html`<div class="stack">
      ${state.detail && html`<p class="error-text" role="alert">${state.detail}</p>`}
      <p class="muted">Bring your Trakt watchlist and progress here, and send what you watch back.</p>
      <button type="button" disabled=${busy} onClick=${link}>Link Trakt</button>
    </div>`;
  return html`<section aria-labelledby="trakt-title" class="panel">
    <h2 id="trakt-title">Trakt</h2>
    <${ErrorBox} error=${error} retry=${refresh} />
    ${body}
  </section>`;
}

/** The user's Trakt watchlist as a home-page row (nothing when it is empty). */
export function WatchlistRow() {
  const { data, error, loading, reload } = useAsync(() => api.request("GET", "/api/trakt/watchlist"), []);
  const title = "Your Trakt watchlist";
  if (loading && !data) return html`<${Row} title=${title} id="row-watchlist"><${Loading} label="Loading your watchlist…" /><//>`;
  if (error) return html`<${Row} title=${title} id="row-watchlist"><${ErrorBox} error=${error} retry=${reload} /><//>`;
  const movies = data.items
    .filter((item) => item.kind === "movie")
    .map((item) => ({ tmdb_id: item.tmdb_id, title: item.title, poster_url: item.poster }));
  if (!movies.length) return null;
  return html`<${Row} title=${title} id="row-watchlist" movies=${movies} />`;
}

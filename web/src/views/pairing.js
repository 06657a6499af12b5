// Account → "Pair a TV": the server's LAN address and the short code the TV's first-run
// screen accepts instead of it (GET /api/pairing; the TV decodes the code offline). Without
// a code (loopback only, a host name) the note says why.
import { html } from "../html.js";
import { api } from "../state.js";
import { useAsync, ErrorBox } from "./common.js";

export function PairingPanel() {
  const { data, error, reload } = useAsync(() => api.get("/api/pairing"), []);
  return html`<section aria-labelledby="pairing-title" class="panel pairing">
    <h2 id="pairing-title">Pair a TV</h2>
    <p class="muted">On the Samsung TV app's first screen, type this code (or the address).</p>
    <${ErrorBox} error=${error} retry=${reload} />
    ${data &&
    html`${(data.code || data.address) &&
      html`<dl class="pairing-facts">
        ${data.code && html`<dt>Pairing code</dt><dd><strong id="pairing-code" class="pairing-code">${data.code}</strong></dd>`}
        ${data.address && html`<dt>Server address</dt><dd id="pairing-address">${data.address}</dd>`}
      </dl>`}
      <p id="pairing-note">${data.note}</p>`}
  </section>`;
}

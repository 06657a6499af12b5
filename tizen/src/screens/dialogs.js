// The exit question (asked at the root, as the store rules require) and Settings
// (sign out, forget this server).
import { h } from "../dom.js";

export function exitScreen(app) {
  const stay = h("button#exit-no.primary", { type: "button", text: "Stay", onclick: () => app.nav.back() });
  const leave = h("button#exit-yes", { type: "button", text: "Exit", onclick: () => app.exit() });
  const root = h("div.dialog", { role: "alertdialog", "aria-labelledby": "exit-title" },
    h("div.panel.lrud-container", null,
      h("h1#exit-title", { text: "Exit Miauflix?" }),
      h("div.actions", null, stay, leave)));
  return { name: "exit", root, overlay: true, focus: () => stay };
}

export function settingsScreen(app) {
  const message = h("p#settings-message.message", { role: "status" });
  const root = h("div.settings", null,
    h("div.panel.lrud-container", null,
      h("h1", { text: "Settings" }),
      h("p.lead", null, "Server ", h("strong", { text: app.server })),
      h("div.actions.vertical", null,
        h("button#sign-out.primary", { type: "button", text: "Sign out", onclick: () => app.signOut() }),
        h("button#forget-server", { type: "button", text: "Forget this server", onclick: () => app.forgetServer() }),
        h("button#settings-back", { type: "button", text: "Back", onclick: () => app.nav.back() })),
      message));
  return { name: "settings", root };
}

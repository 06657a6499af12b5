// Entry point: render the app into #app.
import { render } from "preact";
import { html } from "./html.js";
import { App } from "./views/shell.js";
import "./styles.css";

render(html`<${App} />`, document.getElementById("app"));

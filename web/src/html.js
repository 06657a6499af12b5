// htm bound to Preact's h: JSX-like templates without a compiler step.
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);

// "Up next" over a finished episode: the next one starts when the countdown (the web
// client's, web/src/core/episodes.js) reaches 0; "Play now" has the focus, Back or "Cancel"
// stops the countdown, and after the last episode it says so.
import { h, fill } from "../dom.js";
import { AUTOPLAY_SECONDS, createCountdown, episodeLabel } from "../../../web/src/core/episodes.js";
import { counted } from "../../../web/src/core/words.js";

/** upNextPanel(app, episode, { play(target), leave() }) -> { root, focus(), cancel(), dispose() }. */
export function upNextPanel(app, episode, { play, leave }) {
  const root = h("div#up-next.up-next.lrud-container", { role: "dialog", "aria-labelledby": "up-next-title" },
    h("p.message", { text: "Episode finished." }));
  let countdown = null;
  let closed = false;

  const focusIfTop = (el) => {
    const top = app.nav.top();
    if (el && top && top.root.contains(root)) el.focus();
  };

  function render(next) {
    if (closed) return;
    if (!next) {
      const back = h("button#next-back.primary", { type: "button", text: "Back to the show", onclick: leave });
      fill(root, h("h2#up-next-title", { text: "That was the last episode" }), h("div.actions", null, back));
      focusIfTop(back);
      return;
    }
    const label = `${episodeLabel(next.season, next.episode)}${next.name ? `: ${next.name}` : ""}`;
    const count = h("p#next-count.countdown", { role: "status" });
    const now = h("button#next-play-now.primary", { type: "button", text: "Play now", onclick: () => start(next) });
    const cancelButton = h("button#next-cancel", { type: "button", text: "Cancel", onclick: () => cancel() });
    fill(root, h("h2#up-next-title", { text: `Up next: ${label}` }), count, h("div.actions", null, now, cancelButton));
    countdown = createCountdown({
      seconds: AUTOPLAY_SECONDS,
      onTick: (left) => (count.textContent = `Starts in ${counted(left, "second")}`),
      onDone: () => start(next),
    });
    focusIfTop(now);
  }

  function start(next) {
    if (countdown) countdown.cancel();
    closed = true;
    play(next);
  }

  /** Stop the countdown; true when one was running. */
  function cancel() {
    if (!countdown || countdown.remaining() <= 0 || closed) return false;
    countdown.cancel();
    countdown = null;
    const count = root.querySelector("#next-count");
    if (count) count.textContent = "Autoplay cancelled.";
    const cancelButton = root.querySelector("#next-cancel");
    if (cancelButton) cancelButton.remove();
    focusIfTop(root.querySelector("#next-play-now"));
    return true;
  }

  /** The player closed: nothing may start any more. */
  function dispose() {
    closed = true;
    if (countdown) countdown.cancel();
  }

  app.neighbourEpisode(episode, 1).then(render, () => render(null));
  return { root, focus: () => root.querySelector("#next-play-now, #next-back"), cancel, dispose };
}

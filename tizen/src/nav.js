// The screen stack and the remote's arrows. Each screen is { name, root, focus?(), onKey?(),
// onBack?(), close?() }. Opening a screen hides the one below (kept in the DOM, so its rows
// keep the card they were on); Back closes the top one and puts focus back where it was.
// Arrows move focus with @bbc/tv-lrud-spatial inside the top screen; rows are
// `.lrud-container`s, so coming back to a row lands on the card last focused there.
import { getNextFocus } from "@bbc/tv-lrud-spatial";

const ARROWS = { Left: 37, Up: 38, Right: 39, Down: 40 };

export function createNavigator(host, { onRootBack }) {
  const stack = [];

  const top = () => stack[stack.length - 1] || null;

  function focusables(root) {
    return root.querySelectorAll("button:not([disabled]), input:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])");
  }

  function focus(el) {
    if (!el) return;
    el.focus();
    reveal(el);
  }

  function focusInitial(screen) {
    const wanted = screen.lastFocus && screen.root.contains(screen.lastFocus) ? screen.lastFocus : screen.focus ? screen.focus() : null;
    focus(wanted || focusables(screen.root)[0]);
  }

  function open(screen) {
    const below = top();
    if (below) {
      below.lastFocus = document.activeElement;
      if (!screen.overlay) below.root.classList.add("hidden"); // a dialog shows what it covers
    }
    screen.root.classList.add("screen");
    screen.root.setAttribute("data-screen", screen.name);
    host.appendChild(screen.root);
    stack.push(screen);
    focusInitial(screen);
  }

  function closeTop() {
    const screen = stack.pop();
    if (screen.close) screen.close();
    screen.root.remove();
    const below = top();
    if (below) {
      below.root.classList.remove("hidden");
      if (below.shown) below.shown();
      focusInitial(below);
    }
  }

  /** Swap the top screen for `screen` (the next episode's player): Back still leads to
   * the screen below, which keeps the focus it had. */
  function replace(screen) {
    const old = stack.pop();
    if (old) {
      if (old.close) old.close();
      old.root.remove();
    }
    screen.root.classList.add("screen");
    screen.root.setAttribute("data-screen", screen.name);
    host.appendChild(screen.root);
    stack.push(screen);
    focusInitial(screen);
  }

  /** Replace the whole stack with `screen` (after sign-in, sign-out). */
  function reset(screen) {
    while (stack.length) {
      const s = stack.pop();
      if (s.close) s.close();
      s.root.remove();
    }
    open(screen);
  }

  function back() {
    const screen = top();
    if (!screen) return;
    if (screen.onBack && screen.onBack()) return;
    if (stack.length > 1) closeTop();
    else onRootBack();
  }

  function move(direction) {
    const screen = top();
    if (!screen) return;
    const current = document.activeElement;
    if (!current || !screen.root.contains(current)) {
      focusInitial(screen);
      return;
    }
    const next = getNextFocus(current, ARROWS[direction], screen.root);
    if (next) focus(next);
  }

  /** A key for the top screen: its own handler first, then Back / arrows / OK. */
  function key(name, event) {
    const screen = top();
    if (screen && screen.onKey && screen.onKey(name, event)) return true;
    if (name === "Back") {
      back();
      return true;
    }
    if (ARROWS[name]) {
      move(name);
      return true;
    }
    if (name === "Enter") {
      const el = document.activeElement;
      if (el && el.tagName !== "INPUT" && screen && screen.root.contains(el)) {
        el.click();
        return true;
      }
    }
    return false;
  }

  /** Focus the focusable after `el` in document order (a form's next field). */
  function next(el) {
    const screen = top();
    if (!screen) return;
    const all = Array.prototype.slice.call(focusables(screen.root));
    const at = all.indexOf(el);
    if (at >= 0 && at + 1 < all.length) focus(all[at + 1]);
  }

  return { open, replace, back, reset, key, next, top, closeTop, depth: () => stack.length };
}

/** Scroll the nearest row / screen so `el` is on screen (Chromium 56: no smooth options). */
export function reveal(el) {
  const track = el.closest(".row-track");
  if (track) {
    const left = el.offsetLeft; // the track is the card's offsetParent (position: relative)
    if (left < track.scrollLeft) track.scrollLeft = left;
    else if (left + el.offsetWidth > track.scrollLeft + track.clientWidth) {
      track.scrollLeft = left + el.offsetWidth - track.clientWidth;
    }
  }
  const pane = el.closest(".scroll");
  if (pane) {
    const rect = el.getBoundingClientRect();
    const box = pane.getBoundingClientRect();
    const row = el.closest(".row") || el;
    const rowRect = row.getBoundingClientRect();
    if (rowRect.top < box.top) pane.scrollTop -= box.top - rowRect.top;
    else if (rect.bottom > box.bottom) pane.scrollTop += rect.bottom - box.bottom;
  }
}

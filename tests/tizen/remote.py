"""The remote control in a test: keydown events with the legacy ``keyCode`` a Samsung
remote sends, dispatched at the focused element (no mouse, no Playwright key names)."""

from __future__ import annotations

from typing import Any

LEFT, UP, RIGHT, DOWN, OK, BACK = 37, 38, 39, 40, 13, 10009
PLAY, PAUSE, REWIND, FAST_FORWARD, STOP = 415, 19, 412, 417, 413
PREVIOUS, NEXT = 10232, 10233
RED, GREEN, YELLOW, BLUE = 403, 404, 405, 406

PLAYING = (
    "(p => p && p.dataset.state === 'playing' && !p.querySelector('video').paused"
    " && p.querySelector('video').readyState >= 3)(document.querySelector('.player'))"
)

_DISPATCH = """(code) => {
  const event = new KeyboardEvent("keydown", { bubbles: true, cancelable: true });
  Object.defineProperty(event, "keyCode", { get: () => code });
  Object.defineProperty(event, "which", { get: () => code });
  (document.activeElement || document.body).dispatchEvent(event);
}"""


def press(page: Any, *codes: int) -> None:
    """Press remote keys in order, letting the page settle between them."""
    for code in codes:
        page.evaluate(_DISPATCH, code)
        page.wait_for_timeout(60)


def focused(page: Any) -> str:
    """The focused element's id ('' when none)."""
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def wait_js(page: Any, expression: str, timeout: float = 20_000) -> None:
    """Poll a JS expression until it is truthy."""
    waited = 0.0
    while not page.evaluate(f"(() => !!({expression}))()"):
        if waited >= timeout:
            shown = page.evaluate(
                "[...document.querySelectorAll('.message, .player-status')]"
                ".map((e) => e.textContent).join(' | ')"
            )
            raise AssertionError(
                f"{expression} still false after {timeout / 1000:.0f}s; "
                f"focus on {focused(page)!r}; messages: {shown!r}"
            )
        page.wait_for_timeout(100)
        waited += 100


def wait_focus(page: Any, element_id: str, timeout: float = 20_000) -> None:
    """Wait until the element with id `element_id` has the focus."""
    expression = f"document.activeElement && document.activeElement.id === {element_id!r}"
    wait_js(page, expression, timeout)


def video_time(page: Any) -> float:
    return float(page.evaluate("document.querySelector('video').currentTime"))


def walk_to_playable(page: Any, playable: list[int]) -> str:
    """Arrow to a playable movie's card (from the first card); returns its id."""
    where = page.evaluate(
        """(ids) => {
          const rows = [...document.querySelectorAll('.home .row')];
          for (let r = 0; r < rows.length; r++) {
            const cards = [...rows[r].querySelectorAll('.card')];
            const c = cards.findIndex((el) => ids.includes(Number(el.dataset.tmdbId)));
            if (c >= 0) return { row: r, col: c, id: cards[c].id };
          }
          return null;
        }""",
        playable,
    )
    assert where, "no playable movie on the home screen"
    press(page, *([DOWN] * where["row"]), *([RIGHT] * where["col"]))
    assert focused(page) == where["id"]
    return str(where["id"])


def walk_to_card(page: Any, selector: str) -> str:
    """Arrow from the first card to the first card matching `selector`; returns its id."""
    where = page.evaluate(
        """(selector) => {
          const rows = [...document.querySelectorAll('.home .row')];
          for (let r = 0; r < rows.length; r++) {
            const cards = [...rows[r].querySelectorAll('.card')];
            const c = cards.findIndex((el) => el.matches(selector));
            if (c >= 0) return { row: r, col: c, id: cards[c].id };
          }
          return null;
        }""",
        selector,
    )
    assert where, f"no {selector} on the home screen"
    press(page, *([DOWN] * where["row"]), *([RIGHT] * where["col"]))
    assert focused(page) == where["id"]
    return str(where["id"])

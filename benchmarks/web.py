"""Web client benchmark in real Chromium against a demo-like stack whose seeder uploads at
most 4 MB/s (``--rate``): click Play → ``playing`` for titles the engine has not started
(median over the seeded titles, each cold) and for a title already streaming (warm);
sign-in click → first poster painted; JS+CSS bytes transferred (compressed). Where the
cold time goes is split into: the stream URL from the API, the engine answering the first
bytes (torrent fetch + metadata + peers + first pieces), the MP4 index (``moov``; at the
end of the file for some titles) up to ``loadedmetadata``, and the first frames; and the
cold click-to-playing per MP4 layout (``moov`` first or last, read from each played file).

    .venv/bin/python benchmarks/web.py [--rate 4000000] [--titles 6]

TMDB images come from a local stand-in (the sandbox has no network), so "first poster"
measures this client and API, not TMDB's CDN. Needs /usr/bin/chromium and web/dist.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.web.stack import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CHROMIUM,
    WEB_DIST,
    Stack,
    fake_tmdb_image,
    start_stack,
)

AIMS = {"cold_s": 1.0, "warm_s": 0.3, "first_poster_s": 1.0, "bundle_kb": 150.0}
OUT = REPO / "benchmarks" / "out"

# Marks in the page, in ms of performance.now(): media events are caught in the capture
# phase on document, so they are seen even before the view attaches its own listeners.
PROBE = """() => {
  window.__bench = { marks: {} };
  const mark = (name) => { if (window.__bench.marks[name] == null)
    window.__bench.marks[name] = performance.now(); };
  for (const name of ['loadstart', 'loadedmetadata', 'loadeddata', 'canplay', 'playing'])
    document.addEventListener(name, () => mark(name), true);
  document.addEventListener('load', (e) => { if (e.target.tagName === 'IMG')
    requestAnimationFrame(() => mark('poster')); }, true);
  document.addEventListener('click', () => mark('click'), true);
}"""


def _serve_stack(rate: int, titles: int) -> int:
    """Run ``miauflix demo`` with a rate-limited seeder sharing ``titles`` demo videos."""
    from miauflix import demo
    from miauflix.cli import _settings
    from sandbox.demo_media import DEMO_VIDEOS, DemoVideo

    extra = tuple(
        DemoVideo(f"miauflix-bench-{i}.mp4", 1280, 720, 24 + i, 2500, i % 2 == 0, f"Bench {i}")
        for i in range(max(0, titles - len(DEMO_VIDEOS)))
    )
    demo.DemoSwarm = functools.partial(  # type: ignore[misc,assignment]
        demo.DemoSwarm, upload_rate_limit=rate, videos=DEMO_VIDEOS + extra
    )
    return demo.run_demo(_settings(), ui=False)


def _marks(page: Any) -> dict[str, float]:
    marks: dict[str, float] = page.evaluate("window.__bench.marks")
    return marks


def _wait(page: Any, expression: str, timeout_ms: float = 120_000) -> None:
    waited = 0.0
    while not page.evaluate(f"(() => !!({expression}))()"):
        if waited > timeout_ms:
            raise TimeoutError(expression)
        page.wait_for_timeout(20)
        waited += 20


def _sign_in(page: Any) -> dict[str, float]:
    page.goto("/")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.evaluate(PROBE)
    page.get_by_role("button", name="Sign in").click()
    _wait(page, "window.__bench.marks.poster != null")
    return _marks(page)


def _play(page: Any, tmdb_id: int) -> dict[str, float]:
    """Open the movie page, click Play, wait for `playing`; marks relative to the click."""
    page.goto(f"/movie/{tmdb_id}")
    page.get_by_role("button", name="Play").wait_for()
    page.evaluate(PROBE)
    page.evaluate("performance.clearResourceTimings()")
    page.get_by_role("button", name="Play").click()
    _wait(page, "window.__bench.marks.playing != null")
    marks = _marks(page)
    stream = page.evaluate(
        "(() => { const e = performance.getEntriesByType('resource')"
        ".find(r => r.name.includes('/stream') && r.initiatorType === 'fetch');"
        " return e ? e.responseEnd : null; })()"
    )
    click = marks["click"]
    out: dict[str, Any] = {name: (value - click) / 1000 for name, value in marks.items()}
    if stream is not None:
        out["stream_url"] = (stream - click) / 1000
    out["layout"] = _layout(page.evaluate("document.querySelector('video').currentSrc"))
    page.goto("about:blank")  # stop reading: leave the torrent to the engine
    return out


def _layout(src: str) -> str:
    """'moov first' or 'moov last': the played file's MP4 layout, from its first bytes
    (read after the measurement, so it costs the measured run nothing)."""
    import httpx

    from engine.mp4 import locate_index

    response = httpx.get(src, headers={"Range": "bytes=0-65535"}, timeout=30)
    size = int(response.headers.get("content-range", "/0").rsplit("/", 1)[1])
    found = locate_index(response.content, size)
    if found is None:
        return "unknown"
    return "moov first" if found.exact else "moov last"


def _bundle_bytes(page: Any) -> int:
    total: int = page.evaluate(
        "performance.getEntriesByType('resource')"
        ".filter(r => /\\.(js|css)$/.test(new URL(r.name).pathname))"
        ".reduce((sum, r) => sum + r.encodedBodySize, 0)"
    )
    return total


def _measure(stack: Stack, browser: Any) -> dict[str, Any]:
    context = browser.new_context(base_url=stack.api, viewport={"width": 1280, "height": 800})
    context.route(
        "https://image.tmdb.org/**",
        lambda route: route.fulfill(
            content_type="image/svg+xml", body=fake_tmdb_image(route.request.url)
        ),
    )
    page = context.new_page()
    signin = _sign_in(page)
    poster_s = (signin["poster"] - signin["click"]) / 1000
    bundle = _bundle_bytes(page)

    cold = [_play(page, tmdb_id) for tmdb_id in stack.playable]
    warm = [_play(page, stack.playable[0]) for _ in range(3)]
    context.close()
    return {"first_poster_s": poster_s, "bundle_bytes": bundle, "cold": cold, "warm": warm}


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if key in run]
    return statistics.median(values) if values else None


def _report(result: dict[str, Any], rate: int) -> None:
    cold, warm = result["cold"], result["warm"]
    cold_s, warm_s = _median(cold, "playing"), _median(warm, "playing")
    kb = result["bundle_bytes"] / 1000
    print(f"seeder upload limit: {rate / 1e6:.1f} MB/s; {len(cold)} cold titles, 3 warm runs")
    rows = [
        ("click Play → playing, cold (median)", cold_s, AIMS["cold_s"], "s"),
        ("click Play → playing, warm (median)", warm_s, AIMS["warm_s"], "s"),
        ("sign-in → first poster painted", result["first_poster_s"], AIMS["first_poster_s"], "s"),
        ("JS+CSS transferred (compressed)", kb, AIMS["bundle_kb"], "KB"),
    ]
    for label, value, aim, unit in rows:
        shown = "n/a" if value is None else f"{value:.3f}"
        verdict = "" if value is None else ("ok" if value <= aim else "MISSED")
        print(f"  {label:<40} {shown:>8} {unit:<2}  aim <= {aim} {unit}  {verdict}")
    print("where cold time goes (median seconds after the click):")
    for key, meaning in (
        ("stream_url", "stream URL answered by the API"),
        ("loadstart", "video element starts loading"),
        ("loadedmetadata", "engine served the header + MP4 index (moov)"),
        ("loadeddata", "first frame decoded"),
        ("playing", "playing"),
    ):
        value = _median(cold, key)
        print(f"  {meaning:<46} {'n/a' if value is None else f'{value:.3f}':>8}")
    print("click Play → playing, cold, by MP4 layout (median seconds):")
    for layout in ("moov first", "moov last"):
        runs = [run for run in cold if run.get("layout") == layout]
        value = _median(runs, "playing")
        meta = _median(runs, "loadedmetadata")
        shown = "n/a" if value is None else f"{value:.3f}"
        index = "n/a" if meta is None else f"{meta:.3f}"
        print(f"  {layout:<11} {shown:>8}  (index read by {index} s; {len(runs)} titles)")
    print("  per title (layout: stream URL / metadata / playing):")
    for run in cold:
        print(
            f"    {run.get('layout', '?')}:",
            " / ".join(f"{run.get(k, float('nan')):.3f}" for k in ("stream_url", "loadedmetadata")),
            f"/ {run['playing']:.3f}",
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "web.json").write_text(json.dumps({"rate": rate, **result}, indent=2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=4_000_000, help="seeder upload, bytes/s")
    parser.add_argument("--titles", type=int, default=6, help="seeded titles (cold runs)")
    parser.add_argument("--serve-stack", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_stack:
        return _serve_stack(args.rate, args.titles)
    if not CHROMIUM.exists() or not (WEB_DIST / "index.html").is_file():
        print(f"needs {CHROMIUM} and {WEB_DIST}/index.html (scripts/setup.sh)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    command = (str(Path(__file__).resolve()), "--serve-stack", "--rate", str(args.rate),
               "--titles", str(args.titles))  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="miauflix-web-bench-") as tmp:
        stack = start_stack(Path(tmp), movies=60, command=command, timeout=600)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM))
                result = _measure(stack, browser)
                browser.close()
        finally:
            stack.stop()
    _report(result, args.rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

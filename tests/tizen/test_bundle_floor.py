"""The packaged TV bundle calls no built-in that Chromium 56 (Tizen 4.0, 2018 TVs) lacks.
esbuild lowers syntax but adds no polyfills, so a `padStart` in the shared core would throw
on every clock update on such a TV while every test in today's Chromium passes."""

from __future__ import annotations

from pathlib import Path

import pytest

# API -> the Chromium version that added it (all after 56).
NEWER_THAN_56 = {
    ".padStart(": 57, ".padEnd(": 57, "IntersectionObserver": 58, ".finally(": 63,
    "ResizeObserver": 64, ".trimStart(": 66, ".trimEnd(": 66, "new AbortController": 66,
    ".flat(": 69, ".flatMap(": 69, "globalThis": 71, "queueMicrotask": 71,
    "Object.fromEntries": 73, ".matchAll(": 73, "Promise.allSettled": 76,
    ".replaceAll(": 85, "Promise.any(": 85, "structuredClone": 98,
}  # fmt: skip


@pytest.mark.parametrize("api", sorted(NEWER_THAN_56))
def test_the_tv_bundle_uses_no_api_newer_than_chromium_56(package_dir: Path, api: str) -> None:
    bundle = (package_dir / "app.js").read_text()
    assert api not in bundle, f"{api} needs Chromium {NEWER_THAN_56[api]}"

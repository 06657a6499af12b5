"""The words beside each source (web/src/core/explain.js): plain language a person reads at a
glance, not the ranking's internals (no raw scores or points, no "band" or "starved")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.node import run_module_script

EXPLAIN = Path(__file__).resolve().parents[2] / "web" / "src" / "core" / "explain.js"

SCRIPT = r"""
import { whyChosen, sourceReason } from %(module)s;
const { sources, runtime } = JSON.parse(process.argv[1]);
console.log(JSON.stringify({
  why: whyChosen(sources[0], sources),  // the page passes the first of its own list
  reasons: sources.map((s) => sourceReason(s, runtime)),
}));
"""

BEST = {
    "quality": "1080p", "resolution": 1080, "source_type": "bluray", "codec": "x264",
    "size_bytes": 2_000_000_000, "bitrate_mbps": 0.4, "seeds": 3, "score": -64.8,
    "components": {"resolution": 20.0, "source": 6.0, "health": 2.5, "age": -1.0},
}  # fmt: skip
SECOND = {
    "quality": "720p", "resolution": 720, "source_type": "web", "codec": "x264",
    "size_bytes": 9_000_000_000, "bitrate_mbps": 9.0, "seeds": 40, "score": -80.0,
    "components": {"resolution": 10.0, "source": 4.0, "health": 5.0},
}  # fmt: skip


def _explain(sources: list[dict[str, Any]]) -> Any:
    """whyChosen for the first of ``sources`` and sourceReason for each (a 142 min film)."""
    return run_module_script(SCRIPT, EXPLAIN, {"sources": sources, "runtime": 142})


def test_the_choice_is_told_in_words_without_scores() -> None:
    why = _explain([BEST, SECOND])["why"]
    assert why == (
        "Picked as the best for this device: its resolution and release source stand out;"
        " only 3 seeders, so it may start slowly. Ahead of 720p WEB x264 on resolution and"
        " release source."
    )
    assert "score" not in why and "+" not in why and "-64.8" not in why


def test_the_bitrate_is_judged_against_the_resolution_in_plain_words() -> None:
    low, high = _explain([BEST, SECOND])["reasons"]
    assert low == ("1080p BluRay x264 · 2.0 GB for 142 min (0.4 Mbit/s, low for 1080p: may look"
                   " soft) · 3 seeders")  # fmt: skip
    assert "(9.0 Mbit/s, high for 720p: needs a fast swarm)" in high
    usual = _explain([{**BEST, "bitrate_mbps": 4.0}])["reasons"][0]
    assert "(4.0 Mbit/s, usual for 1080p)" in usual


def test_a_source_without_seeders_or_a_runner_up_is_still_explained() -> None:
    alone = {**BEST, "seeds": 0, "components": {}}
    assert _explain([alone])["why"] == ("Picked as the best for this device; no seeders right now.")
    many = {**BEST, "seeds": 250, "reliability_note": "stalled twice this week"}
    assert _explain([many])["why"] == (
        "Picked as the best for this device: its resolution, release source and seeders stand"
        " out; many seeders; stalled twice this week."
    )

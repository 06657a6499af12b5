"""Previous / next episode (web/src/core/episodes.js, shared by the web client's autoplay and
the TV's media keys): within a season, across numbered seasons (skipping empty ones and
seasons that load without episodes), specials on their own, null at either end; and the
autoplay countdown ticks down to its end unless cancelled. Run in Node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.node import run_module_script

EPISODES = Path(__file__).resolve().parents[2] / "web" / "src" / "core" / "episodes.js"

SCRIPT = """
import { nextEpisode, previousEpisode, createCountdown } from %(module)s;
const eps = (...numbers) => ({
  episodes: numbers.map((n) => ({ episode_number: n, name: `E${n}` })),
});
const seasons = { 0: eps(1, 2), 1: eps(1, 2, 3), 2: eps(), 3: eps(5, 4), 4: null };
const show = { seasons: [
  { season_number: 0, episode_count: 2 }, { season_number: 1, episode_count: 3 },
  { season_number: 2, episode_count: 0 }, { season_number: 3, episode_count: 2 },
  { season_number: 4, episode_count: 9 },
] };
const loaded = [];
const loadSeason = async (n) => { loaded.push(n); return seasons[n]; };
const at = (season, episode) => ({
  show, seasonData: seasons[season], season, episode, loadSeason,
});
const brief = (e) => (e ? [e.season, e.episode] : null);
const out = {
  nextInSeason: brief(await nextEpisode(at(1, 1))),
  nextAcrossSeasons: brief(await nextEpisode(at(1, 3))),
  nextAtTheEnd: brief(await nextEpisode(at(3, 5))),
  nextSpecial: brief(await nextEpisode(at(0, 1))),
  nextAfterSpecials: brief(await nextEpisode(at(0, 2))),
  prevInSeason: brief(await previousEpisode(at(3, 5))),
  prevAcrossSeasons: brief(await previousEpisode(at(3, 4))),
  prevAtTheStart: brief(await previousEpisode(at(1, 1))),
  prevSpecial: brief(await previousEpisode(at(0, 2))),
  prevBeforeSpecials: brief(await previousEpisode(at(0, 1))),
  prevFromAGap: brief(await previousEpisode(at(3, 4.5))),
  loaded,
};
const ticks = [];
let step = null;
let done = 0;
const countdown = createCountdown({ seconds: 3, onTick: (n) => ticks.push(n), onDone: () => done++,
  every: (fn) => { step = fn; return () => { step = null; }; } });
while (step) step();
const cancelled = [];
const stopped = createCountdown({ seconds: 3, onTick: (n) => cancelled.push(n),
  onDone: () => done++, every: (fn) => { step = fn; return () => { step = null; }; } });
step();
stopped.cancel();
out.countdown = {
  ticks, done, remaining: countdown.remaining(), cancelled, left: stopped.remaining(),
};
console.log(JSON.stringify(out));
"""


def _run() -> dict[str, Any]:
    result: dict[str, Any] = run_module_script(SCRIPT, EPISODES)
    return result


def test_previous_and_next_episode_walk_seasons_and_stop_at_either_end() -> None:
    out = _run()
    assert out["nextInSeason"] == [1, 2]
    assert out["nextAcrossSeasons"] == [3, 4]  # season 2 is empty: skipped
    assert out["nextAtTheEnd"] is None  # season 4 loads without episodes
    assert out["nextSpecial"] == [0, 2]
    assert out["nextAfterSpecials"] is None  # specials run on their own
    assert out["prevInSeason"] == [3, 4]
    assert out["prevAcrossSeasons"] == [1, 3]  # the last episode of season 1
    assert out["prevAtTheStart"] is None
    assert out["prevSpecial"] == [0, 1]
    assert out["prevBeforeSpecials"] is None
    assert out["prevFromAGap"] == [3, 4]
    assert 2 not in out["loaded"]  # an empty season is never fetched


def test_the_autoplay_countdown_ends_once_or_not_at_all_when_cancelled() -> None:
    countdown = _run()["countdown"]
    assert countdown["ticks"] == [3, 2, 1, 0]
    assert countdown["done"] == 1  # the cancelled one never fires
    assert countdown["remaining"] == 0
    assert countdown["cancelled"] == [3, 2]
    assert countdown["left"] == 2

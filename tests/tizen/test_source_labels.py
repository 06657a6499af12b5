"""How the TV names a source (tizen/src/titles.js): on a movie's source buttons
(``sourceLabel``) and in the player's stats (``sourceFacts``), a release holding several
episodes says which ("E1-E2" with an en dash, from the season answer's ``episodes``); one episode,
a season pack and a movie source say nothing more. Run in Node, as the app's modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.node import run_module_script

TITLES = Path(__file__).resolve().parents[2] / "tizen" / "src" / "titles.js"
SCRIPT = """
import { sourceLabel, sourceFacts } from %(module)s;
const cases = JSON.parse(process.argv[1]);
console.log(JSON.stringify(cases.map((c) => [sourceLabel(c), sourceFacts(c)])));
"""
BASE = {"quality": "1080p", "codec": "x265", "source_type": "web", "seeds": 12}


def _names(sources: list[dict[str, Any]]) -> list[list[str]]:
    result: list[list[str]] = run_module_script(SCRIPT, TITLES, sources)
    return result


def test_a_multi_episode_release_names_its_episodes() -> None:
    [[label, facts]] = _names([{**BASE, "episodes": [1, 2]}])
    assert label == "1080p · x265 · web · E1\u2013E2 · 12 seeds"
    assert facts == "1080p x265 web E1\u2013E2"


def test_one_episode_a_pack_and_a_movie_source_name_no_episodes() -> None:
    names = _names([{**BASE, "episodes": [3]}, {**BASE, "episodes": None}, BASE])
    assert names == [["1080p · x265 · web · 12 seeds", "1080p x265 web"]] * 3


def test_a_hostile_episode_list_is_not_shown() -> None:
    [[label, facts]] = _names([{**BASE, "episodes": [1, "<img src=x onerror=alert(1)>"]}])
    assert "<" not in label + facts
    assert facts == "1080p x265 web"

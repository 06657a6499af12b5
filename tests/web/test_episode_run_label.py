"""The "E1-E2" tag (an en dash) of a multi-episode release (web/src/core/episodes.js
``episodeRun``, shown beside an episode's source on the show page and in the player): a run
in the season answer's ``episodes`` gets it; one episode, a season pack (null) and malformed
or hostile values get none. Run in Node, as the client's other core modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.node import run_module_script

DASH = "\u2013"  # en dash
EPISODES = Path(__file__).resolve().parents[2] / "web" / "src" / "core" / "episodes.js"

SCRIPT = """
import { episodeRun } from %(module)s;
const cases = JSON.parse(process.argv[1]);
const out = cases.map((c) => episodeRun(c === "undefined" ? undefined : c));
console.log(JSON.stringify(out));
"""


def _labels(sources: list[Any]) -> list[Any]:
    result: list[Any] = run_module_script(SCRIPT, EPISODES, sources)
    return result


def test_a_run_of_episodes_is_tagged_first_to_last() -> None:
    double, triple, long = _labels(
        [{"episodes": [1, 2]}, {"episodes": [4, 5, 6]}, {"episodes": list(range(1, 51))}]
    )
    assert double == {
        "first": 1,
        "last": 2,
        "label": f"E1{DASH}E2",
        "title": "One release holding episodes 1 to 2",
    }
    assert triple["label"] == f"E4{DASH}E6"
    assert long["label"] == f"E1{DASH}E50"


@pytest.mark.parametrize(
    "source",
    [
        {"episodes": [3]},  # one episode
        {"episodes": None},  # a season pack
        {"is_pack": True},  # a movie source, or an answer from before the field
        {"episodes": []},
        {"episodes": [2, 1]},  # not ascending
        {"episodes": [2, 2]},
        {"episodes": ["1", "2"]},
        {"episodes": [1.5, 2]},
        {"episodes": [-1, 2]},
        {"episodes": "1-2"},
        {"episodes": {"0": 1, "1": 2, "length": 2}},
        {"episodes": [1, "<img src=x onerror=alert(1)>"]},
        None,
        "undefined",
    ],
)
def test_one_episode_a_pack_or_a_malformed_list_gets_no_tag(source: Any) -> None:
    assert _labels([source]) == [None]

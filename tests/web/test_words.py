"""Counted words on the pages (web/src/core/words.js): "1 show", never "1 shows"."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.node import run_module_script

WORDS = Path(__file__).resolve().parents[2] / "web" / "src" / "core" / "words.js"

SCRIPT = r"""
import { counted } from %(module)s;
const cases = JSON.parse(process.argv[1]);
console.log(JSON.stringify(cases.map(([n, word, many]) => counted(n, word, many ?? undefined))));
"""


def test_one_is_singular_and_every_other_count_plural() -> None:
    cases = [[1, "show", None], [0, "show", None], [2, "episode", None], [21, "seeder", None]]
    assert run_module_script(SCRIPT, WORDS, cases) == [
        "1 show", "0 shows", "2 episodes", "21 seeders",
    ]  # fmt: skip


def test_an_irregular_plural_is_given_by_the_caller() -> None:
    cases = [[1, "series", "series"], [3, "series", "series"], [-1, "peer", None]]
    assert run_module_script(SCRIPT, WORDS, cases) == ["1 series", "3 series", "-1 peers"]

"""The fake EZTV lists double-episode premieres in every spelling the scene uses, with
EZTV's quirks (the first episode in ``episode``) and a hash of their own; adding them left
every other torrent of the listing unchanged."""

from __future__ import annotations

import re

import pytest

from sandbox import eztv_records
from sandbox.catalogue import SyntheticCatalogue
from sandbox.tv_records import layout

DOUBLE = re.compile(r"(S\d{2}E01E02|S\d{2}E01-E?02|\d{1,2}x01-\d{1,2}x02)[. ]")


def _listing(catalogue: SyntheticCatalogue) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for show_id in catalogue.tv_ids:
        imdb = catalogue.show_imdb_id(show_id)
        out += catalogue.eztv_torrents(imdb) if imdb else []
    return out


def test_doubles_come_in_every_spelling_with_their_first_episode() -> None:
    torrents = _listing(SyntheticCatalogue(300, seed=8))
    doubles = [t for t in torrents if DOUBLE.search(str(t["title"]))]
    spellings = {m for t in doubles for m in ("E01E02", "E01-E02", "E01-02", "x01-")
                 if m in str(t["title"])}  # fmt: skip
    assert len(doubles) >= 4 and spellings == {"E01E02", "E01-E02", "E01-02", "x01-"}
    assert all(t["episode"] == "1" and int(str(t["season"])) >= 1 for t in doubles)
    hashes = [t["hash"] for t in torrents]
    assert len(hashes) == len(set(hashes))


def test_doubles_only_open_seasons_of_two_episodes_or_more() -> None:
    catalogue = SyntheticCatalogue(300, seed=8)
    for show_id in catalogue.tv_ids:
        imdb = catalogue.show_imdb_id(show_id)
        seasons = layout(catalogue.seed, show_id)[1]
        for t in catalogue.eztv_torrents(imdb) if imdb else []:
            if DOUBLE.search(str(t["title"])):
                assert seasons[int(str(t["season"])) - 1] >= 2


def test_adding_doubles_left_the_other_torrents_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue = SyntheticCatalogue(300, seed=8)
    shows = [(s, catalogue.show_imdb_id(s)) for s in catalogue.tv_ids]
    before = {s: eztv_records.show_torrents(8, s, imdb[2:]) for s, imdb in shows if imdb}
    monkeypatch.setattr(eztv_records, "MULTI_SHARE", 0.0)
    seen = 0
    for show_id, listing in before.items():
        imdb = catalogue.show_imdb_id(show_id) or ""
        without = eztv_records.show_torrents(8, show_id, imdb[2:])
        doubles = [t for t in listing if DOUBLE.search(str(t["title"]))]
        seen += len(doubles)
        assert [t for t in listing if t not in doubles] == without
    assert seen > 0

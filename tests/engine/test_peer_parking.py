"""Which stalled peers are parked: a snubbed peer holding requests (whatever its averaged
rate still says), only while enough other addresses deliver, never an address a delivering
peer shares or one delivering to another torrent, a bounded number at once, each for a
while and then let back; and a seeder that stalls mid-stream in a real swarm on loopback."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import NamedTuple

import httpx

from core.crypto import FieldCipher
from core.settings import Settings
from engine.lt import PeerView
from engine.peer_parking import MAX_PARKED, PeerParking
from sandbox.swarm import SeededTorrent, Seeder, make_torrent
from sandbox.tracker import Tracker
from tests.engine.conftest import (
    CatalogSource,
    start_engine,
    stop_engine,
    wait_until,
    with_bt_port,
    write_catalog,
)

FAST = 500_000
T = "ab" * 20  # the torrent reviewed


def peer(ip: str, rate: int = FAST, queued: int = 10, snubbed: bool = False) -> PeerView:
    return PeerView(ip, 6881, rate, queued, snubbed)


def stalled(ip: str, queued: int = 40) -> PeerView:
    return peer(ip, rate=0, queued=queued, snubbed=True)


def test_a_stalled_peer_is_parked_while_two_others_deliver_and_let_back_later() -> None:
    parking = PeerParking(park_seconds=120)
    peers = [peer("10.0.0.1"), peer("10.0.0.2"), stalled("10.0.0.9")]
    assert parking.review(T, peers, now=100) == ["10.0.0.9"]
    assert parking.parked() == ["10.0.0.9"]
    assert parking.review(T, peers, now=101) == []  # already parked
    assert not parking.expire(now=219.9)
    assert parking.expire(now=220) and parking.parked() == []


def test_no_peer_is_parked_when_fewer_than_two_others_deliver() -> None:
    parking = PeerParking()
    assert parking.review(T, [peer("10.0.0.1"), stalled("10.0.0.9")], now=0) == []
    slow = peer("10.0.0.2", rate=1000)  # sending, but below a block a second
    assert parking.review(T, [peer("10.0.0.1"), slow, stalled("10.0.0.9")], now=0) == []
    assert parking.parked() == []


def test_only_a_snubbed_peer_holding_requests_and_sending_nothing_counts_as_stalled() -> None:
    parking = PeerParking()
    others = [peer("10.0.0.1"), peer("10.0.0.2")]
    idle = peer("10.0.0.7", rate=0, queued=0, snubbed=True)  # nothing asked of it
    slow_start = peer("10.0.0.8", rate=0, queued=40, snubbed=False)  # not judged yet
    assert parking.review(T, [*others, idle, slow_start], now=0) == []
    # libtorrent's rate is an average: a peer snubbed moments ago still shows one
    just_stopped = peer("10.0.0.9", rate=200_000, queued=40, snubbed=True)
    assert parking.review(T, [*others, just_stopped], now=0) == ["10.0.0.9"]


def test_an_address_shared_with_a_delivering_peer_is_never_parked() -> None:
    parking = PeerParking()
    peers = [peer("127.0.0.1"), peer("10.0.0.2"), peer("10.0.0.3"), stalled("127.0.0.1")]
    assert parking.review(T, peers, now=0) == []


def test_an_address_delivering_to_another_torrent_is_never_parked() -> None:
    """The IP filter is the session's: parking a peer stalled here would also drop it from
    a torrent it is sending to."""
    parking = PeerParking()
    peers = [peer("10.0.0.1"), peer("10.0.0.2"), stalled("10.0.0.8"), stalled("10.0.0.9")]
    assert parking.review(T, peers, now=0, delivering_elsewhere={"10.0.0.9"}) == ["10.0.0.8"]
    assert parking.parked() == ["10.0.0.8"]


def test_at_most_half_as_many_as_deliver_are_parked_at_a_time_and_never_over_the_cap() -> None:
    parking = PeerParking()
    delivering = [peer(f"10.0.0.{n}") for n in range(1, 5)]
    stuck = [stalled(f"10.0.1.{n}") for n in range(1, 6)]
    assert parking.review(T, [*delivering, *stuck], now=0) == ["10.0.1.1", "10.0.1.2"]
    many = [peer(f"10.1.{n // 250}.{n % 250}") for n in range(100)]
    lots = [stalled(f"10.2.{n // 250}.{n % 250}") for n in range(100)]
    parking.review(T, [*many, *lots], now=1)
    assert len(parking.parked()) == MAX_PARKED
    assert parking.review(T, [*many, stalled("10.3.0.1")], now=2) == []


def test_parked_peers_come_back_at_once_when_their_torrent_starves_not_when_it_idles() -> None:
    parking = PeerParking(park_seconds=120)
    assert parking.review(T, [peer("10.0.0.1"), peer("10.0.0.2"), stalled("10.0.0.9")],
                          now=0) == ["10.0.0.9"]  # fmt: skip
    other = "cd" * 20
    assert parking.review(other, [peer("10.0.1.1"), peer("10.0.1.2"), stalled("10.0.1.9")],
                          now=0) == ["10.0.1.9"]  # fmt: skip
    slow = peer("10.0.0.1", rate=1000)
    assert parking.release_if_starved(T, [slow, peer("10.0.0.2")]) == []  # one still delivers
    idle = [peer("10.0.0.1", rate=0, queued=0), peer("10.0.0.2", rate=0, queued=0)]
    assert parking.release_if_starved(T, idle) == []  # nothing asked: idle, not starved
    assert parking.release_if_starved(T, [slow, stalled("10.0.0.2")]) == ["10.0.0.9"]
    assert parking.release_if_starved(T, []) == []  # nothing parked for it any more
    assert parking.parked() == ["10.0.1.9"]  # the other torrent's stays out
    assert parking.expire(now=120) and parking.parked() == []


# --- a real swarm --------------------------------------------------------------------------


class ParkSwarm(NamedTuple):
    film: Path
    tracker: Tracker
    torrent: SeededTorrent
    seeders: list[Seeder]

    def stop(self) -> None:
        for seeder in self.seeders:
            seeder.stop()
        self.tracker.stop()

    def sha256(self) -> str:
        return hashlib.sha256(self.film.read_bytes()).hexdigest()


def park_swarm(tmp_path: Path, settings: Settings, cipher: FieldCipher) -> ParkSwarm:
    """A 24 MiB film seeded by three seeders at 1.5 MB/s on 127.0.0.31-33, in the catalog
    as ``src-park``."""
    film = tmp_path / "film.mp4"
    film.write_bytes(random.Random(7).randbytes(24 * 1024 * 1024))
    tracker = Tracker().start()
    torrent = make_torrent(film, trackers=[tracker.announce_url], piece_size=256 * 1024)
    seeders = [Seeder(host=f"127.0.0.{31 + n}", upload_rate_limit=1_500_000).start()
               for n in range(3)]  # fmt: skip
    for seeder in seeders:
        seeder.seed(torrent)
    write_catalog(settings.catalog_path, cipher, [CatalogSource(
        "src-park", 301, torrent, torrent.info_hash, magnet=torrent.magnet([tracker.announce_url])
    )])  # fmt: skip
    return ParkSwarm(film, tracker, torrent, seeders)


def test_a_seeder_that_stalls_mid_stream_is_parked_and_the_stream_goes_on(
    tmp_path: Path, settings: Settings, cipher: FieldCipher
) -> None:
    """Three seeders on their own loopback addresses; the first stops sending while a
    reader streams: it is dropped, and every byte still arrives, from the other two."""
    swarm = park_swarm(tmp_path, settings, cipher)
    seeders, torrent = swarm.seeders, swarm.torrent
    run = start_engine(with_bt_port(settings))
    digest, parked_seen, peers_after = hashlib.sha256(), 0, set()
    try:
        with httpx.stream("GET", run.url("alice", "src-park"), timeout=60) as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes(256 * 1024):
                digest.update(chunk)
                if response.num_bytes_downloaded >= 4 * 1024 * 1024 and seeders[0].running:
                    seeders[0].set_upload_rate_limit(1)  # connected, sends nothing
                if not parked_seen:
                    parked_seen = run.engine.status()["transfer"]["parked_peers"]
                    if parked_seen:
                        handle = run.engine._handles[torrent.info_hash]
                        # libtorrent applies the IP filter on its own thread, a moment later
                        gone = lambda h=handle: "127.0.0.31" not in {p.ip for p in h.peers()}  # noqa: E731
                        wait_until(gone, timeout=10)
                        peers_after = {p.ip for p in handle.peers()}
    finally:
        stop_engine(run)
        swarm.stop()
    assert digest.hexdigest() == swarm.sha256()
    assert parked_seen == 1
    assert "127.0.0.31" not in peers_after and peers_after  # dropped; the others stay


def test_a_parked_seeder_is_let_back_when_the_others_stall_and_the_stream_ends_from_it(
    tmp_path: Path, settings: Settings, cipher: FieldCipher
) -> None:
    """The first seeder stalls and is parked; it recovers, and then the two others stall.
    Without it the stream would wait out the park (120 s, past the 30 s stall timeout):
    it is let back at once and every byte arrives."""
    swarm = park_swarm(tmp_path, settings, cipher)
    first, others = swarm.seeders[0], swarm.seeders[1:]
    run = start_engine(with_bt_port(settings))
    digest, phases = hashlib.sha256(), ["streaming"]
    try:
        with httpx.stream("GET", run.url("alice", "src-park"), timeout=60) as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes(256 * 1024):
                digest.update(chunk)
                parked = run.engine.status()["transfer"]["parked_peers"]
                if phases[-1] == "streaming" and response.num_bytes_downloaded >= 4 << 20:
                    first.set_upload_rate_limit(1)  # connected, sends nothing
                    phases.append("first stalled")
                elif phases[-1] == "first stalled" and parked:
                    first.set_upload_rate_limit(1_500_000)
                    for seeder in others:
                        seeder.set_upload_rate_limit(1)
                    phases.append("others stalled")
                if phases[-1] == "others stalled" and not parked:
                    phases.append("let back")
    finally:
        stop_engine(run)
        swarm.stop()
    assert phases == ["streaming", "first stalled", "others stalled", "let back"]
    assert digest.hexdigest() == swarm.sha256()

"""Peers that stop sending while holding our requests are set aside for a while.

libtorrent marks such a peer *snubbed*: requests outstanding and not one block for
``piece_timeout`` (2 s; a 0.5 MB/s peer sends a block every 33 ms). But it takes back only
one of its queued blocks per timeout, so a seeder that stalls mid-stream keeps up to a
second of the reader's blocks (its whole request queue) hostage, and the pieces at the
cursor wait for libtorrent's time-critical logic to ask someone else. The Python binding
has no call to drop one peer, so a stalled peer is *parked*: its address goes into the
session's IP filter (libtorrent drops it at once and its requests go back to the picker)
for ``PARK_SECONDS``; then it may connect again.

Snubbed is the signal, not the peer's rate: libtorrent's rate is an average that takes
seconds to decay, so a seeder that stopped still shows one. Parking is careful, because a
peer we drop is a peer we lose: only while at least ``MIN_DELIVERING`` other addresses
deliver to the same torrent (a block a second or more), never an address shared with a
delivering peer (a NAT, a loopback swarm) or delivering to another torrent (the filter is the
session's), at most half as many as deliver at a time, and
never more than ``MAX_PARKED`` at once. And a parked peer comes back early when the torrent it
was parked for has no delivering peer left (the others left or stalled too): a peer that
may recover beats none. Pure logic over :class:`engine.lt.PeerView`: the
service applies the result with :meth:`engine.lt.Session.block_addresses`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from engine.lt import PeerView

PARK_SECONDS = 120.0
MIN_DELIVERING = 2  # other addresses that must be sending before one is parked
DELIVERING_RATE = 16 * 1024  # bytes/s: at least one block a second
MAX_PARKED = 16


@dataclass
class PeerParking:
    park_seconds: float = PARK_SECONDS
    _until: dict[str, float] = field(default_factory=dict)  # address -> monotonic expiry
    _parked_for: dict[str, str] = field(default_factory=dict)  # address -> torrent

    def review(
        self,
        torrent: str,
        peers: Iterable[PeerView],
        now: float,
        delivering_elsewhere: Collection[str] = (),
    ) -> list[str]:
        """Park the stalled peers of ``torrent`` (an info hash), if it can spare them; the
        addresses parked now (the caller then applies :meth:`parked`). An address in
        ``delivering_elsewhere`` (it sends to another torrent) is never parked: the filter
        is the session's, so parking it would drop it from that torrent too."""
        peers = list(peers)
        senders = delivering(peers)
        if len(senders) < MIN_DELIVERING:
            return []
        spared = senders | set(delivering_elsewhere) | set(self._until)
        stalled = sorted({p.ip for p in peers if p.snubbed and p.queued > 0} - spared)
        room = min(max(len(senders) // 2, 1), MAX_PARKED - len(self._until))
        chosen = stalled[: max(room, 0)]
        for address in chosen:
            self._until[address] = now + self.park_seconds
            self._parked_for[address] = torrent
        return chosen

    def release_if_starved(self, torrent: str, peers: Iterable[PeerView]) -> list[str]:
        """Let back at once the addresses parked for ``torrent`` when it starves: no
        connected peer delivers, and our requests wait at one (or no peer is left). A
        torrent with nothing asked of it (the player's buffer is full, it paused) is idle,
        not starved. The addresses let back (then apply :meth:`parked`)."""
        peers = list(peers)
        waiting = not peers or any(p.queued > 0 for p in peers)
        if delivering(peers) or not waiting:
            return []
        released = sorted(a for a, parked_for in self._parked_for.items() if parked_for == torrent)
        for address in released:
            del self._until[address], self._parked_for[address]
        return released

    def expire(self, now: float) -> bool:
        """Let the addresses whose time is up connect again; True when any did."""
        done = [address for address, until in self._until.items() if until <= now]
        for address in done:
            del self._until[address], self._parked_for[address]
        return bool(done)

    def parked(self) -> list[str]:
        return sorted(self._until)


def delivering(peers: Iterable[PeerView]) -> set[str]:
    """The addresses sending at least a block a second and not snubbed."""
    return {p.ip for p in peers if p.down_rate >= DELIVERING_RATE and not p.snubbed}

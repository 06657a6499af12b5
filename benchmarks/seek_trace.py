"""Where a seek's time goes: which peers were asked for the sought piece, and how long its
largest share takes at that peer's cap.

Reads the trace that ``BENCH_TRACE=<file> streaming.py`` writes (the benchmark's seek marks,
and every block the engine requested and received, with its peer) and prints one row per
engine seek that had to fetch its piece:

    BENCH_TRACE=benchmarks/out/trace.log .venv/bin/python benchmarks/streaming.py \\
        --pieces-kib "" --swarm-pieces-kib 1024 --swarm-streamers engine --seek-play-seconds 0.5
    .venv/bin/python benchmarks/seek_trace.py benchmarks/out/trace.log

``top`` is the peer asked for the most blocks of the sought piece between the seek and its
first byte, ``share`` its part of the piece (over 100 %: blocks asked of it again), ``top
alone`` the time that share takes at that peer's upload cap (the seeders' rate limiters lend
a burst after idle time, so a seek can beat it), and ``spread`` the time the whole piece
takes asked of every live peer in proportion to its cap (the piece over the sum of the caps).
A seek answers only once its piece is whole and verified: when one peer holds most of the
piece, that peer's rate sets the seek's time.
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field

BLOCK = 16 * 1024


@dataclass
class Seek:
    run: str  # streamer and piece size
    start: float
    number: int
    piece: int
    piece_bytes: int
    caps: dict[str, int]  # the seeders of its run: address -> bytes/s
    stalled: set[str]
    ttfb_ms: float = 0.0
    asked: Counter[str] = field(default_factory=Counter)


def _is_time(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_seeks(path: str) -> list[Seek]:
    """The engine's seeks (benchmark marks), with the blocks asked for each one's piece."""
    seeks: list[Seek] = []
    caps: dict[str, int] = {}
    engine, run = False, ""
    stalled: set[str] = set()
    with open(path) as trace:
        for line in trace:
            parts = line.split()
            if len(parts) < 2 or not _is_time(parts[0]):  # a logged traceback, a cut line
                continue
            stamp, what, *rest = parts
            if what == "CAPS":
                caps = {k: int(v) for k, v in (item.split("=") for item in rest)}
            elif what == "RUN":
                engine, run, stalled = rest[0] == "engine", " ".join(rest), set()
            elif what == "STALL" and len(caps) > 1:  # the swarm's fastest stops sending
                stalled = {max(caps, key=lambda address: caps[address])}
            elif what == "SEEK" and engine:
                number, piece, size = (int(x) for x in rest)
                seeks.append(Seek(run, float(stamp), number, piece, size, caps, set(stalled)))
            elif what == "FIRST" and engine and seeks:
                seeks[-1].ttfb_ms = float(rest[1])
    with open(path + ".blocks") as blocks:
        requests = [line.split() for line in blocks if " REQ " in line]
    requests = [r for r in requests if len(r) == 5 and _is_time(r[0])]  # the last may be cut
    for seek in seeks:
        until = seek.start + seek.ttfb_ms / 1000
        for stamp, _, address, piece, _ in requests:
            if seek.start <= float(stamp) <= until and int(piece) == seek.piece:
                seek.asked[address] += 1
    return seeks


def main() -> None:
    seeks = read_seeks(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/out/trace.log")
    groups: dict[str, tuple[list[float], list[float]]] = {}  # run -> (one peer, shared)
    run = ""
    for seek in seeks:
        if not seek.asked:  # its piece was already there (an earlier seek's band)
            continue
        if seek.run != run:
            run = seek.run
            print(f"\n{run} KiB pieces, {len(seek.caps)} seeder(s)\n{'seek':>4} {'piece':>5} "
                  f"{'ttfb ms':>8} {'peers asked':>11} {'top':>17} {'share':>6} "
                  f"{'top alone':>10} {'spread':>7}")  # fmt: skip
        caps = seek.caps
        top, count = seek.asked.most_common(1)[0]
        if top not in caps:  # a peer that is not one of the benchmark's seeders
            continue
        share = count * BLOCK / seek.piece_bytes
        alone_ms = count * BLOCK / caps[top] * 1000
        live = sum(rate for address, rate in caps.items() if address not in seek.stalled)
        spread_ms = seek.piece_bytes / live * 1000
        print(f"{seek.number:>4} {seek.piece:>5} {seek.ttfb_ms:>8.0f} {len(seek.asked):>11} "
              f"{top + f' ({caps[top] / 1e6:.1f})':>17} {share:>6.0%} {alone_ms:>10.0f} "
              f"{spread_ms:>7.0f}")  # fmt: skip
        if len(caps) > 1:
            one_peer, shared = groups.setdefault(run, ([], []))
            (one_peer if share >= 0.5 else shared).append(seek.ttfb_ms)
    for run, (one_peer, shared) in groups.items():
        print(f"\n{run} KiB pieces, swarm seeks that fetched their piece:")
        for label, values in (("one peer asked for half the piece or more", one_peer),
                              ("the piece shared among peers", shared)):  # fmt: skip
            if values:
                print(f"  {label}: {len(values)}, median {statistics.median(values):.0f} ms")


if __name__ == "__main__":
    main()

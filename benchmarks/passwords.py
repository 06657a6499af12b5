"""Password verification cost: argon2id at the current parameters (serve/passwords.py)
against the scrypt N=2^15 it replaces, both measured in this run (median of ``--rounds``).

    .venv/bin/python benchmarks/passwords.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from serve.passwords import (
    ARGON2_MEMORY_KIB,
    ARGON2_PARALLELISM,
    ARGON2_TIME,
    hash_password,
    scrypt_hash,
    verify_password,
)

PASSWORD = "correct horse battery staple"


def _median_seconds(check: Callable[[], bool], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert check()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    argon = hash_password(PASSWORD)
    scrypt = scrypt_hash(PASSWORD)
    baseline = _median_seconds(lambda: verify_password(PASSWORD, scrypt), rounds)
    current = _median_seconds(lambda: verify_password(PASSWORD, argon), rounds)
    print(f"scrypt N=2^15 r=8 p=1 (baseline): {baseline * 1000:7.1f} ms per verification")
    print(
        f"argon2id m={ARGON2_MEMORY_KIB // 1024} MiB t={ARGON2_TIME} p={ARGON2_PARALLELISM}:"
        f"  {current * 1000:7.1f} ms per verification"
    )
    print(f"ratio argon2id / scrypt: {current / baseline:.2f}x")


if __name__ == "__main__":
    main()

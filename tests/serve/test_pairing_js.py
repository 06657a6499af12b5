"""The JavaScript codec (web/src/core/pairing.js, what the TV decodes with) agrees with the
Python one (serve/pairing.py, what the server encodes with) on the same vectors, and refuses
the same malformed, hostile and out-of-range input. Run in Node, the same engine family the
TV bundle targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serve.pairing import ALPHABET, Address, PairingCodeError, decode, encode
from tests.helpers.node import run_module_script

MODULE = Path(__file__).resolve().parents[2] / "web" / "src" / "core" / "pairing.js"
ADDRESSES = [
    Address("http", "192.168.1.20", 8000),
    Address("https", "10.0.0.1", 443),
    Address("http", "1.0.0.0", 1),
    Address("https", "223.255.255.255", 65535),
    Address("http", "127.0.0.1", 8000),
]
REFUSED = [
    "", "60N0-0H87-T0", "6" * 33, "60N0-0H87-T0U", "<script>x</x>", "60N0.0H87.T0J",
    "192.168.1.20:8000", "\u0666\u0660N0-0H87-T0J", "ZZZZ-ZZZZ-ZZZ", "0000-0000-000",
]  # fmt: skip
BAD_ADDRESSES = [
    {"scheme": "ftp", "ipv4": "10.0.0.1", "port": 21},
    {"scheme": "http", "ipv4": "10.0.0.1", "port": 0},
    {"scheme": "http", "ipv4": "10.0.0.1", "port": 65536},
    {"scheme": "http", "ipv4": "010.0.0.1", "port": 80},
    {"scheme": "http", "ipv4": "10.0.0.256", "port": 80},
    {"scheme": "http", "ipv4": "0.0.0.0", "port": 80},
    {"scheme": "http", "ipv4": "224.0.0.1", "port": 80},
    {"scheme": "http", "ipv4": "miauflix.lan", "port": 80},
    {"scheme": "http", "ipv4": "10.0.0.1", "port": 80.5},
]

SCRIPT = """
import { encode, decode } from %(module)s;
const input = JSON.parse(process.argv[1]);
const attempt = (fn) => {
  try { return { ok: fn() }; } catch (e) { return { error: e.name + ": " + e.message }; }
};
const out = {
  encoded: input.addresses.map((a) => attempt(() => encode(a))),
  decoded: input.codes.map((c) => attempt(() => decode(c))),
  refused: input.refused.map((c) => attempt(() => decode(c))),
  badAddresses: input.badAddresses.map((a) => attempt(() => encode(a))),
};
console.log(JSON.stringify(out));
"""


def _node(payload: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = run_module_script(SCRIPT, MODULE, payload)
    return result


def _typos(code: str) -> list[str]:
    compact = code.replace("-", "")
    return [
        compact[:at] + other + compact[at + 1 :]
        for at, char in enumerate(compact)
        for other in ALPHABET
        if other != char
    ]


def test_javascript_and_python_codecs_agree_and_refuse_the_same_input() -> None:
    codes = [encode(a) for a in ADDRESSES]
    typos = _typos(codes[0])
    for text in [*REFUSED, *typos]:  # the vectors are refused by Python too
        try:
            decode(text)
        except PairingCodeError:
            continue
        raise AssertionError(f"Python accepted {text!r}")
    addresses = [{"scheme": a.scheme, "ipv4": a.ipv4, "port": a.port} for a in ADDRESSES]
    out = _node(
        {
            "addresses": addresses,
            "codes": [c.lower().replace("0", "o").replace("1", "l") for c in codes],
            "refused": [*REFUSED, *typos],
            "badAddresses": BAD_ADDRESSES,
        }
    )
    assert [e.get("ok") for e in out["encoded"]] == codes
    decoded = [e.get("ok") for e in out["decoded"]]
    assert [{k: d[k] for k in ("scheme", "ipv4", "port")} for d in decoded] == addresses
    assert decoded[0]["origin"] == "http://192.168.1.20:8000"
    accepted = [(text, e) for text, e in zip([*REFUSED, *typos], out["refused"], strict=True)
                if "ok" in e]  # fmt: skip
    assert not accepted
    assert all(e["error"].startswith("Error: ") for e in out["refused"])
    assert all("error" in e for e in out["badAddresses"]), out["badAddresses"]

"""Bundle the web client for the TV: esbuild, one classic script, lowered for Chromium 56.

Tizen 4.0 (2018 Samsung TVs) runs Chromium 56: no ES modules in ``<script>``, no optional
chaining or object spread, so the bundle is an IIFE and esbuild lowers the syntax. What
esbuild cannot lower fails the build, with its message: errors (top-level await), warnings
("may crash at run-time": BigInt literals), and the regular expressions it silently moves to
a run-time ``new RegExp("...")`` (named groups, lookbehind, ``\\p{...}``, the ``s`` flag),
which would throw on the TV.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from miauflix.tizen_errors import TizenBuildError

TARGET = "chrome56"
ENTRY = Path("src/main.js")
ESBUILD = Path("node_modules/.bin/esbuild")
_RUNTIME_REGEXP = re.compile(
    r"""new RegExp\((["'`])((?:(?!\1)[^\\]|\\.)*)\1(?:,\s*(["'`])([a-z]*)\3)?\)"""
)
_TOO_NEW_FOR_CHROME56 = re.compile(r"\(\?<|\\\\[pP]\{")


@dataclass(frozen=True)
class Bundle:
    """The bundled client: ``app.js`` and ``app.css``."""

    files: dict[str, bytes]


def bundle_web_client(
    web_dir: Path, *, esbuild: Path | None = None, entry: Path | None = None
) -> Bundle:
    """Run esbuild on ``entry`` (default ``web_dir/src/main.js``; the TV shell passes
    ``tizen/src/main.js``), resolving packages from ``web_dir/node_modules``; return
    ``app.js`` (and ``app.css`` when the entry imports CSS)."""
    tool = esbuild or web_dir / ESBUILD
    entry = entry or web_dir / ENTRY
    if not entry.is_file():
        raise TizenBuildError(f"the web client's entry {entry} is missing")
    if not tool.is_file():
        raise TizenBuildError(f"esbuild not found at {tool}: run `npm ci` in {web_dir}")
    with tempfile.TemporaryDirectory(prefix="miauflix-tv-") as tmp:
        command = [
            str(tool),
            str(entry),
            "--bundle",
            "--format=iife",
            f"--target={TARGET}",
            "--minify",
            "--legal-comments=none",
            "--charset=utf8",
            "--entry-names=app",
            f"--outdir={tmp}",
            "--log-level=warning",
        ]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=300,
                env={**os.environ, "NODE_PATH": str((web_dir / "node_modules").resolve())},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TizenBuildError(f"esbuild ({tool}) could not run: {exc}") from None
        if done.returncode != 0 or done.stderr.strip():
            raise TizenBuildError(
                f"esbuild could not bundle {entry} for {TARGET}:\n{done.stderr.strip()[-4000:]}"
            )
        files = {path.name: path.read_bytes() for path in sorted(Path(tmp).iterdir())}
    if "app.js" not in files:
        raise TizenBuildError(f"esbuild wrote no app.js for {entry}")
    _check_regexps(files["app.js"].decode("utf-8", "replace"))
    return Bundle(files=files)


def _check_regexps(script: str) -> None:
    """Refuse regular expressions Chromium 56 cannot compile (esbuild leaves them as-is)."""
    for match in _RUNTIME_REGEXP.finditer(script):
        pattern, flags = match[2], match[4] or ""
        if _TOO_NEW_FOR_CHROME56.search(pattern) or "s" in flags:
            raise TizenBuildError(
                f"the bundle needs a regular expression {TARGET} cannot compile: "
                f"{match[0][:120]} (named groups, lookbehind, \\p{{...}} and the s flag "
                "arrived in Chromium 62-64)"
            )

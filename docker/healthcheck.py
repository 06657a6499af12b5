"""Container HEALTHCHECK: GET the running role's health endpoint (stdlib only).

The role is the entry point's first argument, read from PID 1's command line (tini runs
``miauflix-entrypoint <role> ...``); roles without an HTTP endpoint (worker, sync, CLI
commands) are healthy while their process runs.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def health_url(role: str) -> str | None:
    """The loopback health URL of ``role``, or None when it has none."""
    if role == "api":
        return f"http://127.0.0.1:{os.environ.get('MIAUFLIX_PORT', '8000')}/api/health"
    if role == "engine":
        return f"http://127.0.0.1:{os.environ.get('MIAUFLIX_ENGINE_PORT', '8001')}/health"
    if role == "prefect-server":
        port = os.environ.get("PREFECT_SERVER_API_PORT", "4200")
        return f"http://127.0.0.1:{port}/api/health"
    return None


def container_role(cmdline: bytes) -> str:
    """The argument after ``miauflix-entrypoint`` in a NUL-separated command line."""
    args = cmdline.decode(errors="replace").split("\0")
    for index, arg in enumerate(args):
        if arg.endswith("miauflix-entrypoint"):
            rest = [a for a in args[index + 1 :] if a]
            return rest[0] if rest else "api"
    return ""


def main() -> int:
    try:
        role = container_role(Path("/proc/1/cmdline").read_bytes())
    except OSError:
        return 1
    url = health_url(role)
    if url is None:
        return 0
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:  # noqa: S310 - fixed loopback URL
            return 0 if answer.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())

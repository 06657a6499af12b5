"""A real Miauflix stack for browser tests and the web benchmark: ``miauflix demo`` (fake
upstreams, a first sync, the local seeder sharing the generated demo videos, the engine and
the API under gunicorn) in a subprocess on free loopback ports."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from miauflix.processes import free_port

ADMIN_EMAIL = "admin@miauflix.local"
ADMIN_PASSWORD = "web test password 0123"
READY = "Ctrl-C stops everything"
REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = REPO_ROOT / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")


class StackError(RuntimeError):
    """The demo stack did not come up; carries the last lines it printed."""


@dataclass
class Stack:
    api: str
    engine: str
    data_dir: Path
    playable: list[int]
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _pump(stream: object, sink: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        sink.put(line)


DEMO_COMMAND = ("-m", "miauflix.cli", "demo", "--no-prefect-ui")


def start_stack(
    tmp: Path,
    *,
    movies: int = 30,
    extra_env: dict[str, str] | None = None,
    timeout: float = 300,
    command: tuple[str, ...] = DEMO_COMMAND,
) -> Stack:
    """Start ``miauflix demo --no-prefect-ui`` (or ``command``, run by this Python) in
    ``tmp`` and wait until it prints that it is up."""
    data_dir = tmp / "data"
    api_port, engine_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIAUFLIX_")}
    env.update(
        MIAUFLIX_DATA_DIR=str(data_dir),
        MIAUFLIX_PORT=str(api_port),
        MIAUFLIX_ENGINE_PORT=str(engine_port),
        MIAUFLIX_ENGINE_BT_PORT=str(free_port()),
        MIAUFLIX_SANDBOX_MOVIES=str(movies),
        MIAUFLIX_ADMIN_PASSWORD=ADMIN_PASSWORD,
        MIAUFLIX_RATE_LIMIT_LOGIN="200/minute",  # several browsers sign in from one address
        PREFECT_HOME=str(tmp / "prefect"),
        COLUMNS="200",
        **(extra_env or {}),
    )
    process = subprocess.Popen(
        [sys.executable, *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO_ROOT,
    )
    sink: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, sink), daemon=True).start()
    stack = Stack(
        api=f"http://127.0.0.1:{api_port}",
        engine=f"http://127.0.0.1:{engine_port}",
        data_dir=data_dir,
        playable=[],
        process=process,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = sink.get(timeout=1.0)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        stack.lines.append(line)
        if READY in line:
            stack.playable = json.loads((data_dir / "demo.json").read_text())["playable_tmdb_ids"]
            threading.Thread(target=_drain, args=(sink, stack.lines), daemon=True).start()
            return stack
    stack.stop()
    raise StackError("miauflix demo did not come up:\n" + "".join(stack.lines[-40:]))


def _drain(sink: queue.Queue[str], lines: list[str]) -> None:
    while True:
        lines.append(sink.get())
        del lines[:-400]


POSTER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="342" height="513" viewBox="0 0 342 513">'
    '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
    '<stop offset="0" stop-color="#{a}"/><stop offset="1" stop-color="#{b}"/>'
    "</linearGradient></defs>"
    '<rect width="342" height="513" fill="url(#g)"/>'
    '<text x="171" y="270" font-family="sans-serif" font-size="40" fill="#fff" '
    'text-anchor="middle">{label}</text></svg>'
)


def fake_tmdb_image(path: str) -> bytes:
    """A stand-in for an image.tmdb.org file (the sandbox has no network): an SVG whose
    colours derive from the path, so posters differ from one another."""
    digest = abs(hash(path)) % 0xFFFFFF
    a, b = f"{digest:06x}", f"{(digest * 7) % 0xFFFFFF:06x}"
    label = "poster" if "/w342/" in path or "/w500/" in path else ""
    return POSTER_SVG.format(a=a, b=b, label=label).encode()

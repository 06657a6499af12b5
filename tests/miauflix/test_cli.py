"""The miauflix command keeps its contract: sub-commands, --help, clear errors on bad settings."""

from __future__ import annotations

import subprocess
import sys

import pytest

from miauflix.cli import build_parser


@pytest.mark.parametrize("command", ["demo", "sync", "serve", "engine"])
def test_each_command_has_help(command: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "miauflix.cli", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert command in out.stdout and "usage" in out.stdout


def test_serve_and_engine_accept_host_and_port() -> None:
    parser = build_parser()
    args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)
    args = parser.parse_args(["engine", "--host", "127.0.0.2", "--port", "9001"])
    assert (args.host, args.port) == ("127.0.0.2", 9001)


def test_invalid_setting_exits_with_a_readable_message() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "miauflix.cli", "sync"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"MIAUFLIX_PORT": "not-a-port", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode != 0
    assert "MIAUFLIX_PORT" in out.stderr

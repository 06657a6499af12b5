"""The deployment runner `miauflix demo` starts (`python -m miauflix.deployments`).

Same deployments, schedules and parameters as :mod:`flows.deployments`, with the sandbox's
loopback transport injected. Prefect runs each flow run in a fresh `python -m
prefect.engine` process that imports the flow from the deployment's entrypoint; the
entrypoints name this file, so importing it there mounts the transport before the flow
runs, exactly as in the runner process itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.settings import load_settings
from flows.audit_retention import audit_retention
from flows.deployments import build_deployments, serve_deployments
from flows.pipeline import sync_flow
from flows.scrape import scrape_flow
from flows.trakt import trakt_flow
from miauflix.logs import configure_logging
from miauflix.loopback import install_loopback_transport
from miauflix.private_files import PRIVATE_UMASK

__all__ = ["audit_retention", "entrypoint_file", "main", "scrape_flow", "sync_flow", "trakt_flow"]

install_loopback_transport()


def entrypoint_file() -> str:
    """This file, relative to the working directory (as Prefect writes entrypoints)."""
    return os.path.relpath(Path(__file__).absolute(), Path.cwd())


def main() -> None:
    os.umask(PRIVATE_UMASK)  # inherited by the flow-run processes the runner starts
    configure_logging(load_settings(), "flows")
    serve_deployments(build_deployments(entrypoint=entrypoint_file()))


if __name__ == "__main__":
    main()

"""The Trakt deployment: every 15 minutes, in prefect.yaml and in the runner alike."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.deployments import TRAKT_EVERY, build_deployments

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


def test_trakt_runs_every_15_minutes_in_both_places() -> None:
    declared = yaml.safe_load(PREFECT_YAML.read_text())["deployments"]
    trakt = [d for d in declared if d["name"] == "trakt"]
    assert [d["entrypoint"] for d in trakt] == ["flows/trakt.py:trakt_flow"]
    assert (
        trakt[0]["schedules"]
        == [{"interval": int(TRAKT_EVERY.total_seconds())}]
        == [{"interval": 900}]
    )
    served = {d.name: d for d in build_deployments(entrypoint="miauflix/deployments.py")}
    assert served["trakt"].entrypoint == "miauflix/deployments.py:trakt_flow"
    assert not served["trakt"].parameters  # no secret can ride along as a parameter

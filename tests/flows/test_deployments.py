"""prefect.yaml and the runner's deployments declare the same schedules."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.deployments import SCHEDULES

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


def test_prefect_yaml_matches_the_served_schedules() -> None:
    declared = yaml.safe_load(PREFECT_YAML.read_text())["deployments"]
    by_name = {item["name"]: item for item in declared}
    assert set(by_name) == {s.name for s in SCHEDULES}
    for schedule in SCHEDULES:
        item = by_name[schedule.name]
        assert item["entrypoint"] == "flows/pipeline.py:sync_flow"
        assert item["parameters"] == {"scope": schedule.scope}
        intervals = [s["interval"] for s in item.get("schedules", [])]
        expected = [int(schedule.every.total_seconds())] if schedule.every else []
        assert intervals == expected


def test_schedules_follow_the_issue_cadence() -> None:
    every = {s.name: s.every.total_seconds() if s.every else None for s in SCHEDULES}
    assert every["lists"] == 3600
    assert every["movies"] == 5400
    assert every["sources"] is not None and every["sources"] < 3600

"""prefect.yaml and the runner's deployments declare the same schedules."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.deployments import AUDIT_RETENTION_CRON, SCHEDULES

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"


def test_prefect_yaml_matches_the_served_schedules() -> None:
    declared = yaml.safe_load(PREFECT_YAML.read_text())["deployments"]
    by_name = {item["name"]: item for item in declared if "sync_flow" in item["entrypoint"]}
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


def test_audit_retention_runs_daily_in_both_places() -> None:
    declared = yaml.safe_load(PREFECT_YAML.read_text())["deployments"]
    retention = [d for d in declared if d["entrypoint"].endswith(":audit_retention")]
    assert [d["schedules"] for d in retention] == [[{"cron": AUDIT_RETENTION_CRON}]]

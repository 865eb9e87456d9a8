"""grafana/: the committed dashboards are a fresh build, valid for the SDK's model and Grafana's
required structure, and the provisioning files point at the datasource the dashboards use."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from grafana_build import GRAFANA, committed_dashboards, load_build
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard, Panel

build = load_build()
EXPECTED = {"alerter-volume.json", "alerter-oncall.json", "alerter-health.json"}


def test_the_committed_json_is_a_fresh_build() -> None:
    fresh = build.build_all()

    assert set(fresh) == EXPECTED
    for name, text in fresh.items():
        assert (GRAFANA / "dashboards" / name).read_text() == text, f"{name} is stale: run grafana/build.py"
    assert build.main(["--check"]) == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_dashboard_round_trips_through_the_sdk_model(name: str) -> None:
    build.register_influxql()
    data = committed_dashboards()[name]

    model = Dashboard.from_json(data)

    assert json.loads(json.dumps(model.to_json(), cls=JSONEncoder)) == data
    panels = [p for p in model.panels or [] if isinstance(p, Panel)]
    assert len(panels) == len(data["panels"])
    assert all(isinstance(t, build.InfluxQLQuery) for p in panels for t in p.targets or [])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_dashboard_has_grafanas_required_structure(name: str) -> None:
    board = committed_dashboards()[name]

    assert _problems(board) == []


def test_the_structural_check_names_what_is_missing() -> None:
    board = committed_dashboards()["alerter-health.json"]
    broken = {
        **board,
        "panels": [{**board["panels"][0], "targets": [], "gridPos": {"h": 8, "w": 30, "x": 0, "y": 0}}],
    }
    del broken["schemaVersion"]

    assert _problems(broken) == [
        "schemaVersion: missing or not an integer",
        "panel 1: no targets",
        "panel 1: gridPos x+w > 24",
    ]


def test_the_titles_and_uids_are_the_documented_ones() -> None:
    boards = committed_dashboards()
    assert {b["uid"]: b["title"] for b in boards.values()} == {
        "alerter-volume": "alerter: alert volume and noise",
        "alerter-oncall": "alerter: on-call load",
        "alerter-health": "alerter: engine health",
    }


def test_the_datasource_provisioning_matches_the_dashboards() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "influxdb.yaml").read_text())

    assert provisioned["apiVersion"] == 1
    [source] = provisioned["datasources"]
    assert (source["uid"], source["type"], source["access"]) == (build.DATASOURCE_UID, "influxdb", "proxy")
    assert source["jsonData"]["dbName"] == "${ALERTER_SELFMETRICS_DB}"
    assert source["jsonData"]["timeInterval"] == "60s"  # SelfMetrics' default interval
    used = {
        (t["datasource"]["type"], t["datasource"]["uid"])
        for b in committed_dashboards().values()
        for p in b["panels"]
        for t in [p, *p["targets"]]
    }
    assert used == {("influxdb", source["uid"])}


def test_the_dashboard_provider_loads_the_files_read_only() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "alerter.yaml").read_text())

    [provider] = provisioned["providers"]
    assert (provisioned["apiVersion"], provider["type"], provider["folder"]) == (1, "file", "alerter")
    assert provider["allowUiUpdates"] is False
    assert provider["options"]["path"] == "${ALERTER_GRAFANA_DASHBOARDS}"


def _problems(board: dict[str, Any]) -> list[str]:
    """What Grafana needs of a dashboard (and of each panel) that ``board`` lacks."""
    problems = []
    for key, kind in (("uid", str), ("title", str), ("schemaVersion", int), ("panels", list)):
        if not isinstance(board.get(key), kind):
            problems.append(f"{key}: missing or not {'an integer' if kind is int else 'a ' + kind.__name__}")
    ids = [p.get("id") for p in board.get("panels", [])]
    if len(set(ids)) != len(ids):
        problems.append("panel ids are not unique")
    for panel in board.get("panels", []):
        problems.extend(f"panel {panel.get('id')}: {p}" for p in _panel_problems(panel))
    return problems


def _panel_problems(panel: dict[str, Any]) -> list[str]:
    problems = [
        f"{key} missing" for key in ("id", "type", "title", "datasource", "gridPos") if not panel.get(key)
    ]
    if not panel.get("targets"):
        problems.append("no targets")
    for t in panel.get("targets", []):
        if not (t.get("refId") and t.get("query") and t.get("rawQuery") is True and t.get("datasource")):
            problems.append(f"target {t.get('refId')}: needs refId, query, rawQuery and datasource")
        if "$timeFilter" not in t.get("query", ""):
            problems.append(f"target {t.get('refId')}: no $timeFilter (would scan all of history)")
    grid = panel.get("gridPos", {})
    if not all(isinstance(grid.get(k), int) for k in ("h", "w", "x", "y")):
        problems.append("gridPos needs integer h, w, x, y")
    elif grid["x"] + grid["w"] > 24:
        problems.append("gridPos x+w > 24")
    return problems

"""The influxd config a private instance runs with (integrations.influxdb.server.render_config)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from integrations.influxdb.server import render_config


def test_config_is_private_quiet_and_loopback_only() -> None:
    config = tomllib.loads(render_config(Path("/d"), 8086, 8088))
    assert config["reporting-enabled"] is False  # Debian 1.6.7 spelling, not reporting-disabled
    assert config["bind-address"] == "127.0.0.1:8088"
    assert config["http"]["bind-address"] == "127.0.0.1:8086"
    assert config["http"]["auth-enabled"] is False
    assert config["http"]["log-enabled"] is False
    assert config["monitor"]["store-enabled"] is False
    assert config["meta"]["dir"] == "/d/meta"
    assert (config["data"]["dir"], config["data"]["wal-dir"]) == ("/d/data", "/d/wal")
    assert config["logging"]["level"] == "warn"


def test_auth_and_row_limit() -> None:
    config = tomllib.loads(render_config(Path("/d"), 1, 2, auth=True, max_row_limit=5))
    assert config["http"]["auth-enabled"] is True
    assert config["http"]["max-row-limit"] == 5

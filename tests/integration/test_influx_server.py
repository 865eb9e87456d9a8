"""The private influxd runner: starts fast on loopback, stops cleanly, fails with its log tail."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from integrations.influxdb.server import InfluxServer, InfluxServerError

pytestmark = [pytest.mark.influx, pytest.mark.timeout(60)]


def test_start_serves_ping_on_loopback_and_stop_ends_it(tmp_path: Path) -> None:
    with InfluxServer(tmp_path) as server:
        assert server.url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{server.url}/ping")
        assert answer.status_code == 204
        assert answer.headers["X-Influxdb-Version"].startswith("1.6")
        # usage reporting off and no _internal monitor database
        databases = httpx.post(f"{server.url}/query", data={"q": "SHOW DATABASES"}).json()
        assert databases["results"][0]["series"][0].get("values") is None
        assert (tmp_path / "influxd.toml").read_text().startswith("reporting-enabled = false\n")
        assert (tmp_path / "meta").is_dir() and (tmp_path / "data").is_dir()
        url = server.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/ping")


def test_taken_port_fails_with_the_log_tail(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = InfluxServer(tmp_path, port=port)
        with pytest.raises(InfluxServerError, match="address already in use") as info:
            server.start()
    assert "influxd exited with code" in str(info.value)
    with pytest.raises(InfluxServerError, match="not started"):
        _ = server.url


def test_missing_binary_is_named(tmp_path: Path) -> None:
    with pytest.raises(InfluxServerError, match="no-such-influxd not found on PATH"):
        InfluxServer(tmp_path, binary="no-such-influxd").start()


def test_restart_keeps_data(tmp_path: Path) -> None:
    with InfluxServer(tmp_path) as server:
        httpx.post(f"{server.url}/query", data={"q": "CREATE DATABASE kept"}).raise_for_status()
    with InfluxServer(tmp_path) as server:
        answer = httpx.post(f"{server.url}/query", data={"q": "SHOW DATABASES"}).json()
    assert answer["results"][0]["series"][0]["values"] == [["kept"]]

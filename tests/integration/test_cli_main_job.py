"""The main job end to end, as a person runs it: real processes, real influxd, the real clock.

``alerter demo`` is what the README's first command runs; ``alerter run`` is the same engine on a
configured InfluxDB. Both warm up over the past on virtual time, then evaluate live.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from alerter.demo.dataset import generate
from integrations.influxdb import InfluxMetricSource

ROOT = Path(__file__).resolve().parents[2]
ALERTER = [sys.executable, "-m", "alerter"]

pytestmark = [pytest.mark.influx, pytest.mark.slow, pytest.mark.timeout(120)]


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ALERTER, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        env={**os.environ, **(env or {})},
    )


def test_demo_loads_data_and_shows_what_fires_within_a_minute(tmp_path: Path) -> None:
    started = time.monotonic()
    # 40 s of live running: the first live evaluation is due within one 30 s interval
    done = _run(["demo", "--var", str(tmp_path), "--duration", "40", "--web-port", "0"])
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < 90, f"the demo took {elapsed:.0f}s"
    assert "loaded" in done.stderr and "injected problems" in done.stderr
    out = done.stdout
    # Problems 10-40 min into the timeline fired and cleared during the warm-up (75 min in the past)...
    assert "CRITICAL host_memory_high runner-prod-05" in out
    assert "OK host_memory_high runner-prod-05" in out
    # ...the disk filling since minute 30 is firing when live evaluation starts (it crosses the
    # 85% warning threshold well inside the warm-up; 95% falls right at its end).
    assert "WARNING host_disk_full mysql-prod-01" in out
    # STG problems show up too (paging policy is the correlation stage's business, not evaluation's).
    assert "CRITICAL router_latency_p99_high router-stg-01" in out
    assert "OK router_latency_p99_high router-stg-01" in out
    assert (tmp_path / "influxdb" / "influxd.log").exists()
    # live, the disk incident (PROD, critical by then) pages the on-call primary through the outbox
    pages = [line for line in out.splitlines() if " PAGE CRITICAL " in line]
    assert any(
        "host_disk_full on mysql-prod-01" in line and "(primary, console)" in line for line in pages
    ), out


def test_run_uses_the_configured_influxdb_and_warms_up(influx_server, influx_db: str) -> None:
    now = time.time()
    dataset = generate(start=float(int(now - 45 * 60) // 10 * 10))

    async def load() -> None:
        async with InfluxMetricSource(influx_server.url, influx_db) as source:
            lines = list(dataset.line_protocol())
            for i in range(0, len(lines), 5000):
                result = await source.write(lines[i : i + 5000])
                assert result.ok, result

    anyio.run(load)
    done = _run(
        ["run", "--warm-up", "45m", "--duration", "1"],
        env={"ALERTER_INFLUX_URL": influx_server.url, "ALERTER_INFLUX_DATABASE": influx_db},
    )
    assert done.returncode == 0, done.stderr
    assert "CRITICAL host_cpu_high api-prod-03" in done.stdout
    assert "CRITICAL host_memory_high runner-prod-05" in done.stdout


def test_run_refuses_to_start_on_broken_rules_and_says_where(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "groups:\n  - name: g\n    rules:\n      - name: r\n        query: SELECT 1\n        fro: 5m\n"
    )
    done = _run(["run", "--rules", str(bad), "--duration", "1"])
    assert done.returncode == 1
    assert f"{bad}:6:9: " in done.stderr and "unknown field" in done.stderr

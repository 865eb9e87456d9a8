"""Smoke test of bench/streams_throughput.py at a tiny size: it runs and reports every figure."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "streams_throughput.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("streams_throughput", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_events_cycle_over_series_with_few_state_changes() -> None:
    bench = _load()
    events = bench.make_events(4000, 100)
    assert len({(e.host, e.service) for e in events}) == 100
    changes = sum(1 for a, b in zip(events, events[100:], strict=False) if a.state != b.state)
    assert 0 < changes < 0.1 * len(events)


def test_bench_reports_throughput_latency_and_memory(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load()
    bench.main(["--events", "3000", "--series", "100"])
    out = capsys.readouterr().out
    assert "throughput:" in out and "events/s" in out
    assert "p50" in out and "p99" in out
    assert "memory per live series:" in out

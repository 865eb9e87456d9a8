"""Retry classification and backoff schedule (integrations.influxdb.retry)."""

from __future__ import annotations

import random

import httpx
import pytest

from integrations.influxdb.retry import Backoff, Retry, classify_error, classify_status


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (200, Retry.FINAL),
        (204, Retry.FINAL),
        (400, Retry.FINAL),
        (401, Retry.FINAL),
        (404, Retry.FINAL),
        (429, Retry.TRANSIENT),
        (500, Retry.TRANSIENT),
        (502, Retry.TRANSIENT),
        (503, Retry.TRANSIENT),
    ],
)
def test_classify_status(status: int, retry: Retry) -> None:
    assert classify_status(status) is retry


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (httpx.ConnectError("refused"), Retry.TRANSIENT),
        (httpx.ReadTimeout("slow"), Retry.TRANSIENT),
        (httpx.RemoteProtocolError("eof"), Retry.TRANSIENT),
        (ValueError("bug"), Retry.FINAL),
    ],
)
def test_classify_error(error: Exception, retry: Retry) -> None:
    assert classify_error(error) is retry


def test_ceiling_doubles_then_caps() -> None:
    backoff = Backoff(base=0.2, cap=1.0)
    assert [backoff.ceiling(n) for n in range(5)] == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_jitter_stays_in_the_upper_band_and_is_reproducible() -> None:
    a = Backoff(base=1.0, cap=100.0, jitter=0.5, rng=random.Random(7))
    b = Backoff(base=1.0, cap=100.0, jitter=0.5, rng=random.Random(7))
    delays = [a.delay(n) for n in range(6)]
    assert delays == [b.delay(n) for n in range(6)]
    for n, d in enumerate(delays):
        assert 0.5 * 2**n <= d <= 2**n
    assert len(set(delays)) == 6


def test_no_jitter_is_exact() -> None:
    assert [Backoff(base=0.1, cap=10, jitter=0).delay(n) for n in range(3)] == [0.1, 0.2, 0.4]

"""Fixtures for the scheduler tests (fakes live in scheduler_fakes.py, uniquely named)."""

from __future__ import annotations

import pytest
from scheduler_fakes import START, FakeSource

from alerter.clock import FakeClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()

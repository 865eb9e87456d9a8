"""Shared fixtures of the scenario tests: the demo data set (generated once) as a StaticSource."""

from __future__ import annotations

import pytest

from alerter.demo.dataset import DemoDataset, generate
from alerter.source.static import StaticSource


@pytest.fixture(scope="session")
def demo() -> DemoDataset:
    return generate()


@pytest.fixture(scope="session")
def demo_source(demo: DemoDataset) -> StaticSource:
    return StaticSource(demo.points)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

"""Shared fixtures of the scenario tests: the demo data set (generated once) as a StaticSource."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerter.demo.dataset import DemoDataset, generate
from alerter.incidents.store import IncidentStore
from alerter.source.static import StaticSource
from tests.acceptance import timeline


@pytest.fixture(scope="session")
def demo() -> DemoDataset:
    return generate()


@pytest.fixture(scope="session")
def demo_source(demo: DemoDataset) -> StaticSource:
    return StaticSource(demo.points)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Migrate one SQLite file per session; each World starts from a copy of it."""
    path = tmp_path_factory.mktemp("template") / "alerter.db"
    IncidentStore(f"sqlite:///{path}").close()
    timeline.migrated_template = path
    yield
    timeline.migrated_template = None

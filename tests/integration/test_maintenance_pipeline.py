"""Maintenance end to end: a window started in the store keeps its host's alerts from paging in the
pipeline (recorded as suppressed with the window's reason), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from alerter.config.correlation import CorrelationPolicy
from alerter.config.maintenance import MaintenanceWindow, parse_maintenance
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.incidents.store import IncidentStore
from alerter.incidents.suppression import Suppressed
from alerter.incidents.tables import Suppression
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, Event, fingerprint
from alerter.pipeline import Pipeline
from alerter.route.maintenance import MaintenanceBook

pytestmark = pytest.mark.timeout(60)

T0 = 1_795_000_000.0
POLICY = CorrelationPolicy.model_validate({"paging": [{"match": {}, "page": True}]})  # everything pages


def cpu(host: str, state: str, env: str = "prod") -> Event:
    labels = {"host": host, "env": env}
    attrs = {**labels, ATTR_RULE: "cpu", ATTR_FINGERPRINT: fingerprint("cpu", labels)}
    return Event(host, "cpu", state, None, 97.0, T0, 60.0, (), attrs)


@pytest.fixture
def stores(store_url: str) -> Iterator[tuple[IncidentStore, MaintenanceStore]]:
    with IncidentStore(store_url) as incidents, MaintenanceStore(store_url) as maintenance:
        yield incidents, maintenance


def test_a_host_in_maintenance_never_pages_and_the_reason_is_stored(
    stores: tuple[IncidentStore, MaintenanceStore],
) -> None:
    incidents, maintenance = stores
    window = MaintenanceWindow("new", ("web1",), start=T0, end=T0 + 600, owner="web", reason="release 42")
    maintenance.start(window, by="deploy-pipeline", now=T0)
    book = MaintenanceBook(maintenance.windows(now=T0))
    pipeline = Pipeline(incidents, POLICY, suppressor=book.reason, start=T0)

    result = pipeline.process([cpu("web1", "critical"), cpu("web2", "critical")], now=T0 + 30)

    assert [d.pages for d in result.decisions] == [True]  # web2 only
    [suppressed] = [s for s in result.suppressions if s.reason is Suppressed.MAINTENANCE]
    assert suppressed.detail == 'maintenance "1": release 42 (owner web, by deploy-pipeline)'
    with Session(incidents.engine) as session:
        [row] = session.exec(select(Suppression).where(Suppression.reason == "maintenance")).all()
    assert row.detail.endswith('maintenance "1": release 42 (owner web, by deploy-pipeline)')
    open_alerts = [a.fingerprint for r in incidents.restart_state().open_incidents for a in r.alerts]
    assert open_alerts == [fingerprint("cpu", {"host": "web2", "env": "prod"})]  # no incident for web1


def test_a_replay_file_of_past_windows_suppresses_what_it_covered(
    stores: tuple[IncidentStore, MaintenanceStore],
) -> None:
    incidents, _ = stores
    windows, problems = parse_maintenance(
        """\
windows:
  - id: dev-patching
    match: ['env="dev"']
    cron: "0 2 * * SUN"
    duration: 2h
    timezone: Europe/Berlin
    owner: platform
    reason: weekly patching
    expires: 2027-06-30T00:00:00+02:00
""",
        "past.yaml",
    )
    assert problems == []
    sunday_0230_berlin = datetime(2026, 11, 22, 2, 30, tzinfo=ZoneInfo("Europe/Berlin")).timestamp()
    pipeline = Pipeline(incidents, POLICY, suppressor=MaintenanceBook(windows).reason, start=T0)
    result = pipeline.process(
        [cpu("dev1", "critical", env="dev"), cpu("db1", "critical", env="prod")], now=sunday_0230_berlin
    )
    assert [s.detail for s in result.suppressions if s.reason is Suppressed.MAINTENANCE] == [
        'maintenance "dev-patching": weekly patching (owner platform)'
    ]
    assert len(result.pages) == 1

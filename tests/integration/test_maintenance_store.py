"""The maintenance store on real databases: the SAME tests on SQLite and PostgreSQL (``store_url``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from alerter.config.maintenance import MaintenanceWindow, Matcher, Recurrence
from alerter.incidents.maintenance_store import (
    MaintenanceAction,
    MaintenanceStore,
    UnknownWindow,
    WindowClosed,
)
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import metadata
from alerter.migrations import alembic_config, current_revision, head_revision
from alerter.route.maintenance import MaintenanceBook, active_at

pytestmark = pytest.mark.timeout(60)

T0 = 1_795_000_000.25
START, END, ANNOUNCE, EXTEND, NARROW, EXPIRE = (
    MaintenanceAction.START,
    MaintenanceAction.END,
    MaintenanceAction.ANNOUNCE,
    MaintenanceAction.EXTEND,
    MaintenanceAction.NARROW,
    MaintenanceAction.EXPIRE,
)


def release(
    hosts: tuple[str, ...] = ("web1",), start: float = T0, length: float = 600.0, **kw: object
) -> MaintenanceWindow:
    return MaintenanceWindow("new", hosts, start=start, end=start + length, reason="release 42", **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(store_url: str) -> Iterator[MaintenanceStore]:
    with MaintenanceStore(store_url) as s:
        yield s


def test_the_tables_come_from_a_migration_that_matches_the_models(store: MaintenanceStore) -> None:
    with store.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    assert {"maintenance_window", "maintenance_audit"} <= set(inspect(store.engine).get_table_names())


def test_it_shares_the_database_with_the_incident_store(store_url: str, store: MaintenanceStore) -> None:
    with IncidentStore(store_url) as incidents:
        assert incidents.restart_state().open_incidents == ()
    assert store.windows() == []


def test_start_stores_the_window_exactly_and_audits_who(store: MaintenanceStore) -> None:
    w = release(hosts=("web1", "web2"), matchers=(Matcher.parse('role=~"web|api"'),), owner="web")
    stored = store.start(w, by="alice", now=T0)
    assert stored.id.isdigit()
    assert stored == MaintenanceWindow(
        stored.id, w.hosts, w.matchers, T0, T0 + 600, owner="web", reason="release 42", created_by="alice"
    )
    assert store.get(int(stored.id)) == stored
    [entry] = store.audit()
    assert (entry.window_id, entry.at, entry.actor, entry.action) == (int(stored.id), T0, "alice", START)
    assert entry.snapshot["hosts"] == ["web1", "web2"]
    assert entry.snapshot["matchers"] == ['role=~"web|api"']


def test_a_window_starting_later_is_announced(store: MaintenanceStore) -> None:
    w = store.start(release(start=T0 + 3600), by="deploy-bot", now=T0)
    assert [e.action for e in store.audit(int(w.id))] == [ANNOUNCE]
    assert not active_at(w, T0)
    assert store.windows(now=T0) == [w]  # announced windows are listed


def test_end_cuts_the_window_now_and_audits_it(store: MaintenanceStore) -> None:
    w = store.start(release(), by="alice", now=T0)
    ended = store.end_window(int(w.id), by="bob", now=T0 + 120)
    assert ended.ended_at == T0 + 120
    assert active_at(ended, T0 + 119) and not active_at(ended, T0 + 120)
    assert [(e.actor, e.action) for e in store.audit(int(w.id))] == [("alice", START), ("bob", END)]
    assert store.audit(int(w.id))[-1].snapshot["ended_by"] == "bob"
    assert store.windows(now=T0 + 121) == []
    assert store.windows() == [ended]
    with pytest.raises(WindowClosed, match=f"maintenance window {w.id}: already over"):
        store.end_window(int(w.id), by="bob", now=T0 + 130)


def test_ending_an_unknown_window_says_so(store: MaintenanceStore) -> None:
    with pytest.raises(UnknownWindow, match="maintenance window 99: no such window"):
        store.end_window(99, by="bob", now=T0)


def test_end_by_host_ends_its_own_windows_and_narrows_shared_ones(store: MaintenanceStore) -> None:
    own = store.start(release(hosts=("web1",)), by="alice", now=T0)
    shared = store.start(release(hosts=("web1", "web2")), by="alice", now=T0)
    other = store.start(release(hosts=("web3",)), by="alice", now=T0)
    later = store.start(release(hosts=("web1",), start=T0 + 3600), by="alice", now=T0)
    changed = store.end_host("web1", by="bob", now=T0 + 60)
    assert [(w.id, w.hosts, w.ended_at) for w in changed] == [
        (own.id, ("web1",), T0 + 60),
        (shared.id, ("web2",), None),
    ]
    assert [e.action for e in store.audit(int(shared.id))] == [START, NARROW]
    assert store.get(int(other.id)) == other
    assert store.get(int(later.id)) == later  # announced for later: stays
    assert store.end_host("web9", by="bob", now=T0 + 60) == []


def test_extend_moves_the_end(store: MaintenanceStore) -> None:
    w = store.start(release(), by="alice", now=T0)
    longer = store.extend(int(w.id), end=T0 + 1800, by="alice", now=T0 + 500)
    assert longer.end == T0 + 1800 and active_at(longer, T0 + 1200)
    assert [e.action for e in store.audit(int(w.id))] == [START, EXTEND]
    assert store.audit(int(w.id))[-1].snapshot["end"] == T0 + 1800
    with pytest.raises(ValueError, match="the new end must be after its start and now"):
        store.extend(int(w.id), end=T0 + 400, by="alice", now=T0 + 500)


def test_expire_closes_finished_windows_once(store: MaintenanceStore) -> None:
    short = store.start(release(length=60), by="alice", now=T0)
    long = store.start(release(length=3600), by="alice", now=T0)
    assert [w.id for w in store.expire(T0 + 60)] == [short.id]
    assert store.expire(T0 + 61) == []
    assert [(e.actor, e.action) for e in store.audit(int(short.id))] == [
        ("alice", START),
        ("alerter", EXPIRE),
    ]
    assert [w.id for w in store.windows(now=T0 + 61)] == [long.id]
    with pytest.raises(WindowClosed):
        store.extend(int(short.id), end=T0 + 7200, by="alice", now=T0 + 61)


def test_recurring_windows_round_trip(store: MaintenanceStore) -> None:
    weekly = MaintenanceWindow(
        "x",
        matchers=(Matcher.parse("env=dev"),),
        recurrence=Recurrence("0 2 * * SUN", 7200.0, "Europe/Berlin"),
        owner="platform",
        reason="patching",
        expires_at=T0 + 86400 * 60,
    )
    stored = store.start(weekly, by="anna", now=T0)
    assert store.get(int(stored.id)).recurrence == weekly.recurrence
    with pytest.raises(ValueError, match="a recurring window has no end to move"):
        store.extend(int(stored.id), end=T0 + 10, by="anna", now=T0)


def test_a_book_from_the_store_suppresses_the_hosts(store: MaintenanceStore) -> None:
    store.start(release(hosts=("web1",), owner="web"), by="alice", now=T0)
    book = MaintenanceBook(store.windows(now=T0))
    assert (
        book.reason({"host": "web1", "rule": "cpu"}, T0 + 1)
        == 'maintenance "1": release 42 (owner web, by alice)'
    )
    assert book.reason({"host": "web2", "rule": "cpu"}, T0 + 1) is None


def test_downgrade_removes_the_tables_and_upgrade_restores_them(
    store_url: str, store: MaintenanceStore
) -> None:
    store.start(release(), by="alice", now=T0)
    config = alembic_config()
    revisions = ScriptDirectory.from_config(config).walk_revisions()
    ours = next(r for r in revisions if r.path.endswith("_maintenance.py"))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, str(ours.down_revision))
        assert "maintenance_window" not in inspect(conn).get_table_names()
        assert "incident" in inspect(conn).get_table_names()
    with MaintenanceStore(store_url) as again:
        assert again.windows() == []

"""The outbox table through alerter.notify.outbox: enqueue in the incident's transaction, the unique
transition token, stream order (heads), claims, settlements and crash recovery.

Runs on a real SQLite file and on PostgreSQL (the ``postgres_server`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from alerter.incidents.lifecycle import LifecyclePolicy
from alerter.incidents.outbox_tables import OutboxStatus
from alerter.incidents.records import AlertObservation
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import metadata
from alerter.model import Severity
from alerter.notify.outbox import (
    INTERRUPTED,
    Outbox,
    Settlement,
    enqueue,
    enqueue_follow_up,
    page_from_json,
    page_to_json,
    transition_token,
)
from alerter.notify.pager import PageAction, PageLink, PageRequest, PageSeverity
from tests.fixtures.postgres import new_postgres_database

NOW = 1_000.0
POLICY = LifecyclePolicy(resolve_delay=60, reopen_window=600)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IncidentStore]:
    """One migrated store per module and database (migrating costs 0.4 s; emptying it, 5 ms)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('outbox') / 'alerter.db'}"
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_server"), "outbox_store")
    with IncidentStore(url) as s:
        yield s


@pytest.fixture
def store(migrated: IncidentStore) -> IncidentStore:
    with migrated.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    return migrated


@pytest.fixture
def box(store: IncidentStore) -> Outbox:
    return Outbox(store)


def trigger(key: str) -> PageRequest:
    return PageRequest(PageAction.TRIGGER, key, summary=f"{key} down", source="db1")


def resolve(key: str) -> PageRequest:
    return PageRequest(PageAction.RESOLVE, key)


def observation(n: int) -> AlertObservation:
    return AlertObservation(f"fp-{n}", "disk_full", Severity.CRITICAL, NOW, f"g-{n}", f"incident {n}")


def put(
    store: IncidentStore, page: PageRequest, transition: str, channel: str = "pagerduty", **kw: object
) -> bool:
    with store.transaction() as tx:
        return enqueue(tx.session, page, transition=transition, channel=channel, now=NOW, **kw)  # type: ignore[arg-type]


def test_a_page_round_trips_through_json() -> None:
    page = PageRequest(
        PageAction.TRIGGER,
        "inc-1",
        summary="disk full on db1",
        source="db1",
        severity=PageSeverity.WARNING,
        component="disk",
        group="prod",
        class_="disk_full",
        custom_details={"hosts": ["db1", "db2"], "count": 2},
        links=(PageLink("https://x.example/1", "Incident"),),
    )
    assert page_from_json(page_to_json(page)) == page
    assert page_from_json(page_to_json(resolve("inc-1"))) == resolve("inc-1")


def test_enqueue_commits_with_the_incident_change(store: IncidentStore, box: Outbox) -> None:
    with store.transaction() as tx:
        applied = tx.observe(observation(1), POLICY)
        assert applied.key is not None
        assert enqueue(tx.session, trigger(applied.key), transition="opened#0", channel="pagerduty", now=NOW)
    [entry] = box.pending()
    assert (entry.incident_key, entry.transition, entry.channel, entry.target) == (
        applied.key,
        "opened#0",
        "pagerduty",
        None,
    )
    assert (entry.status, entry.attempts, entry.next_attempt_at) == (OutboxStatus.PENDING, 0, NOW)
    assert entry.request == trigger(applied.key)


def test_a_rollback_removes_the_incident_and_its_page(store: IncidentStore, box: Outbox) -> None:
    with pytest.raises(RuntimeError, match="batch failed"), store.transaction() as tx:
        applied = tx.observe(observation(1), POLICY)
        assert applied.key is not None
        enqueue(tx.session, trigger(applied.key), transition="opened#0", channel="pagerduty", now=NOW)
        raise RuntimeError("batch failed")
    assert box.entries() == []
    with store.transaction() as tx:
        assert tx.open_incidents() == []


def test_the_same_transition_is_refused_and_the_transaction_still_commits(
    store: IncidentStore, box: Outbox
) -> None:
    assert put(store, trigger("inc-1"), "opened#0")
    with store.transaction() as tx:
        applied = tx.observe(observation(2), POLICY)
        # refused without an error: on PostgreSQL an error would abort the incident change too
        assert not enqueue(
            tx.session, trigger("inc-1"), transition="opened#0", channel="pagerduty", now=NOW + 5
        )
    assert [e.transition for e in box.entries()] == ["opened#0"]
    with store.transaction() as tx:
        assert [r.incident.key for r in tx.open_incidents()] == [applied.key]


def test_the_token_is_incident_transition_channel_and_target(box: Outbox, store: IncidentStore) -> None:
    assert put(store, trigger("inc-1"), "opened#0")
    assert put(store, trigger("inc-1"), "reopened#1")
    assert put(store, trigger("inc-1"), "opened#0", channel="email")
    assert put(store, trigger("inc-1"), "opened#0", channel="email", target="alice")
    assert put(store, trigger("inc-2"), "opened#0")
    # no target is stored as "" so the unique constraint holds (NULLs would all be distinct)
    assert not put(store, trigger("inc-1"), "opened#0", channel="email")
    assert not put(store, trigger("inc-1"), "opened#0", channel="email", target="alice")
    assert len(box.entries()) == 5


def test_a_page_that_is_not_json_is_refused_by_name(store: IncidentStore) -> None:
    page = PageRequest(PageAction.TRIGGER, "inc-9", summary="s", source="db1", custom_details={"x": object()})
    with pytest.raises(ValueError, match=r"outbox: page inc-9 \(opened#0\) is not JSON"):
        put(store, page, "opened#0")


def test_only_the_head_of_each_stream_is_due(store: IncidentStore, box: Outbox) -> None:
    put(store, trigger("inc-1"), "opened#0")
    put(store, resolve("inc-1"), "resolved#0")
    put(store, trigger("inc-2"), "opened#0")
    put(store, trigger("inc-1"), "opened#0", channel="email")
    due = box.due(NOW)
    assert [(e.incident_key, e.transition, e.channel) for e in due] == [
        ("inc-1", "opened#0", "pagerduty"),
        ("inc-2", "opened#0", "pagerduty"),
        ("inc-1", "opened#0", "email"),
    ]
    assert box.due(NOW - 1) == []
    assert [e.channel for e in box.due(NOW, exclude_channels={"pagerduty"})] == ["email"]


def test_a_claimed_trigger_still_holds_its_resolve_back(store: IncidentStore, box: Outbox) -> None:
    put(store, trigger("inc-1"), "opened#0")
    put(store, resolve("inc-1"), "resolved#0")
    [claimed] = box.claim(NOW, 10, lease=30)
    assert (claimed.transition, claimed.status, claimed.next_attempt_at) == (
        "opened#0",
        OutboxStatus.SENDING,
        NOW + 30,
    )
    assert box.claim(NOW, 10, lease=30) == []  # the resolve waits; the trigger is leased
    assert box.mark_delivered(claimed.id, NOW + 1)
    [nxt] = box.claim(NOW + 1, 10, lease=30)
    assert nxt.transition == "resolved#0"


def test_a_failed_head_no_longer_blocks_its_stream(store: IncidentStore, box: Outbox) -> None:
    put(store, trigger("inc-1"), "opened#0")
    put(store, resolve("inc-1"), "resolved#0")
    [head] = box.claim(NOW, 10, lease=30)
    assert box.mark_failed(head.id, NOW, "pagerduty: 400: invalid")
    assert [e.transition for e in box.due(NOW)] == ["resolved#0"]
    [failed] = box.failed()
    assert (failed.status, failed.attempts, failed.last_error) == (
        OutboxStatus.FAILED,
        1,
        "pagerduty: 400: invalid",
    )


def test_retry_reschedules_and_dead_keeps_the_error(store: IncidentStore, box: Outbox) -> None:
    put(store, trigger("inc-1"), "opened#0")
    [row] = box.claim(NOW, 10, lease=30)
    assert box.mark_retry(row.id, NOW, 8.0, "503: unavailable")
    assert box.due(NOW + 7.9) == []
    [again] = box.claim(NOW + 8, 10, lease=30)
    assert (again.attempts, again.last_error) == (1, "503: unavailable")
    assert box.mark_dead(again.id, NOW + 8, "503: unavailable; giving up")
    [dead] = box.failed()
    assert (dead.status, dead.attempts, dead.last_error) == (
        OutboxStatus.DEAD,
        2,
        "503: unavailable; giving up",
    )
    assert box.pending() == [] and box.due(NOW + 1e6) == []


def test_settling_a_row_that_is_not_claimed_changes_nothing(store: IncidentStore, box: Outbox) -> None:
    put(store, trigger("inc-1"), "opened#0")
    [row] = box.entries()
    assert not box.mark_delivered(row.id, NOW)
    assert box.entries()[0].status is OutboxStatus.PENDING


def test_a_handed_back_row_does_not_count_an_attempt(store: IncidentStore, box: Outbox) -> None:
    put(store, trigger("inc-1"), "opened#0")
    [row] = box.claim(NOW, 10, lease=30)
    box.settle([Settlement(row.id, OutboxStatus.PENDING, NOW, next_attempt_at=NOW + 30, attempted=False)])
    [back] = box.pending()
    assert (back.status, back.attempts, back.next_attempt_at, back.last_attempt_at) == (
        OutboxStatus.PENDING,
        0,
        NOW + 30,
        None,
    )


def test_a_lease_that_ran_out_makes_a_sending_row_due_again(store: IncidentStore, box: Outbox) -> None:
    put(store, trigger("inc-1"), "opened#0")
    [row] = box.claim(NOW, 10, lease=30)
    assert box.claim(NOW + 29, 10, lease=30) == []
    [again] = box.claim(NOW + 30, 10, lease=30)
    assert again.id == row.id


def test_recover_takes_back_rows_left_in_flight(store: IncidentStore, box: Outbox) -> None:
    put(store, trigger("inc-1"), "opened#0")
    put(store, trigger("inc-2"), "opened#0")
    box.claim(NOW, 1, lease=300)
    assert box.recover(NOW + 5) == 1
    assert box.recover(NOW + 5) == 0
    first, second = box.pending()
    assert (first.status, first.attempts, first.next_attempt_at, first.last_error) == (
        OutboxStatus.PENDING,
        1,
        NOW + 5,
        INTERRUPTED,
    )
    assert (second.attempts, second.last_error) == (0, None)
    assert [e.incident_key for e in box.due(NOW + 5)] == ["inc-1", "inc-2"]


def test_counts_and_listings(store: IncidentStore, box: Outbox) -> None:
    for n in range(4):
        put(store, trigger(f"inc-{n}"), "opened#0")
    rows = box.claim(NOW, 3, lease=30)
    box.settle(
        [
            Settlement(rows[0].id, OutboxStatus.DELIVERED, NOW),
            Settlement(rows[1].id, OutboxStatus.FAILED, NOW, "400"),
            Settlement(rows[2].id, OutboxStatus.DEAD, NOW, "503"),
        ]
    )
    counts = box.counts()
    assert counts == {
        OutboxStatus.PENDING: 1,
        OutboxStatus.SENDING: 0,
        OutboxStatus.DELIVERED: 1,
        OutboxStatus.FAILED: 1,
        OutboxStatus.DEAD: 1,
    }
    assert [e.incident_key for e in box.pending()] == ["inc-3"]
    assert [e.incident_key for e in box.failed()] == ["inc-1", "inc-2"]
    [delivered] = box.entries({OutboxStatus.DELIVERED})
    assert (delivered.delivered_at, delivered.attempts) == (NOW, 1)


def test_a_stored_request_that_is_not_a_page_is_reported_not_raised(
    store: IncidentStore, box: Outbox
) -> None:
    put(store, trigger("inc-1"), "opened#0")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET request = :r"), {"r": '{"action": "explode"}'})
    [entry] = box.entries()
    assert entry.request is None
    assert entry.request_error is not None and "not a page" in entry.request_error


@pytest.mark.parametrize(
    ("args", "token"),
    [
        (("opened", 0), "opened#0"),
        (("reopened", 2), "reopened#2"),
        (("escalated_severity", 1, "critical"), "escalated_severity:critical#1"),
        (("resolved_auto", 0, None), "resolved_auto#0"),
    ],
)
def test_transition_tokens(args: tuple[str, int] | tuple[str, int, str | None], token: str) -> None:
    assert transition_token(*args) == token


def test_a_follow_up_goes_wherever_the_incident_was_paged_and_only_once(
    store: IncidentStore, box: Outbox
) -> None:
    put(store, trigger("inc-1"), "opened#0")
    put(store, trigger("inc-1"), "opened#0", channel="email", target="alice")
    put(store, trigger("inc-2"), "opened#0", channel="webhook")
    with store.transaction() as tx:
        assert enqueue_follow_up(tx.session, resolve("inc-1"), transition="resolved_auto#0", now=NOW) == 2
        assert enqueue_follow_up(tx.session, resolve("inc-1"), transition="resolved_auto#0", now=NOW) == 0
        assert enqueue_follow_up(tx.session, resolve("inc-9"), transition="resolved_auto#0", now=NOW) == 0
        with pytest.raises(ValueError, match="must be acknowledge or resolve"):
            enqueue_follow_up(tx.session, trigger("inc-1"), transition="opened#0", now=NOW)
    follow_ups = [
        (e.channel, e.target, e.incident_key) for e in box.entries() if e.transition == "resolved_auto#0"
    ]
    assert follow_ups == [("email", "alice", "inc-1"), ("pagerduty", None, "inc-1")]

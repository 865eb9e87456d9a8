"""The incident store on real databases: the SAME tests on SQLite and PostgreSQL (``store_url``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from alerter.incidents.lifecycle import (
    IncidentStateError,
    IncidentStatus,
    LifecyclePolicy,
    Transition,
    open_incident,
)
from alerter.incidents.records import AlertObservation
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import Alert, Incident, SuppressionReason, metadata
from alerter.incidents.unit import UnknownIncident
from alerter.migrations import alembic_config, current_revision, head_revision, upgrade_to_head
from alerter.model import Severity

pytestmark = pytest.mark.timeout(60)

OK, WARN, CRIT = Severity.OK, Severity.WARNING, Severity.CRITICAL
POLICY = LifecyclePolicy(resolve_delay=60, reopen_window=600)
T0 = 1_700_000_000.123456


def obs(fp: str, state: Severity, at: float, group: str = "db/prod", **kw: object) -> AlertObservation:
    return AlertObservation(
        fingerprint=fp,
        rule="disk_full",
        state=state,
        at=at,
        group_key=group,
        title=f"{group} disk",
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(store_url: str) -> Iterator[IncidentStore]:
    with IncidentStore(store_url) as s:
        yield s


def test_migrations_from_empty_reach_head_and_match_the_models(store: IncidentStore) -> None:
    with store.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    assert {
        "incident",
        "alert",
        "alert_state_change",
        "suppression",
        "incident_event",
        "series_state",
    } <= set(inspect(store.engine).get_table_names())


def test_reopening_a_migrated_database_is_a_no_op(store_url: str, store: IncidentStore) -> None:
    store.observe(obs("a", CRIT, T0), POLICY)
    with IncidentStore(store_url) as again:
        assert len(again.restart_state().open_incidents) == 1


def test_times_labels_and_values_round_trip_exactly(store: IncidentStore) -> None:
    labels = {"host": "db-1", "team": "données", "empty": ""}
    applied = store.observe(
        obs("a", CRIT, T0, host="db-1", service="disk /", labels=labels, value=97.125), POLICY
    )
    with store.transaction() as tx:
        record = tx.incident(applied.incident_id or 0)
    assert record is not None
    (alert,) = record.alerts
    assert (record.incident.opened_at, alert.first_seen, alert.last_state_change) == (T0, T0, T0)
    assert (alert.labels, alert.value, alert.host, alert.service) == (labels, 97.125, "db-1", "disk /")
    assert (record.incident.severity, record.incident.status) == (CRIT, IncidentStatus.TRIGGERED)


def test_a_full_life_open_join_escalate_clear_resolve_reopen(store: IncidentStore) -> None:
    opened = store.observe(obs("a", WARN, T0), POLICY)
    assert opened.transitions == (Transition.OPENED,)
    joined = store.observe(obs("b", CRIT, T0 + 1), POLICY)
    assert joined.incident_id == opened.incident_id
    assert joined.transitions == (Transition.JOINED, Transition.ESCALATED_SEVERITY)
    same = store.observe(obs("b", CRIT, T0 + 1.5), POLICY)
    assert (same.incident_id, same.key, same.decision) == (opened.incident_id, opened.key, None)
    store.observe(obs("a", OK, T0 + 2), POLICY)
    store.observe(obs("b", OK, T0 + 3), POLICY)
    assert store.tick(T0 + 62, POLICY) == []
    (resolved,) = store.tick(T0 + 63, POLICY)
    assert resolved.decision is not None and resolved.decision.incident.status is IncidentStatus.RESOLVED
    reopened = store.observe(obs("a", WARN, T0 + 100), POLICY)
    assert reopened.incident_id == opened.incident_id and reopened.key == opened.key
    assert reopened.transitions == (Transition.REOPENED,)
    with store.transaction() as tx:
        record = tx.incident(opened.key or "")
        kinds = [e.kind for e in tx.timeline(opened.incident_id or 0)]
        history = tx.state_history("a")
    assert record is not None
    assert (record.incident.reopened_count, record.incident.occurrences, len(record.alerts)) == (1, 3, 2)
    assert kinds == [
        "opened",
        "joined",
        "escalated_severity",
        "cleared",
        "cleared",
        "resolved_auto",
        "reopened",
    ]
    assert history == [
        (T0, None, "warning", None),
        (T0 + 2, "warning", "ok", None),
        (T0 + 100, "ok", "warning", None),
    ]


def test_firing_after_the_reopen_window_opens_a_new_incident(store: IncidentStore) -> None:
    first = store.observe(obs("a", CRIT, T0), POLICY)
    store.observe(obs("a", OK, T0 + 1), POLICY)
    store.tick(T0 + 61, POLICY)
    second = store.observe(obs("a", CRIT, T0 + 61 + 601), POLICY)
    assert second.incident_id != first.incident_id
    assert (first.key or "").endswith("-1") and (second.key or "").endswith("-2")
    with store.transaction() as tx:
        current = tx.current_alert("a")
        old = tx.incident(first.incident_id or 0)
    assert current is not None and current[0] == second.incident_id
    assert old is not None and old.alerts[0].state is OK  # the old membership keeps its history


def test_ok_series_that_never_fired_is_not_stored(store: IncidentStore) -> None:
    applied = store.observe(obs("a", OK, T0), POLICY)
    assert (applied.incident_id, applied.key, applied.decision) == (None, None, None)
    assert store.restart_state().open_incidents == ()


def test_acknowledge_and_resolve_by_id_and_key(store: IncidentStore) -> None:
    opened = store.observe(obs("a", CRIT, T0), POLICY)
    acked = store.acknowledge(opened.incident_id or 0, "ann", T0 + 5, note="on it")
    assert acked.decision is not None and acked.decision.incident.acked_by == "ann"
    done = store.resolve(opened.key or "", "bob", T0 + 9, note="disk cleaned")
    assert done.decision is not None and done.decision.incident.resolved_by == "bob"
    with store.transaction() as tx:
        entries = tx.timeline(opened.key or "")
    assert [(e.kind, e.actor, e.detail) for e in entries[1:]] == [
        ("acknowledged", "ann", "on it"),
        ("resolved_manual", "bob", "disk cleaned"),
    ]
    with pytest.raises(IncidentStateError, match="cannot acknowledge"):
        store.acknowledge(opened.incident_id or 0, "ann", T0 + 10)
    with pytest.raises(UnknownIncident, match="no incident with key 'nope'"):
        store.resolve("nope", "bob", T0)


def test_manually_resolved_incident_is_not_reopened_by_the_same_firing(store: IncidentStore) -> None:
    opened = store.observe(obs("a", CRIT, T0), POLICY)
    store.resolve(opened.incident_id or 0, "bob", T0 + 5)
    still = store.observe(obs("a", CRIT, T0 + 10), POLICY)
    assert (still.incident_id, still.transitions) == (opened.incident_id, ())
    assert store.restart_state().open_incidents == ()
    worse = store.observe(obs("a", WARN, T0 + 20), POLICY)
    assert worse.transitions == (Transition.REOPENED,)


def test_database_refuses_a_second_open_incident_for_one_group(store: IncidentStore) -> None:
    store.observe(obs("a", CRIT, T0), POLICY)
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.session.add(_incident_row("other-key", "db/prod", "triggered"))
        tx.session.flush()
    with store.transaction() as tx:  # resolved ones may repeat a group
        tx.session.add(_incident_row("old-1", "db/prod", "resolved"))
        tx.session.add(_incident_row("old-2", "db/prod", "resolved"))


def test_database_refuses_two_current_rows_for_one_fingerprint(store: IncidentStore) -> None:
    applied = store.observe(obs("a", CRIT, T0), POLICY)
    with pytest.raises(IntegrityError), store.transaction() as tx:
        other = _incident_row("k2", "elsewhere", "triggered")
        tx.session.add(other)
        tx.session.flush()
        assert other.id is not None and other.id != applied.incident_id
        tx.session.add(
            Alert(
                fingerprint="a",
                rule="r",
                state="critical",
                first_seen=T0,
                last_seen=T0,
                last_state_change=T0,
                incident_id=other.id,
            )
        )
        tx.session.flush()


def test_a_failed_unit_of_work_leaves_nothing_in_any_table(store: IncidentStore) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.transaction() as tx:
        tx.observe(obs("a", CRIT, T0), POLICY)
        tx.save_series_states("disk_full", {"a": {"pending_since": T0}}, T0)
        raise Boom
    state = store.restart_state()
    assert (state.open_incidents, dict(state.series_states)) == ((), {})


def test_suppression_root_cause_and_flapping(store: IncidentStore) -> None:
    opened = store.observe(obs("a", CRIT, T0), POLICY)
    with store.transaction() as tx:
        tx.record_suppression(
            SuppressionReason.MAINTENANCE,
            T0 + 1,
            "window db-upgrade",
            incident=opened.incident_id,
            fingerprint="a",
        )
        tx.annotate(opened.key or "", T0 + 2, root_cause="switch sw-3 down", flapping=True, actor="ann")
    with store.transaction() as tx:
        record = tx.incident(opened.key or "")
        kinds = [(e.kind, e.detail) for e in tx.timeline(opened.key or "")]
    assert record is not None
    assert (record.suppressed, record.root_cause, record.flapping) == (
        "maintenance",
        "switch sw-3 down",
        True,
    )
    assert ("suppressed", "maintenance: window db-upgrade") in kinds and ("flapping", "") in kinds


def test_series_states_upsert_and_delete(store: IncidentStore) -> None:
    with store.transaction() as tx:
        tx.save_series_states("cpu", {"a": {"n": 1}, "b": {"n": 2, "since": T0}}, T0)
        tx.save_series_states("mem", {"a": {"n": 3}}, T0)
    with store.transaction() as tx:
        tx.save_series_states("cpu", {"a": {"n": 10, "nested": {"x": [1, 2]}}}, T0 + 1)
        tx.delete_series_states("mem")
    with store.transaction() as tx:
        assert tx.series_states() == {
            "cpu": {"a": {"n": 10, "nested": {"x": [1, 2]}}, "b": {"n": 2, "since": T0}}
        }
        tx.delete_series_states("cpu", ["b"])
        assert tx.series_states("cpu") == {"cpu": {"a": {"n": 10, "nested": {"x": [1, 2]}}}}


def test_restart_rebuilds_open_incidents_alerts_and_series_state(
    store_url: str, store: IncidentStore
) -> None:
    a = store.observe(obs("a", CRIT, T0, group="g1", labels={"host": "x"}), POLICY)
    store.observe(obs("b", WARN, T0 + 1, group="g1"), POLICY)
    store.observe(obs("c", WARN, T0 + 2, group="g2"), POLICY)
    c_done = store.resolve(_key_of(store, "g2"), "ann", T0 + 4)
    assert c_done.decision is not None
    with store.transaction() as tx:
        tx.save_series_states("disk_full", {"a": {"pending_since": T0}}, T0)
    store.close()

    with IncidentStore(store_url) as restarted:
        state = restarted.restart_state()
        assert [r.incident.group_key for r in state.open_incidents] == ["g1"]
        (g1,) = state.open_incidents
        assert (g1.id, [x.fingerprint for x in g1.alerts], g1.alerts[0].labels) == (
            a.incident_id,
            ["a", "b"],
            {"host": "x"},
        )
        assert state.series_states == {"disk_full": {"a": {"pending_since": T0}}}
        again = restarted.observe(obs("d", CRIT, T0 + 5, group="g1"), POLICY)
        assert again.incident_id == a.incident_id
        assert len(restarted.restart_state().open_incidents) == 1


def test_two_writers_racing_on_one_group_open_one_incident(store_url: str, store: IncidentStore) -> None:
    writers = [IncidentStore(store_url, migrate=False) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            barrier.wait()
            for n in range(15):
                writers[i].observe(obs(f"w{i}-{n}", CRIT, T0 + n, group=f"race-{n}"), POLICY)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=50)
    for w in writers:
        w.close()
    assert errors == []
    incidents = store.restart_state().open_incidents
    assert sorted(r.incident.group_key for r in incidents) == sorted(f"race-{n}" for n in range(15))
    assert all(r.active_count == 2 and len(r.alerts) == 2 for r in incidents)
    with store.transaction() as tx:
        counts = [r.alert_count for r in tx.session.exec(select(Incident)).all()]
    assert counts == [2] * 15


def _key_of(store: IncidentStore, group: str) -> str:
    with store.transaction() as tx:
        record = tx.open_incident_by_group(group)
    assert record is not None
    return record.key


def _incident_row(key: str, group: str, status: str) -> Incident:
    return Incident(
        key=key,
        title="t",
        severity="critical",
        status=status,
        group_key=group,
        opened_at=T0,
        last_change_at=T0,
    )


def test_a_writer_that_loses_the_race_to_open_joins_the_winner(store_url: str, store: IncidentStore) -> None:
    """A opens the group's incident and holds its transaction; B tries the same group meanwhile.

    PostgreSQL: B's insert waits on the partial unique index, fails when A commits, and its retry
    joins A's incident. SQLite: B already waits at BEGIN IMMEDIATE, so it never races.
    """
    loser = IncidentStore(store_url, migrate=False)
    b_result: list[object] = []
    with store.transaction() as tx:
        winner = tx.observe(obs("a", CRIT, T0, group="hot"), POLICY)
        b = threading.Thread(
            target=lambda: b_result.append(loser.observe(obs("b", CRIT, T0, group="hot"), POLICY))
        )
        b.start()
        if store.dialect == "postgresql":
            _wait_until_blocked_on_a_lock(store)
    b.join(timeout=30)
    loser.close()
    (applied,) = b_result
    assert getattr(applied, "incident_id", None) == winner.incident_id
    assert loser.races_retried == (1 if store.dialect == "postgresql" else 0)
    (record,) = store.restart_state().open_incidents
    assert [a.fingerprint for a in record.alerts] == ["a", "b"]


def _wait_until_blocked_on_a_lock(store: IncidentStore) -> None:
    """Poll pg_stat_activity (a real server's state; bounded) until another backend waits on a lock."""
    import psycopg

    url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(2000):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()
            if row is not None and row[0] > 0:
                return
            conn.execute("SELECT pg_sleep(0.005)")
    raise AssertionError("the second writer never blocked on the first one's lock")


def test_an_opened_decision_never_overwrites_the_incident_holding_its_key(store: IncidentStore) -> None:
    """A writer that computed the same new key as a racing winner must fail (and retry), not merge."""
    first = store.observe(obs("a", CRIT, T0), POLICY)
    stale = open_incident(first.key or "", "other-group", "t", obs("b", CRIT, T0 + 1).snapshot(), T0 + 1)
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.apply(stale)
    (record,) = store.restart_state().open_incidents
    assert (record.incident.group_key, [a.fingerprint for a in record.alerts]) == ("db/prod", ["a"])


def test_migrations_downgrade_to_empty_and_up_again(store: IncidentStore) -> None:
    config = alembic_config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
        assert "incident" not in inspect(conn).get_table_names()
        assert current_revision(conn) is None
    upgrade_to_head(store.engine)
    assert store.observe(obs("a", CRIT, T0), POLICY).key is not None


def test_two_stores_opening_an_empty_database_at_once_both_migrate_cleanly(store_url: str) -> None:
    barrier = threading.Barrier(3)
    results: list[object] = []

    def open_store() -> None:
        barrier.wait()
        try:
            with IncidentStore(store_url) as s:
                results.append(s.dialect)
        except BaseException as exc:  # reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=50)
    assert len(results) == 3 and all(isinstance(r, str) for r in results), results


def test_an_unchanged_state_refreshes_the_alert_row_only(store: IncidentStore) -> None:
    opened = store.observe(obs("a", CRIT, T0, value=91.0), POLICY)
    again = store.observe(obs("a", CRIT, T0 + 30, value=93.5, labels={"host": "db-2"}), POLICY)
    assert (again.key, again.decision) == (opened.key, None)
    with store.transaction() as tx:
        record = tx.incident(opened.key or "")
        history = tx.state_history("a")
    assert record is not None
    (alert,) = record.alerts
    assert (alert.last_seen, alert.last_state_change, alert.value, alert.labels) == (
        T0 + 30,
        T0,
        93.5,
        {"host": "db-2"},
    )
    assert (len(history), record.incident.last_change_at) == (1, T0)


def test_an_alert_returning_to_an_incident_it_left_becomes_current_there_again(store: IncidentStore) -> None:
    a_home = store.observe(obs("a", CRIT, T0, group="g1"), POLICY)
    b_open = store.observe(obs("x", CRIT, T0, group="g2"), POLICY)
    store.resolve(a_home.incident_id or 0, "ann", T0 + 1)
    moved = store.observe(obs("a", WARN, T0 + 2, group="g2"), POLICY)  # a joins the open g2 incident
    assert (moved.incident_id, moved.transitions) == (b_open.incident_id, (Transition.JOINED,))
    store.observe(obs("z", CRIT, T0 + 3, group="g1"), POLICY)  # reopens g1's incident
    store.resolve(b_open.incident_id or 0, "ann", T0 + 4)
    back = store.observe(obs("a", CRIT, T0 + 5, group="g1"), POLICY)
    assert back.incident_id == a_home.incident_id
    with store.transaction() as tx:
        current = tx.current_alert("a")
        assert current is not None and current[0] == a_home.incident_id
        assert current[1].state is CRIT

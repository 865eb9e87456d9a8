"""The store's batch path (``StoreTransaction.prefetch`` and the per-transaction row caches) on
SQLite and PostgreSQL: it decides exactly what the one-by-one path decides, with fewer statements."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from alerter.incidents.lifecycle import LifecyclePolicy, Transition
from alerter.incidents.records import AlertObservation
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import (
    Alert,
    AlertStateChange,
    Incident,
    SeriesState,
    Suppression,
    SuppressionReason,
)
from alerter.incidents.unit import StoreTransaction
from alerter.model import Severity
from tests.fixtures.postgres import empty_postgres_database

pytestmark = pytest.mark.timeout(60)

OK, WARN, CRIT = Severity.OK, Severity.WARNING, Severity.CRITICAL
POLICY = LifecyclePolicy(resolve_delay=0, reopen_window=60)
T0 = 1_700_000_000.0

# Batches at increasing times: opens, joins, refreshes, an escalation, clears and auto-resolves,
# an ok stranger, a reopen within the window, one series twice in a batch, and a fire after the
# window that moves the alert on to a new incident.
TIMELINE: list[tuple[float, list[tuple[str, Severity, str]]]] = [
    (T0, [("a", CRIT, "g1"), ("b", WARN, "g1"), ("c", CRIT, "g2")]),
    (T0 + 30, [("a", CRIT, "g1"), ("b", CRIT, "g1"), ("c", OK, "g2"), ("d", OK, "g2")]),
    (T0 + 60, [("a", OK, "g1"), ("b", OK, "g1"), ("c", WARN, "g2")]),
    (T0 + 90, [("a", CRIT, "g1"), ("c", CRIT, "g2"), ("c", OK, "g2")]),
    (T0 + 120, [("a", OK, "g1")]),
    (T0 + 500, [("a", WARN, "g1"), ("e", CRIT, "g1")]),
    (T0 + 530, [("a", OK, "g1"), ("e", OK, "g1")]),
    # a newcomer to g1: reopens the group's LATEST resolved incident (of two), in one batch
    # with a series opening a third group
    (T0 + 550, [("f", CRIT, "g1"), ("h", CRIT, "g3")]),
]


def _run(store: IncidentStore, *, prefetch: bool) -> list[Any]:
    """Every batch's decisions, then every stored incident and alert row, as plain values."""
    decided = []
    for at, batch in TIMELINE:
        observations = [AlertObservation(fp, "r", s, at, g, f"{g} title") for fp, s, g in batch]

        def work(tx: StoreTransaction, observations: list[AlertObservation] = observations) -> list[Any]:
            if prefetch:
                # the first half as refreshes, the rest as expected changes (members loaded too)
                half = len(observations) // 2
                tx.prefetch(
                    [o.fingerprint for o in observations[:half]],
                    [o.group_key for o in observations[:half]],
                    [(o.fingerprint, o.group_key) for o in observations[half:]],
                )
            return [tx.observe(o, POLICY) for o in observations]

        decided.append([(a.incident_id, a.key, a.decision) for a in store.run(work)])
    with store.transaction() as tx:
        incidents = [r.model_dump() for r in tx.session.exec(select(Incident).order_by(col(Incident.id)))]
        alerts = [r.model_dump() for r in tx.session.exec(select(Alert).order_by(col(Alert.id)))]
        timelines = [tx.timeline(i["key"]) for i in incidents]
    return [decided, incidents, alerts, timelines]


def _fresh(url: str, tmp_path: Any) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'again.db'}"
    empty_postgres_database(url)
    return url


def test_prefetch_decides_and_stores_what_one_by_one_does(store_url: str, tmp_path: Any) -> None:
    with IncidentStore(store_url) as store:
        batched = _run(store, prefetch=True)
    with IncidentStore(_fresh(store_url, tmp_path)) as store:
        one_by_one = _run(store, prefetch=False)
    assert batched == one_by_one
    transitions = [
        [() if d is None else tuple(t.value for t in d.transitions) for *_, d in b] for b in batched[0]
    ]
    assert transitions[0] == [("opened",), ("joined",), ("opened",)]
    assert transitions[5][0] == ("opened",)  # after the reopen window: a new incident
    assert transitions[-1] == [("reopened", "joined"), ("opened",)]
    assert batched[0][-1][0][1] == batched[0][5][0][1]  # the second g1 incident, not the first


def test_prefetched_batch_reads_no_alert_or_incident_row_one_by_one(store_url: str) -> None:
    with IncidentStore(store_url) as store:
        _run(store, prefetch=True)
        statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        fps = ["a", "b", "c", "e"]  # known series, unchanged or changing within open incidents
        at = T0 + 600

        def work(tx: StoreTransaction) -> None:
            tx.prefetch(fps[:2], ["g1"], [(fp, "g1") for fp in fps[2:]])
            statements.clear()
            for fp in fps:
                state = {"a": WARN, "e": CRIT}.get(fp, OK)
                tx.observe(AlertObservation(fp, "r", state, at, "g1", "g1 title"), POLICY)

        store.run(work)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert statements  # the batch did write
    assert not [s for s in selects if "WHERE alert.fingerprint" in s or "FROM incident \nWHERE" in s]
    assert not [s for s in selects if "WHERE alert.incident_id =" in s]  # members came with prefetch


def test_buffered_history_is_visible_to_queries_in_the_same_transaction(store_url: str) -> None:
    with IncidentStore(store_url) as store, store.transaction() as tx:
        opened = tx.observe(AlertObservation("a", "r", CRIT, T0, "g1", "g1 title"), POLICY)
        assert opened.key is not None
        tx.note(opened.key, T0, "paged", "primary")
        tx.record_suppression(SuppressionReason.POLICY, T0, "dev", incident=opened.key, fingerprint="a")
        tx.observe(AlertObservation("a", "r", WARN, T0 + 1, "g1", "g1 title"), POLICY)
        assert [e.kind for e in tx.timeline(opened.key)] == ["opened", "paged", "suppressed", "changed"]
        assert [(f, t) for _, f, t, _ in tx.state_history("a")] == [
            (None, "critical"),
            ("critical", "warning"),
        ]
        joined = tx.session.exec(
            select(AlertStateChange.to_state, Alert.fingerprint)
            .join(Alert, col(Alert.id) == col(AlertStateChange.alert_id))
            .order_by(col(AlertStateChange.id))
        ).all()
        assert [tuple(r) for r in joined] == [("critical", "a"), ("warning", "a")]
        reasons = tx.session.exec(select(Suppression.reason, Suppression.alert_id)).all()
        assert [r[0] for r in reasons] == ["policy"] and reasons[0][1] is not None


def test_series_state_upsert_replaces_rows_already_loaded_in_the_transaction(store_url: str) -> None:
    with IncidentStore(store_url) as store:
        with store.transaction() as tx:
            tx.save_series_states("r", {"a": {"n": 1}, "b": {"n": 1}}, T0)
        with store.transaction() as tx:
            loaded = tx.session.exec(select(SeriesState).where(SeriesState.fingerprint == "a")).one()
            assert loaded.data == {"n": 1}
            tx.save_series_states("r", {"a": {"n": 2}, "c": {"n": 1}}, T0 + 1)
            assert (loaded.data, loaded.updated_at) == ({"n": 2}, T0 + 1)
            assert tx.series_states("r") == {"r": {"a": {"n": 2}, "b": {"n": 1}, "c": {"n": 1}}}
        with store.transaction() as tx:
            assert tx.series_states() == {"r": {"a": {"n": 2}, "b": {"n": 1}, "c": {"n": 1}}}


def test_tick_loads_members_only_of_incidents_due_to_resolve(store_url: str) -> None:
    slow = LifecyclePolicy(resolve_delay=60, reopen_window=60)
    with IncidentStore(store_url) as store:
        for fp, group in (("a", "g1"), ("b", "g2")):
            store.observe(AlertObservation(fp, "r", CRIT, T0, group, "t"), slow)
        store.observe(AlertObservation("a", "r", OK, T0 + 10, "g1", "t"), slow)
        store.observe(AlertObservation("b", "r", OK, T0 + 40, "g2", "t"), slow)
        statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        resolved = store.tick(T0 + 80, slow)  # g1 quiet for 70 s: due; g2 for 40 s: not yet
        member_loads = [s for s in statements if "FROM alert \nWHERE alert.incident_id =" in s]
    assert [(a.decision.incident.group_key if a.decision else None, a.transitions) for a in resolved] == [
        ("g1", (Transition.RESOLVED_AUTO,))
    ]
    assert len(member_loads) == 1

"""Dispatcher: paging decisions -> routed, escalating outbox rows, through the real pipeline and
a real SQLite incident store, on a fake clock. Times follow rules/routing.yaml (escalate after
10m, final after 10m more, renotify every 30m) and rules/oncall.yaml (the rotation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from alerter.config.correlation import load_correlation
from alerter.config.routing import RoutingConfig, load_routing_config
from alerter.config.topology import load_topology
from alerter.incidents.escalation_tables import Escalation
from alerter.incidents.outbox_tables import OutboxPage as OutboxRow
from alerter.incidents.store import IncidentStore
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, Event, fingerprint
from alerter.notify.dispatch import Dispatcher
from alerter.notify.inbound import IncidentUpdate, UpdateKind
from alerter.pipeline import Pipeline

RULES = Path(__file__).resolve().parents[3] / "rules"
T0 = 1_767_862_800.0  # Thursday 2026-01-08 09:00 UTC: rules/oncall.yaml has anna primary, ben sub
LABELS = {"host": "api-prod-02", "env": "prod", "role": "api", "team": "platform"}


def cpu(state: str, t: float) -> Event:
    attrs = {**LABELS, ATTR_RULE: "host_cpu_high", ATTR_FINGERPRINT: fingerprint("host_cpu_high", LABELS)}
    return Event("api-prod-02", "host_cpu_high", state, None, 97.0, t, 90.0, (), attrs)


@pytest.fixture
def routing() -> RoutingConfig:
    config, problems = load_routing_config(RULES / "routing.yaml")
    assert config is not None, problems
    return config


@pytest.fixture
def store(tmp_path: Path):
    with IncidentStore(f"sqlite:///{tmp_path / 'incidents.db'}") as s:
        yield s


def make_pipeline(store: IncidentStore, dispatcher: Dispatcher, start: float = T0) -> Pipeline:
    policy, problems = load_correlation(RULES / "correlation.yaml")
    topology, more = load_topology(RULES / "topology.yaml")
    assert policy is not None and topology is not None, problems + more
    return Pipeline(store, policy, topology, deliver=dispatcher.deliver, start=start)


def rows(store: IncidentStore) -> list[tuple[str, str, str, str]]:
    with store.transaction() as tx:
        found = tx.session.exec(select(OutboxRow).order_by(OutboxRow.id)).all()
        return [(r.channel, r.target, r.transition, r.request["action"]) for r in found]


def timeline_kinds(store: IncidentStore, key: str) -> list[str]:
    with store.transaction() as tx:
        return [e.kind for e in tx.timeline(key)]


def only_key(store: IncidentStore) -> str:
    with store.transaction() as tx:
        (incident,) = tx.open_incidents()
        return incident.key


def test_a_paging_incident_triggers_pagerduty_once_for_the_primary(store, routing) -> None:
    pipeline = make_pipeline(
        store, Dispatcher(routing, incident_url=lambda k: f"https://alerter.example/i/{k}")
    )
    result = pipeline.process([cpu("critical", T0)], T0)
    assert [d.pages for d in result.decisions] == [True]
    key = only_key(store)
    assert rows(store) == [("pagerduty", "anna", f"primary:primary@{int(T0)}#0", "trigger")]
    with store.transaction() as tx:
        (row,) = tx.session.exec(select(OutboxRow)).all()
        details = row.request["custom_details"]
        assert details["affected_hosts"] == ["api-prod-02"] and details["step"] == "primary"
        assert (details["primary"], details["sub"]) == ("Anna Becker (anna)", "Ben Schulz (ben)")
        assert details["alert_count"] == 1 and details["root_cause"] is None
        assert row.request["links"][0]["href"] == f"https://alerter.example/i/{key}"
    assert timeline_kinds(store, key)[-2:] == ["routed", "paged"]
    # the same alert again: no new page
    pipeline.process([cpu("critical", T0 + 30)], T0 + 30)
    assert len(rows(store)) == 1


def test_unacknowledged_escalates_to_the_sub_then_the_final_target_then_renotifies(store, routing) -> None:
    pipeline = make_pipeline(store, Dispatcher(routing))
    pipeline.process([cpu("critical", T0)], T0)
    pipeline.process([cpu("critical", T0 + 599)], T0 + 599)
    assert len(rows(store)) == 1  # 10 minutes not yet over
    pipeline.process([cpu("critical", T0 + 600)], T0 + 600)
    # the sub: PagerDuty escalates by itself (recorded), the Slack room is told
    assert rows(store)[1:] == [("ops-slack", "ben", f"sub:sub@{int(T0 + 600)}#0", "trigger")]
    pipeline.process([cpu("critical", T0 + 1200)], T0 + 1200)
    assert rows(store)[2:] == [("platform-leads", "", f"final:final@{int(T0 + 1200)}#0", "trigger")]
    kinds = timeline_kinds(store, only_key(store))
    assert kinds.count("escalation") == 1 and kinds.count("paged") == 3


def test_an_ack_stops_escalation_and_is_sent_where_the_pages_went(store, routing) -> None:
    dispatcher = Dispatcher(routing)
    pipeline = make_pipeline(store, dispatcher)
    pipeline.process([cpu("critical", T0)], T0)
    pipeline.process([cpu("critical", T0 + 600)], T0 + 600)
    key = only_key(store)
    store.run(lambda tx: dispatcher.acknowledge(tx, key, "eva", T0 + 700))
    assert rows(store)[2:] == [
        ("ops-slack", "ben", "acknowledged#0", "acknowledge"),
        ("pagerduty", "anna", "acknowledged#0", "acknowledge"),
    ]
    for t in (T0 + 1200, T0 + 3000, T0 + 6000):
        pipeline.process([cpu("critical", t)], t)
    assert len(rows(store)) == 4  # no final target, no renotify after the ack
    with store.transaction() as tx:
        assert tx.session.get(Escalation, key).next_at is None


def test_resolution_stops_escalation_and_resolves_every_paged_channel(store, routing) -> None:
    pipeline = make_pipeline(store, Dispatcher(routing))
    pipeline.process([cpu("critical", T0)], T0)
    pipeline.process([cpu("critical", T0 + 600)], T0 + 600)
    key = only_key(store)
    t = T0 + 630
    while t < T0 + 1200:  # ok from here; the policy's resolve delay passes inside this loop
        pipeline.process([cpu("ok", t)], t)
        t += 30
    with store.transaction() as tx:
        assert tx.incident(key).incident.status.value == "resolved"
    resolves = [r for r in rows(store) if r[3] == "resolve"]
    assert sorted(r[0] for r in resolves) == ["ops-slack", "pagerduty"]
    assert not [r for r in rows(store) if r[0] == "platform-leads"]


def test_a_restarted_engine_resumes_the_escalation_on_the_original_timeline(store, routing) -> None:
    make_pipeline(store, Dispatcher(routing)).process([cpu("critical", T0)], T0)
    # kill the engine; a new one starts 12 minutes later on the same database
    again = make_pipeline(store, Dispatcher(routing), start=T0 + 720)
    again.process([cpu("critical", T0 + 720)], T0 + 720)
    again.process([cpu("critical", T0 + 750)], T0 + 750)
    assert [r[2] for r in rows(store)] == [f"primary:primary@{int(T0)}#0", f"sub:sub@{int(T0 + 600)}#0"]


def test_a_pagerduty_webhook_ack_stops_escalation_and_unknown_keys_are_ignored(store, routing) -> None:
    dispatcher = Dispatcher(routing)
    pipeline = make_pipeline(store, dispatcher)
    pipeline.process([cpu("critical", T0)], T0)
    key = only_key(store)
    assert (
        store.run(
            lambda tx: dispatcher.apply_update(tx, IncidentUpdate(UpdateKind.ACKNOWLEDGED, "nope", "x", T0))
        )
        is None
    )
    store.run(
        lambda tx: dispatcher.apply_update(
            tx, IncidentUpdate(UpdateKind.ACKNOWLEDGED, key, "Eva Klein", T0 + 60)
        )
    )
    with store.transaction() as tx:
        record = tx.incident(key)
        assert (record.incident.acked_by, record.incident.status.value) == ("Eva Klein", "acknowledged")
    pipeline.process([cpu("critical", T0 + 900)], T0 + 900)
    # escalation stopped (no sub page at +10m); the ack came from PagerDuty, so none goes back
    assert [r[3] for r in rows(store)] == ["trigger"]


def test_staging_pages_nobody(store, routing) -> None:
    labels = {**LABELS, "env": "stg", "host": "api-stg-01"}
    attrs = {**labels, ATTR_RULE: "host_cpu_high", ATTR_FINGERPRINT: fingerprint("host_cpu_high", labels)}
    event = Event("api-stg-01", "host_cpu_high", "critical", None, 97.0, T0, 90.0, (), attrs)
    make_pipeline(store, Dispatcher(routing)).process([event], T0)
    assert rows(store) == []


def test_before_the_rotation_starts_the_page_still_goes_out_to_the_channel(store, routing) -> None:
    before = 1_767_600_000.0  # Monday 2026-01-05 08:00 UTC: rules/oncall.yaml starts at 09:00 UTC
    pipeline = make_pipeline(store, Dispatcher(routing), start=before)
    result = pipeline.process([cpu("critical", before)], before)
    assert [d.pages for d in result.decisions] == [True]  # the batch committed
    assert rows(store) == [("pagerduty", "", f"primary:primary@{int(before)}#0", "trigger")]
    key = only_key(store)
    with store.transaction() as tx:
        routed = [e.detail for e in tx.timeline(key) if e.kind == "routed"]
    assert len(routed) == 1 and "no on-call person to route to" in routed[0]
    # a later resolve still reaches the channel that was paged
    t = before + 30
    while t < before + 600:
        pipeline.process([cpu("ok", t)], t)
        t += 30
    assert [r[3] for r in rows(store)] == ["trigger", "resolve"]


def test_the_new_primary_gets_one_handoff_summary_and_the_open_incident_keeps_its_responder(
    store, routing
) -> None:
    monday = 1_768_208_400.0  # 2026-01-12 09:00 UTC = 10:00 Berlin: anna hands over to ben
    start = monday - 3600
    dispatcher = Dispatcher(routing)
    pipeline = make_pipeline(store, dispatcher, start=start)
    pipeline.process([cpu("critical", start)], start)
    key = only_key(store)
    store.run(lambda tx: dispatcher.acknowledge(tx, key, "anna", start + 60))
    t = start + 30
    while t <= monday + 120:
        pipeline.process([cpu("critical", t)], t)
        t += 30
    summaries = [r for r in rows(store) if r[2].startswith("handoff@")]
    assert summaries == [("ops-slack", "ben", f"handoff@{int(monday)}", "trigger")]  # once, not on PagerDuty
    with store.transaction() as tx:
        (row,) = [r for r in tx.session.exec(select(OutboxRow)).all() if r.transition.startswith("handoff@")]
        text = row.request["custom_details"]["handoff"]
        notes = [e.detail for e in tx.timeline(key) if e.kind == "handoff"]
    assert text.startswith("Handoff 2026-01-12T10:00+01:00: primary Anna Becker (anna) -> Ben Schulz (ben)")
    assert key in text and "responder Anna Becker (anna)" in text
    assert notes == [text.splitlines()[0]]
    # the responder did not change with the handoff
    assert next(r for r in rows(store) if r[3] == "trigger" and not r[2].startswith("handoff"))[1] == "anna"


def test_a_warning_kept_back_by_policy_that_turns_critical_pages_and_is_no_longer_shown_suppressed(
    store, routing
) -> None:
    pipeline = make_pipeline(store, Dispatcher(routing))
    pipeline.process([cpu("warning", T0)], T0)
    key = only_key(store)
    with store.transaction() as tx:
        assert tx.incident(key).suppressed == "policy"
    assert rows(store) == []
    pipeline.process([cpu("critical", T0 + 30)], T0 + 30)
    with store.transaction() as tx:
        record = tx.incident(key)
        assert record.suppressed is None
        assert [e.kind for e in tx.timeline(key)].count("suppressed") == 1  # the record stays
    assert [r[3] for r in rows(store)] == ["trigger"]

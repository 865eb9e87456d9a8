"""``alerter web`` on its own: with the routing file, an ack from the UI stops escalation and is
sent to every channel that was paged, exactly as in ``alerter run``."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from alerter.cli.web import web_context
from alerter.clock import FakeClock
from alerter.config.correlation import load_correlation
from alerter.config.routing import load_routing_config
from alerter.config.topology import load_topology
from alerter.config.web import WebSettings
from alerter.incidents.escalation_tables import Escalation
from alerter.incidents.outbox_tables import OutboxPage
from alerter.incidents.store import IncidentStore
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, Event, fingerprint
from alerter.notify.dispatch import Dispatcher
from alerter.pipeline import Pipeline

RULES = Path(__file__).resolve().parents[2] / "rules"
T0 = 1_767_862_800.0  # Thursday 2026-01-08 09:00 UTC: anna is primary
LABELS = {"host": "api-prod-02", "env": "prod", "role": "api", "team": "platform"}


def test_an_ack_in_the_standalone_web_server_goes_through_the_dispatcher(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    routing, _ = load_routing_config(RULES / "routing.yaml")
    policy, _ = load_correlation(RULES / "correlation.yaml")
    topology, _ = load_topology(RULES / "topology.yaml")
    assert routing is not None and policy is not None
    attrs = {**LABELS, ATTR_RULE: "host_cpu_high", ATTR_FINGERPRINT: fingerprint("host_cpu_high", LABELS)}
    event = Event("api-prod-02", "host_cpu_high", "critical", None, 97.0, T0, 90.0, (), attrs)
    with IncidentStore(url) as store:
        Pipeline(store, policy, topology, deliver=Dispatcher(routing).deliver, start=T0).process([event], T0)
        with store.transaction() as tx:
            (incident,) = tx.open_incidents()
            key = incident.key

    ctx = web_context(
        url,
        WebSettings(),
        [str(RULES)],
        RULES / "oncall.yaml",
        FakeClock(T0 + 60),
        routing_path=RULES / "routing.yaml",
    )
    assert ctx.acknowledge is not None
    ctx.acknowledge(key, "anna", T0 + 60, "on it")
    with ctx.incidents.transaction() as tx:
        assert tx.incident(key).incident.acked_by == "anna"
        actions = [(r.channel, r.request["action"]) for r in tx.session.exec(select(OutboxPage)).all()]
        assert tx.session.get(Escalation, key).next_at is None  # no sub page at +10m
    assert actions == [("pagerduty", "trigger"), ("pagerduty", "acknowledge")]


def test_without_a_routing_file_acks_go_to_the_store_alone(tmp_path: Path) -> None:
    ctx = web_context(
        f"sqlite:///{tmp_path / 'a.db'}",
        WebSettings(),
        [str(RULES)],
        RULES / "oncall.yaml",
        FakeClock(T0),
        routing_path=tmp_path / "absent.yaml",
    )
    assert ctx.acknowledge is None and ctx.resolve is None

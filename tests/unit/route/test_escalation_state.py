"""The escalation state as plain data: who stays responsible across a handoff, how ack and resolve
stop it, which steps a PagerDuty channel only records, and a JSON round trip (a restart)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from rotation_specs import make_spec

from alerter.config.routing import Level, RoutingPolicy, parse_routing
from alerter.route.escalation import EscalationState, Step, Stopped, start, stop, tick, timeline
from alerter.route.routing import ChannelTarget, route

M = 60.0
SPEC = make_spec(extra_members=("zoe",))
HANDOFF = datetime(2026, 2, 16, 9, 0, tzinfo=UTC)  # Monday 10:00 Berlin: week 6 starts


def policy(**escalation: object) -> RoutingPolicy:
    text = yaml.safe_dump(
        {
            "channels": {
                "pagerduty": {"type": "pagerduty"},
                "mail": {"type": "email"},
                "chat": {"type": "webhook", "format": "slack", "url_env": "CHAT_URL"},
            },
            "escalation": {
                "escalate_after": "10m",
                "final": {"member": "zoe"},
                "renotify_every": "30m",
                "max_renotify": 1,
                "channels": {
                    "primary": ["pagerduty"],
                    "sub": ["pagerduty", "chat"],
                    "final": ["pagerduty", "mail"],
                },
                **escalation,
            },
            "routing": {"rotations": {"team": "oncall.yaml"}, "default": "team"},
        }
    )
    loaded, problems = parse_routing(text, "routing.yaml")
    assert loaded is not None, problems
    return loaded


def test_an_incident_spanning_a_handoff_keeps_its_responder() -> None:
    started = HANDOFF - timedelta(minutes=5)  # felix is primary, anna sub
    assert route({}, SPEC, policy(), HANDOFF).primary.id == "anna"  # the new week's primary
    state, first = start("inc-1", started.timestamp(), route({}, SPEC, policy(), started))
    state, later = tick(state, started.timestamp() + 120 * M)
    assert [p.target.id for p in first] == ["felix"]  # type: ignore[union-attr]
    assert (state.responder.id, state.sub.id) == ("felix", "anna")
    renotified = {p.target.id for p in later if p.step is Step.RENOTIFY}  # type: ignore[union-attr]
    assert renotified == {"felix", "anna", "zoe"}  # the new week's sub (ben) is not dragged in


@pytest.mark.parametrize(
    ("step", "channel", "send"),
    [
        (Step.PRIMARY, "pagerduty", True),  # the one Events v2 trigger
        (Step.SUB, "pagerduty", False),  # PagerDuty's level 2 pages the sub
        (Step.SUB, "chat", True),  # a webhook has no escalation engine: alerter pages
        (Step.FINAL, "pagerduty", False),
        (Step.FINAL, "mail", True),
        (Step.RENOTIFY, "pagerduty", False),  # num_loops
        (Step.RENOTIFY, "chat", True),
        (Step.RENOTIFY, "mail", True),
    ],
)
def test_pagerduty_steps_after_the_trigger_are_recorded_not_sent(
    step: Step, channel: str, send: bool
) -> None:
    at = datetime(2026, 2, 10, 14, 0, tzinfo=UTC)
    pages = timeline("inc-1", at.timestamp(), route({}, SPEC, policy(), at))
    assert {p.send for p in pages if (p.step, p.channel) == (step, channel)} == {send}


def test_each_intent_names_its_level_and_target() -> None:
    at = datetime(2026, 2, 10, 14, 0, tzinfo=UTC)
    pages = timeline("inc-1", at.timestamp(), route({}, SPEC, policy(final={"channel": "chat"}), at))
    final = [p for p in pages if p.step is Step.FINAL]
    assert [(p.level, p.channel, p.target) for p in final] == [
        (Level.FINAL, "chat", ChannelTarget("chat", final[0].target.type))  # type: ignore[union-attr]
    ]
    assert {p.incident_key for p in pages} == {"inc-1"}
    assert [p.level.number for p in pages if p.step is Step.RENOTIFY] == [1, 2, 2, 3]


def started(at_minute: float = 0.0) -> EscalationState:
    at = datetime(2026, 2, 10, 14, 0, tzinfo=UTC)
    state, _ = start("inc-1", at.timestamp() + at_minute * M, route({}, SPEC, policy(), at))
    return state


def test_stop_ends_escalation_and_records_when() -> None:
    state = started()
    acked = stop(state, Stopped.ACKNOWLEDGED, state.started_at + 5 * M)
    assert (acked.stopped_reason, acked.stopped_at, acked.next_at, acked.active) == (
        Stopped.ACKNOWLEDGED,
        state.started_at + 5 * M,
        None,
        False,
    )


def test_a_resolve_after_an_ack_updates_the_reason_but_not_when_pages_stopped() -> None:
    state = started()
    acked = stop(state, Stopped.ACKNOWLEDGED, state.started_at + 5 * M)
    resolved = stop(acked, Stopped.RESOLVED, state.started_at + 50 * M)
    assert (resolved.stopped_reason, resolved.stopped_at) == (Stopped.RESOLVED, state.started_at + 5 * M)
    assert stop(resolved, Stopped.ACKNOWLEDGED, state.started_at + 60 * M) == resolved


def test_stop_takes_only_ack_or_resolve() -> None:
    with pytest.raises(ValueError, match="ack or a resolve"):
        stop(started(), Stopped.EXHAUSTED, 0.0)


def test_the_state_survives_a_json_round_trip_mid_escalation() -> None:
    state, _ = tick(started(), started().started_at + 12 * M)
    restored = EscalationState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    later = state.started_at + 200 * M
    assert tick(restored, later) == tick(state, later)


def test_a_channel_final_target_survives_a_round_trip() -> None:
    at = datetime(2026, 2, 10, 14, 0, tzinfo=UTC)
    state, _ = start("inc-2", at.timestamp(), route({}, SPEC, policy(final={"channel": "mail"}), at))
    assert EscalationState.from_dict(json.loads(json.dumps(state.to_dict()))) == state

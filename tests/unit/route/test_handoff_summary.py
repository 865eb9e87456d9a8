"""Handoff summaries: each change of Primary (a weekly handoff or an override) gives the new
Primary exactly one summary of the open incidents, with their responders, ages and statuses,
however the engine's ticks fall around it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from rotation_specs import make_spec, utc

from alerter.config.routing import RoutingPolicy, parse_routing
from alerter.incidents.lifecycle import IncidentSnapshot, IncidentStatus
from alerter.model import Severity
from alerter.route.escalation import EscalationState, Stopped, start, stop, tick
from alerter.route.handoff import HandoffSummary, handoff_summaries, handoff_summary, primary_handoffs
from alerter.route.routing import route

SPEC = make_spec()  # TEAM, Mondays 10:00 Berlin; week 5 felix/anna, week 6 anna/ben
HANDOFF = utc("2026-02-16T09:00")


def _policy() -> RoutingPolicy:
    text = yaml.safe_dump(
        {
            "channels": {"pagerduty": {"type": "pagerduty"}},
            "routing": {"rotations": {"team": "x.yaml"}, "default": "team"},
        }
    )
    policy, problems = parse_routing(text, "routing.yaml")
    assert policy is not None, problems
    return policy


POLICY = _policy()


def incident(
    key: str, opened: datetime, status: IncidentStatus = IncidentStatus.TRIGGERED
) -> IncidentSnapshot:
    t = opened.timestamp()
    return IncidentSnapshot(
        key=key,
        group_key=key,
        title=f"disk full on {key}",
        status=status,
        severity=Severity.CRITICAL,
        opened_at=t,
        last_change_at=t,
    )


def escalation(key: str, opened: datetime, now: datetime) -> EscalationState:
    state, _ = start(key, opened.timestamp(), route({}, SPEC, POLICY, opened))
    return tick(state, now.timestamp())[0]


def open_incidents() -> list[tuple[IncidentSnapshot, EscalationState | None]]:
    early, late = HANDOFF - timedelta(hours=3), HANDOFF - timedelta(minutes=45)
    acked = stop(escalation("db-2", early, early), Stopped.ACKNOWLEDGED, early.timestamp() + 120)
    return [
        (incident("db-2", early, IncidentStatus.ACKNOWLEDGED), acked),
        (incident("db-1", late), escalation("db-1", late, HANDOFF)),
        (incident("db-3", early, IncidentStatus.RESOLVED), escalation("db-3", early, early)),
        (incident("web-1", early), None),  # a warning that never paged
    ]


def test_a_weekly_handoff_is_one_change_of_primary() -> None:
    [h] = primary_handoffs(SPEC, utc("2026-02-10T00:00"), utc("2026-02-20T00:00"))
    assert (h.at, h.old.id, h.new.id, h.rotation) == (HANDOFF, "felix", "anna", "team")


def test_an_override_hands_over_twice_and_a_week_with_the_same_primary_not_at_all() -> None:
    override = {
        "role": "primary",
        "member": "clara",
        "start": "2026-02-11T18:00:00+01:00",
        "end": "2026-02-12T08:00:00+01:00",
    }
    spec = make_spec(overrides=[override])
    handoffs = primary_handoffs(spec, utc("2026-02-09T12:00"), utc("2026-02-16T08:00"))
    assert [(h.at, h.old.id, h.new.id) for h in handoffs] == [
        (utc("2026-02-11T17:00"), "felix", "clara"),
        (utc("2026-02-12T07:00"), "clara", "felix"),
    ]
    # week 6 swapped with week 11 (felix): felix is primary two weeks in a row, so no handoff between
    swapped = make_spec(swaps=[{"weeks": ["2026-02-16", "2026-03-23"], "members": ["anna", "felix"]}])
    assert primary_handoffs(swapped, utc("2026-02-16T08:00"), utc("2026-02-16T10:00")) == []


@pytest.mark.parametrize(
    "step", [timedelta(seconds=1), timedelta(minutes=7), timedelta(hours=1), timedelta(hours=5)]
)
def test_consecutive_ticks_give_the_new_primary_exactly_one_summary(step: timedelta) -> None:
    since, summaries = utc("2026-02-16T03:00"), []
    incidents = open_incidents()
    while since < utc("2026-02-16T15:00"):
        until = since + step
        summaries += handoff_summaries(SPEC, incidents, since, until)
        since = until
    [summary] = summaries
    assert (summary.old.id, summary.new.id, summary.at) == ("felix", "anna", HANDOFF)
    assert [(i.key, getattr(i.responder, "id", None)) for i in summary.incidents] == [
        ("web-1", None),
        ("db-1", "felix"),
        ("db-2", "felix"),
    ]


def test_a_tick_ending_exactly_at_the_handoff_takes_it_and_the_next_does_not() -> None:
    assert len(handoff_summaries(SPEC, [], HANDOFF - timedelta(minutes=1), HANDOFF)) == 1
    assert handoff_summaries(SPEC, [], HANDOFF, HANDOFF + timedelta(minutes=1)) == []


def test_the_summary_lists_open_incidents_unacknowledged_first_with_responder_age_and_status() -> None:
    summary = handoff_summary(open_incidents(), SPEC.member("felix"), SPEC.member("anna"), HANDOFF)
    assert summary.text().splitlines() == [
        "Handoff 2026-02-16T10:00+01:00: primary Felix (felix) -> Anna (anna)",
        "3 open incidents, their responders stay on them:",
        "  web-1  triggered  critical  open 3h  no responder (did not page)  disk full on web-1",
        "  db-1  triggered  critical  open 45m  responder Felix (felix), paged up to sub  disk full on db-1",
        "  db-2  acknowledged  critical  open 3h  responder Felix (felix), acknowledged  disk full on db-2",
    ]


def test_an_incident_opened_after_the_handoff_is_not_in_its_summary() -> None:
    later = incident("db-9", HANDOFF + timedelta(minutes=1))
    [summary] = handoff_summaries(
        SPEC, [(later, None)], HANDOFF - timedelta(minutes=1), HANDOFF + timedelta(minutes=5)
    )
    assert summary.incidents == ()
    assert summary.text().splitlines()[1] == "No open incidents."


def test_times_are_shown_in_the_new_primarys_timezone() -> None:
    new_york = make_spec(extra_members=()).member("anna").model_copy(update={"timezone": "America/New_York"})
    summary = HandoffSummary(HANDOFF, SPEC.member("felix"), new_york, ())
    assert summary.text().startswith("Handoff 2026-02-16T04:00-05:00: ")


def test_nothing_hands_over_before_the_rotation_starts() -> None:
    assert primary_handoffs(SPEC, datetime(2025, 1, 1, tzinfo=UTC), utc("2026-01-05T08:59")) == []

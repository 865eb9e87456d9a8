"""``route(labels, specs, policy, at)``: labels choose the rotation (first matching route, else the
default), the rotation says who is primary and sub at that instant (overrides and DST included),
the route's escalation says the final target and timings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from rotation_specs import spec_data, utc

from alerter.config.oncall import OnCallSpec, parse_oncall
from alerter.config.routing import RoutingPolicy, parse_routing
from alerter.route.escalation import timeline
from alerter.route.routing import (
    ChannelTarget,
    PagerDutyMirror,
    RouteWhy,
    matching_route,
    pagerduty_mirror,
    route,
)


def rotation(name: str, order: tuple[str, ...], **entries: Any) -> OnCallSpec:
    data = spec_data(order, extra_members=("lead",), **entries)
    data["rotation"]["name"] = name
    spec, problems = parse_oncall(yaml.safe_dump(data), f"{name}.yaml")
    assert spec is not None, [str(p) for p in problems]
    return spec


PLATFORM = rotation("platform", ("anna", "ben", "clara"))
DATA = rotation("data", ("xena", "yuri", "zara"))
SPECS = {"platform": PLATFORM, "data": DATA}
ROUTING = """
channels:
  pagerduty: {type: pagerduty}
  leads: {type: email, to: [leads@example.com]}
escalation:
  escalate_after: 10m
  final: {channel: leads}
routing:
  rotations: {platform: platform.yaml, data: data.yaml}
  routes:
    - match: {team: data, env: prod}
      rotation: data
      escalation: {escalate_after: 5m, final: {member: lead}}
    - match: {env: [stg, dev]}
      rotation: platform
      escalation: {escalate_after: 30m}
    - match: {team: data}
      rotation: data
  default: platform
"""


def policy(text: str = ROUTING) -> RoutingPolicy:
    loaded, problems = parse_routing(text, "routing.yaml")
    assert loaded is not None, problems
    return loaded


WEEK0 = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)  # week 0: anna/ben and xena/yuri


@pytest.mark.parametrize(
    ("labels", "index", "rotation", "primary", "sub", "final", "escalate_after"),
    [
        ({"team": "data", "env": "prod"}, 0, "data", "xena", "yuri", "lead", 300.0),
        ({"team": "data", "env": "stg"}, 1, "platform", "anna", "ben", "leads", 1800.0),  # first match wins
        ({"team": "data", "env": "qa"}, 2, "data", "xena", "yuri", "leads", 600.0),
        ({"team": "edge", "env": "prod"}, None, "platform", "anna", "ben", "leads", 600.0),
        ({}, None, "platform", "anna", "ben", "leads", 600.0),
    ],
)
def test_labels_route_to_rotations(
    labels: dict[str, str],
    index: int | None,
    rotation: str,
    primary: str,
    sub: str,
    final: str,
    escalate_after: float,
) -> None:
    d = route(labels, SPECS, policy(), WEEK0)
    assert (d.route, d.rotation, d.primary.id, d.sub.id) == (index, rotation, primary, sub)
    assert (getattr(d.final, "id", None) or getattr(d.final, "name", None)) == final
    assert d.plan.escalate_after == escalate_after
    assert d.why is (RouteWhy.DEFAULT if index is None else RouteWhy.MATCHED)


def test_a_missing_label_does_not_match_a_route_that_names_it() -> None:
    assert matching_route({"env": "prod"}, policy()) is None


def test_reasons_name_the_route_then_the_rotation_then_the_final_target() -> None:
    d = route({"team": "data", "env": "prod"}, SPECS, policy(), WEEK0)
    assert d.reasons == (
        "route 1 matches {team: data, env: prod}: rotation data",
        "primary of week 0 from 2026-01-05T10:00+01:00 to 2026-01-12T10:00+01:00: xena by the order",
        "sub of week 0 from 2026-01-05T10:00+01:00 to 2026-01-12T10:00+01:00: yuri by the order",
        "final target Lead (lead) (escalation.final)",
    )
    default = route({"team": "edge"}, SPECS, policy(), WEEK0)
    assert default.reasons[0] == "no route matches team=edge: the default rotation platform"
    assert default.final == ChannelTarget("leads", default.final.type)  # type: ignore[union-attr]


def test_an_override_active_at_the_incident_start_picks_the_override_person() -> None:
    override = {
        "role": "primary",
        "member": "clara",
        "replaces": "anna",
        "start": "2026-01-07T12:00:00+00:00",
        "end": "2026-01-07T20:00:00+00:00",
        "reason": "anna at the dentist",
    }
    specs = {**SPECS, "platform": rotation("platform", ("anna", "ben", "clara"), overrides=[override])}
    during = route({}, specs, policy(), utc("2026-01-07T12:00"))
    before = route({}, specs, policy(), utc("2026-01-07T11:59"))
    assert (during.primary.id, before.primary.id) == ("clara", "anna")
    assert "override 1: clara replaces anna as primary" in during.reasons[2]
    # the override person is the responder for the whole escalation, even after the override ends
    pages = timeline(
        "inc-1", utc("2026-01-07T19:55").timestamp(), route({}, specs, policy(), utc("2026-01-07T19:55"))
    )
    assert {getattr(p.target, "id", None) for p in pages if p.level.number == 1} == {"clara"}


def test_a_dst_week_hands_over_at_10_local_and_escalates_in_real_minutes() -> None:
    # 2026-03-29 Berlin goes CET -> CEST: week 11 (Mar 23 10:00 CET = 09:00Z) ends Mar 30 10:00 CEST = 08:00Z,
    # 167 hours later. 08:30Z is already week 12, though 168 hours after the week's start is not reached.
    assert route({}, SPECS, policy(), utc("2026-03-30T07:59")).primary.id == "clara"  # week 11: 11 mod 3 = 2
    assert route({}, SPECS, policy(), utc("2026-03-30T08:30")).primary.id == "anna"  # week 12
    night = utc("2026-03-29T00:55")  # 01:55 CET, five minutes before clocks jump to 03:00 CEST
    pages = timeline("inc-1", night.timestamp(), route({}, SPECS, policy(), night))
    sub = next(p for p in pages if p.level.number == 2)
    assert sub.due_at - night.timestamp() == 600.0
    assert (
        datetime.fromtimestamp(sub.due_at, UTC).astimezone(PLATFORM.zone).isoformat()
        == "2026-03-29T03:05:00+02:00"
    )


def test_a_single_spec_stands_for_its_own_rotation() -> None:
    d = route({}, PLATFORM, policy(), WEEK0)
    assert d.rotation == "platform"
    with pytest.raises(KeyError, match='rotation "data" has no on-call spec'):
        route({"team": "data"}, PLATFORM, policy(), WEEK0)


def test_before_the_rotation_starts_nobody_can_be_routed_to() -> None:
    with pytest.raises(ValueError, match="nobody is on call"):
        route({}, SPECS, policy(), utc("2026-01-01T00:00"))


@pytest.mark.parametrize(
    ("labels", "final_is_member", "delays", "loops"),
    [
        # final_after defaults to the route's escalate_after
        ({"team": "data", "env": "prod"}, True, (5, 5, 30), 2),
        ({"team": "edge"}, False, (10, 30), 2),  # a channel final has no PagerDuty rule
    ],
)
def test_the_pagerduty_policy_mirrors_the_plan(
    labels: dict[str, str], final_is_member: bool, delays: tuple[int, ...], loops: int
) -> None:
    plan = route(
        labels,
        SPECS,
        policy(ROUTING.replace("final: {channel: leads}", "final: {channel: leads}\n  max_renotify: 2")),
        WEEK0,
    ).plan
    assert pagerduty_mirror(plan, final_is_member) == PagerDutyMirror(delays, loops)

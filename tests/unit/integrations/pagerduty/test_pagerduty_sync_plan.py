"""The rotation sync's pure half: desired PagerDuty objects from a spec, and the minimal plan.

"Current" states are built by sending our own request bodies through the parsers as PagerDuty
would echo them (ids added), so the tests also pin the JSON mapping both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from alerter.config.oncall import OnCallSpec, Role, parse_oncall
from integrations.pagerduty.sync import (
    MARKER,
    Action,
    Current,
    Desired,
    Escalation,
    Override,
    SyncError,
    SyncPlan,
    desired_state,
    overrides_body,
    parse_override,
    parse_policy,
    parse_schedule,
    pick_ours,
    plan_sync,
    policy_body,
    schedule_body,
    unknown_users,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # Monday of week 8, after the 10:00 Berlin handoff
TEAM = ("anna", "ben", "clara", "david")


def spec_of(order: tuple[str, ...] = TEAM, sub_offset: int = 1, **entries: Any) -> OnCallSpec:
    data = {
        "rotation": {
            "name": "platform",
            "start": "2026-01-05",
            "handoff": {"weekday": "monday", "time": "10:00", "timezone": "Europe/Berlin"},
            "order": list(order),
            "sub_offset": sub_offset,
        },
        "members": [
            {
                "id": m,
                "name": m.capitalize(),
                "email": f"{m}@example.com",
                "pagerduty_user_id": f"P{m.upper()}",
                "timezone": "Europe/Berlin",
            }
            for m in TEAM
        ],
        **entries,
    }
    spec, problems = parse_oncall(yaml.safe_dump(data), "oncall.yaml")
    assert spec is not None, [str(p) for p in problems]
    return spec


CONCERT = {
    "role": "primary",
    "member": "david",
    "replaces": "anna",
    "start": "2026-03-03T18:00:00+01:00",
    "end": "2026-03-04T08:00:00+01:00",
}
SWAP = {"weeks": ["2026-03-16", "2026-03-23"], "members": ["clara", "david"]}


def desired(spec: OnCallSpec, weeks: int = 12, escalation: Escalation | None = None) -> Desired:
    return desired_state(spec, NOW, weeks, escalation or Escalation())


def as_pagerduty(want: Desired) -> Current:
    """What PagerDuty holds after a sync of ``want``: our bodies echoed back with ids."""
    schedules, overrides, ids = {}, {}, {}
    for role in Role:
        sent = schedule_body(want.schedules[role], want.layer_start)["schedule"]
        sid = f"PS{role.value.upper()}"
        ids[role] = sid
        layers = [
            {**layer, "id": f"PL{role.value.upper()}", "end": None} for layer in sent["schedule_layers"]
        ]
        schedules[role] = parse_schedule(role, {**sent, "id": sid, "schedule_layers": layers}, NOW)
        items = overrides_body(want.overrides[role])["overrides"]
        overrides[role] = tuple(
            parse_override({**o, "id": f"PO{role.value}{i}"}) for i, o in enumerate(items)
        )
    sent_policy = policy_body(want.policy, ids)["escalation_policy"]
    policy = parse_policy({**sent_policy, "id": "PEP1"}, {sid: role for role, sid in ids.items()})
    return Current(schedules, overrides, policy)


def actions(plan: SyncPlan) -> list[tuple[Action, Role | None]]:
    return [(op.action, op.role) for op in plan.operations]


FRESH = Current({Role.PRIMARY: None, Role.SUB: None}, {Role.PRIMARY: (), Role.SUB: ()}, None)


# -- desired state ------------------------------------------------------------------------------


def test_layers_turn_weekly_from_the_epoch_handoff_in_the_handoff_timezone() -> None:
    want = desired(spec_of())
    primary, sub = want.schedules[Role.PRIMARY], want.schedules[Role.SUB]
    body = schedule_body(primary, want.layer_start)["schedule"]
    layer = body["schedule_layers"][0]
    assert (body["name"], body["time_zone"]) == ("alerter: platform primary", "Europe/Berlin")
    assert MARKER in body["description"]
    assert layer["rotation_virtual_start"] == "2026-01-05T10:00:00+01:00"
    assert layer["rotation_turn_length_seconds"] == 604800
    # layer start: this week's handoff (Monday 10:00 Berlin), not the epoch and not "now"
    assert layer["start"] == "2026-03-02T10:00:00+01:00"
    assert [u["user"]["id"] for u in layer["users"]] == ["PANNA", "PBEN", "PCLARA", "PDAVID"]
    assert sub.layer is not None and sub.layer.user_ids == ("PBEN", "PCLARA", "PDAVID", "PANNA")


def test_sub_layer_is_shifted_by_sub_offset() -> None:
    sub = desired(spec_of(sub_offset=2)).schedules[Role.SUB]
    assert sub.layer is not None and sub.layer.user_ids == ("PCLARA", "PDAVID", "PANNA", "PBEN")


def test_before_the_rotation_starts_the_layer_starts_at_the_epoch() -> None:
    want = desired_state(spec_of(), datetime(2025, 12, 1, tzinfo=UTC), 4, Escalation())
    assert want.layer_start == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert want.until == datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def test_an_override_becomes_a_pagerduty_override_on_its_role_only() -> None:
    want = desired(spec_of(overrides=[CONCERT]))
    assert want.overrides[Role.PRIMARY] == (
        Override(
            datetime(2026, 3, 3, 17, tzinfo=UTC), datetime(2026, 3, 4, 7, tzinfo=UTC), "PDAVID", "david"
        ),
    )
    assert want.overrides[Role.SUB] == ()


def test_a_swap_becomes_whole_week_overrides_for_both_roles_across_dst() -> None:
    # weeks 10 and 11 (Mar 16 and Mar 23, before Berlin's DST on Mar 29) exchange slots
    want = desired(spec_of(swaps=[SWAP]))
    week10 = (datetime(2026, 3, 16, 9, tzinfo=UTC), datetime(2026, 3, 23, 9, tzinfo=UTC))
    week11 = (datetime(2026, 3, 23, 9, tzinfo=UTC), datetime(2026, 3, 30, 8, tzinfo=UTC))  # 167 hours
    assert [(o.start, o.end, o.who) for o in want.overrides[Role.PRIMARY]] == [
        (*week10, "david"),
        (*week11, "clara"),
    ]
    assert [(o.start, o.end, o.who) for o in want.overrides[Role.SUB]] == [
        (*week10, "anna"),
        (*week11, "david"),
    ]


def test_adjacent_pieces_of_one_person_are_one_override_even_across_a_handoff() -> None:
    # anna covers ben's Sunday evening (week 9) into clara's Monday (week 10): one override
    cover = {
        "role": "primary",
        "member": "anna",
        "start": "2026-03-15T18:00:00+01:00",
        "end": "2026-03-16T14:00:00+01:00",
    }
    (override,) = desired(spec_of(overrides=[cover])).overrides[Role.PRIMARY]
    assert (override.start, override.end) == (
        datetime(2026, 3, 15, 17, tzinfo=UTC),
        datetime(2026, 3, 16, 13, tzinfo=UTC),
    )


def test_override_part_where_the_member_is_scheduled_anyway_is_not_an_override() -> None:
    # sub_offset 2: clara is primary from Mar 16 10:00 (and sub of neither week), so her override
    # from Sunday only deviates from the schedule until the handoff
    cover = {
        "role": "primary",
        "member": "clara",
        "start": "2026-03-15T18:00:00+01:00",
        "end": "2026-03-16T14:00:00+01:00",
    }
    (override,) = desired(spec_of(sub_offset=2, overrides=[cover])).overrides[Role.PRIMARY]
    assert (override.start, override.end) == (
        datetime(2026, 3, 15, 17, tzinfo=UTC),
        datetime(2026, 3, 16, 9, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("start", "end", "weeks", "synced"),
    [
        ("2026-02-10T08:00:00+01:00", "2026-02-11T08:00:00+01:00", 12, False),  # over before now
        ("2026-03-01T08:00:00+01:00", "2026-03-05T08:00:00+01:00", 12, True),  # in progress: kept whole
        ("2026-03-12T08:00:00+01:00", "2026-03-13T08:00:00+01:00", 2, True),  # inside 2 weeks
        ("2026-03-16T08:00:00+01:00", "2026-03-17T08:00:00+01:00", 2, True),  # reaches past the window
        ("2026-03-17T08:00:00+01:00", "2026-03-18T08:00:00+01:00", 1, False),  # after the window
    ],
)
def test_only_overrides_overlapping_the_window_are_synced_with_their_full_extent(
    start: str, end: str, weeks: int, synced: bool
) -> None:
    # david is a member outside the order, so he may cover anyone at any time
    entry = {"role": "sub", "member": "david", "start": start, "end": end}
    found = desired(spec_of(("anna", "ben", "clara"), overrides=[entry]), weeks).overrides[Role.SUB]
    expected = (datetime.fromisoformat(start).astimezone(UTC), datetime.fromisoformat(end).astimezone(UTC))
    assert [(o.start, o.end) for o in found] == ([expected] if synced else [])


def test_escalation_policy_levels_and_delays() -> None:
    spec = spec_of()
    two = desired(spec).policy
    assert [(r.delay_minutes, [(t.kind, t.ref) for t in r.targets]) for r in two.rules] == [
        (10, [("schedule", "primary")]),
        (10, [("schedule", "sub")]),
    ]
    three = desired(spec, escalation=Escalation(5, "anna", final_after=15, loop_after=30, num_loops=2)).policy
    assert [r.delay_minutes for r in three.rules] == [5, 15, 30]
    assert [(t.kind, t.ref) for t in three.rules[2].targets] == [("user", "PANNA")]
    body = policy_body(three, {Role.PRIMARY: "PS1", Role.SUB: "PS2"})["escalation_policy"]
    assert body["num_loops"] == 2
    assert [r["targets"] for r in body["escalation_rules"]] == [
        [{"id": "PS1", "type": "schedule_reference"}],
        [{"id": "PS2", "type": "schedule_reference"}],
        [{"id": "PANNA", "type": "user_reference"}],
    ]


def test_unknown_final_member_and_bad_weeks_are_refused() -> None:
    with pytest.raises(ValueError, match='final member "zoe" is not a member'):
        desired(spec_of(), escalation=Escalation(final_member="zoe"))
    with pytest.raises(ValueError, match="weeks must be at least 1"):
        desired(spec_of(), weeks=0)


def test_unknown_users_name_the_member() -> None:
    assert unknown_users(spec_of(), {"PANNA", "PBEN", "PDAVID"}) == [
        'member "clara" (Clara): pagerduty_user_id PCLARA is not a user of the PagerDuty account'
    ]


# -- the plan -------------------------------------------------------------------------------------


def test_fresh_account_creates_two_schedules_their_overrides_and_the_policy() -> None:
    plan = plan_sync(desired(spec_of(overrides=[CONCERT], swaps=[SWAP])), FRESH)
    assert actions(plan) == [
        (Action.CREATE_SCHEDULE, Role.PRIMARY),
        (Action.CREATE_SCHEDULE, Role.SUB),
        (Action.CREATE_OVERRIDES, Role.PRIMARY),
        (Action.CREATE_OVERRIDES, Role.SUB),
        (Action.CREATE_POLICY, None),
    ]
    assert [len(op.overrides) for op in plan.operations if op.action is Action.CREATE_OVERRIDES] == [3, 2]


def test_second_run_is_an_empty_plan() -> None:
    want = desired(spec_of(overrides=[CONCERT], swaps=[SWAP]), escalation=Escalation(final_member="anna"))
    plan = plan_sync(want, as_pagerduty(want))
    assert plan.operations == ()
    assert plan.lines() == ["pagerduty is up to date: nothing to write"]


def test_changed_sub_offset_is_one_schedule_put() -> None:
    current = as_pagerduty(desired(spec_of()))
    plan = plan_sync(desired(spec_of(sub_offset=2)), current)
    assert actions(plan) == [(Action.UPDATE_SCHEDULE, Role.SUB)]
    (op,) = plan.operations
    assert (op.object_id, op.why) == (
        "PSSUB",
        "users PBEN, PCLARA, PDAVID, PANNA -> PCLARA, PDAVID, PANNA, PBEN",
    )
    # the running layer keeps its id, so PagerDuty updates it instead of adding a layer
    assert op.schedule is not None
    assert (
        schedule_body(op.schedule, NOW, op.schedule.layer_id)["schedule"]["schedule_layers"][0]["id"]
        == "PLSUB"
    )


def test_changed_order_puts_both_schedules_and_nothing_else() -> None:
    current = as_pagerduty(desired(spec_of()))
    plan = plan_sync(desired(spec_of(("anna", "clara", "ben", "david"))), current)
    assert actions(plan) == [(Action.UPDATE_SCHEDULE, Role.PRIMARY), (Action.UPDATE_SCHEDULE, Role.SUB)]


def test_new_override_is_one_post_with_one_item() -> None:
    current = as_pagerduty(desired(spec_of()))
    plan = plan_sync(desired(spec_of(overrides=[CONCERT])), current)
    assert actions(plan) == [(Action.CREATE_OVERRIDES, Role.PRIMARY)]
    assert [o.who for o in plan.operations[0].overrides] == ["david"]
    assert plan.lines() == [
        "create overrides primary: 1 missing",
        "    + david (PDAVID) from 2026-03-03T17:00+00:00 to 2026-03-04T07:00+00:00",
    ]


def test_removed_override_is_one_delete_naming_it() -> None:
    current = as_pagerduty(desired(spec_of(overrides=[CONCERT])))
    plan = plan_sync(desired(spec_of()), current)
    assert actions(plan) == [(Action.DELETE_OVERRIDE, Role.PRIMARY)]
    assert plan.operations[0].object_id == "POprimary0"
    assert "PDAVID" in plan.operations[0].why


def test_duplicate_override_in_pagerduty_is_deleted_once() -> None:
    want = desired(spec_of(overrides=[CONCERT]))
    current = as_pagerduty(want)
    (first,) = current.overrides[Role.PRIMARY]
    doubled = {**current.overrides, Role.PRIMARY: (first, replace(first, id="POdup"))}
    plan = plan_sync(want, replace(current, overrides=doubled))
    assert [(op.action, op.object_id) for op in plan.operations] == [(Action.DELETE_OVERRIDE, "POdup")]


def test_override_with_other_bounds_is_replaced() -> None:
    want = desired(spec_of(overrides=[CONCERT]))
    current = as_pagerduty(want)
    (first,) = current.overrides[Role.PRIMARY]
    moved = {**current.overrides, Role.PRIMARY: (replace(first, end=datetime(2026, 3, 4, 8, tzinfo=UTC)),)}
    plan = plan_sync(want, replace(current, overrides=moved))
    assert actions(plan) == [(Action.CREATE_OVERRIDES, Role.PRIMARY), (Action.DELETE_OVERRIDE, Role.PRIMARY)]


def test_changed_delay_or_loops_is_one_policy_put() -> None:
    spec = spec_of()
    current = as_pagerduty(desired(spec))
    plan = plan_sync(desired(spec, escalation=Escalation(5, num_loops=1)), current)
    assert actions(plan) == [(Action.UPDATE_POLICY, None)]
    assert plan.operations[0].why == (
        "rules 10m schedule:primary | 10m schedule:sub -> 5m schedule:primary | 5m schedule:sub; num_loops 0 -> 1"
    )


def test_recreated_schedule_also_updates_the_policy_pointing_at_the_old_one() -> None:
    want = desired(spec_of())
    current = as_pagerduty(want)
    gone = replace(
        current,
        schedules={**current.schedules, Role.SUB: None},
        overrides={**current.overrides, Role.SUB: ()},
    )
    plan = plan_sync(want, gone)
    assert actions(plan) == [(Action.CREATE_SCHEDULE, Role.SUB), (Action.UPDATE_POLICY, None)]


def schedule_json(**changes: Any) -> dict[str, Any]:
    want = desired(spec_of())
    sent = schedule_body(want.schedules[Role.PRIMARY], want.layer_start)["schedule"]
    layer = {**sent["schedule_layers"][0], "id": "PL1", "end": None}
    return {**sent, "id": "PS1", "schedule_layers": [layer], **changes}


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"time_zone": "UTC"}, "time_zone UTC -> Europe/Berlin"),
        ({"description": "edited by hand " + MARKER}, "description"),
        ({"layer": {"rotation_turn_length_seconds": 86400}}, "turn 86400s -> 604800s"),
        (
            {"layer": {"rotation_virtual_start": "2026-01-05T10:00:00Z"}},
            "virtual start 2026-01-05T10:00+00:00 -> 2026-01-05T10:00+01:00",
        ),
        (
            {
                "layer": {
                    "restrictions": [
                        {
                            "type": "daily_restriction",
                            "start_time_of_day": "08:00:00",
                            "duration_seconds": 3600,
                        }
                    ]
                }
            },
            "extra or restricted layers",
        ),
        ({"layer": {"end": "2026-03-01T00:00:00Z"}}, "no running layer"),
    ],
)
def test_schedule_differences_are_named(changes: Mapping[str, Any], why: str) -> None:
    want = desired(spec_of())
    data = schedule_json(**{k: v for k, v in changes.items() if k != "layer"})
    data["schedule_layers"][0].update(changes.get("layer", {}))
    current = as_pagerduty(want)
    current = replace(
        current, schedules={**current.schedules, Role.PRIMARY: parse_schedule(Role.PRIMARY, data, NOW)}
    )
    plan = plan_sync(want, current)
    assert [(op.action, op.why) for op in plan.operations] == [(Action.UPDATE_SCHEDULE, why)]


def test_layer_ended_by_pagerduty_for_history_is_ignored() -> None:
    # PagerDuty answers a PUT of a started layer by ending it now and adding the new one
    want = desired(spec_of())
    data = schedule_json()
    old = {**data["schedule_layers"][0], "id": "PL0", "end": "2026-03-01T12:00:00Z", "users": []}
    data["schedule_layers"] = [old, data["schedule_layers"][0]]
    current = as_pagerduty(want)
    current = replace(
        current, schedules={**current.schedules, Role.PRIMARY: parse_schedule(Role.PRIMARY, data, NOW)}
    )
    assert plan_sync(want, current).operations == ()


def test_virtual_start_is_compared_as_an_instant() -> None:
    want = desired(spec_of())
    data = schedule_json()
    data["schedule_layers"][0]["rotation_virtual_start"] = "2026-01-05T09:00:00Z"
    current = as_pagerduty(want)
    current = replace(
        current, schedules={**current.schedules, Role.PRIMARY: parse_schedule(Role.PRIMARY, data, NOW)}
    )
    assert plan_sync(want, current).operations == ()


# -- finding our objects --------------------------------------------------------------------------


def test_pick_ours_by_exact_name_and_marker() -> None:
    found = [
        {"id": "P1", "name": "alerter: platform primary (old)", "description": MARKER},
        {"id": "P2", "name": "alerter: platform primary", "description": "x " + MARKER},
    ]
    assert pick_ours(found, "alerter: platform primary", "schedule") == found[1]
    assert pick_ours(found, "alerter: platform sub", "schedule") is None


def test_an_object_with_our_name_but_not_ours_stops_the_sync() -> None:
    found = [{"id": "P1", "name": "alerter: platform", "description": "hand made"}]
    with pytest.raises(
        SyncError, match=r'escalation policy "alerter: platform" \(P1\) was not made by alerter'
    ):
        pick_ours(found, "alerter: platform", "escalation policy")


def test_two_of_ours_with_one_name_stops_the_sync() -> None:
    found = [{"id": p, "name": "alerter: platform sub", "description": MARKER} for p in ("P1", "P2")]
    with pytest.raises(SyncError, match=r'2 schedules named "alerter: platform sub" \(P1, P2\)'):
        pick_ours(found, "alerter: platform sub", "schedule")

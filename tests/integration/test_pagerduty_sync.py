"""``sync_rotation`` against the fake PagerDuty over real HTTP: every request and answer is checked
by the fake against PagerDuty's OpenAPI, so ``fake.violations`` must stay empty.

Idempotency is counted on the wire: a second sync sends no POST, PUT or DELETE at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from alerter.config.oncall import OnCallSpec, Role, parse_oncall
from integrations.pagerduty.fake import FakePagerDuty, Fault
from integrations.pagerduty.rest import ACCEPT, PagerDutyRest
from integrations.pagerduty.sync import (
    MARKER,
    Action,
    Escalation,
    SyncError,
    apply_plan,
    desired_state,
    plan_sync,
    read_current,
    sync_rotation,
)

TOKEN = "sync-test-token"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # week 8: anna primary, ben sub
TEAM = ("anna", "ben", "clara", "david")
WRITES = ("POST", "PUT", "DELETE")
COVER = {
    "role": "primary",
    "member": "david",
    "replaces": "anna",
    "start": "2026-03-03T18:00:00+01:00",
    "end": "2026-03-04T08:00:00+01:00",
}
SWAP = {"weeks": ["2026-03-16", "2026-03-23"], "members": ["clara", "david"]}


@pytest.fixture
def fake() -> Iterator[FakePagerDuty]:
    with FakePagerDuty(api_token=TOKEN) as pd:
        yield pd
        assert pd.violations == []


@pytest.fixture
def user_ids(fake: FakePagerDuty) -> dict[str, str]:
    """The team as PagerDuty users, after 110 others so the members are only on page 2 of /users."""
    for i in range(110):
        fake.rest.store.add_user(f"Other {i:03d}", f"other{i}@example.com")
    return {m: fake.rest.store.add_user(m.capitalize(), f"{m}@example.com")["id"] for m in TEAM}


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def rest(fake: FakePagerDuty, sleeps: list[float]) -> Iterator[PagerDutyRest]:
    with PagerDutyRest(
        SecretStr(TOKEN), base_url=fake.url, from_email="bot@example.com", sleep=sleeps.append
    ) as client:
        yield client


def spec_of(ids: dict[str, str], order: tuple[str, ...] = TEAM, **entries: Any) -> OnCallSpec:
    data = {
        "rotation": {
            "name": "platform",
            "start": "2026-01-05",
            "handoff": {"weekday": "monday", "time": "10:00", "timezone": "Europe/Berlin"},
            "order": list(order),
        },
        "members": [
            {
                "id": m,
                "name": m.capitalize(),
                "email": f"{m}@example.com",
                "pagerduty_user_id": ids[m],
                "timezone": "Europe/Berlin",
            }
            for m in TEAM
        ],
        **entries,
    }
    spec, problems = parse_oncall(yaml.safe_dump(data), "oncall.yaml")
    assert spec is not None, [str(p) for p in problems]
    return spec


def writes(fake: FakePagerDuty, since: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.received[since:] if r.method in WRITES]


def by_name(fake: FakePagerDuty, name: str) -> dict[str, Any]:
    (found,) = [s for s in fake.rest.store.all_schedules() if s["name"] == name]
    return found


def test_first_sync_creates_everything_and_the_second_writes_nothing(
    fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str]
) -> None:
    spec = spec_of(user_ids, overrides=[COVER], swaps=[SWAP])
    escalation = Escalation(escalate_after=5, final_member="anna", num_loops=2)
    first = sync_rotation(rest, spec, now=NOW, escalation=escalation)
    assert first.ok and first.failures == ()
    primary, sub = by_name(fake, "alerter: platform primary"), by_name(fake, "alerter: platform sub")
    assert writes(fake) == [
        ("POST", "/schedules"),
        ("POST", "/schedules"),
        ("POST", f"/schedules/{primary['id']}/overrides"),
        ("POST", f"/schedules/{sub['id']}/overrides"),
        ("POST", "/escalation_policies"),
    ]
    layer = primary["schedule_layers"][0]
    assert (primary["time_zone"], layer["rotation_turn_length_seconds"]) == ("Europe/Berlin", 604800)
    assert layer["rotation_virtual_start"] == "2026-01-05T10:00:00+01:00"
    assert [u["user"]["id"] for u in layer["users"]] == [user_ids[m] for m in TEAM]
    assert [u["user"]["id"] for u in sub["schedule_layers"][0]["users"]] == [
        user_ids[m] for m in ("ben", "clara", "david", "anna")
    ]
    names = {v: k for k, v in user_ids.items()}
    assert [(o["start"], names[o["user"]["id"]]) for o in fake.rest.store.overrides[primary["id"]]] == [
        ("2026-03-03T17:00:00+00:00", "david"),
        ("2026-03-16T09:00:00+00:00", "david"),
        ("2026-03-23T09:00:00+00:00", "clara"),
    ]
    assert [names[o["user"]["id"]] for o in fake.rest.store.overrides[sub["id"]]] == ["anna", "david"]
    (policy,) = fake.rest.store.escalation_policies.values()
    assert (policy["name"], policy["num_loops"], MARKER in policy["description"]) == (
        "alerter: platform",
        2,
        True,
    )
    assert [
        (r["escalation_delay_in_minutes"], [t["id"] for t in r["targets"]])
        for r in policy["escalation_rules"]
    ] == [
        (5, [primary["id"]]),
        (5, [sub["id"]]),
        (5, [user_ids["anna"]]),
    ]
    # headers PagerDuty documents: version Accept on every request, From on writes
    assert all(r.headers["accept"] == ACCEPT for r in fake.received)
    assert {r.headers.get("from") for r in fake.received if r.method in WRITES} == {"bot@example.com"}

    before = len(fake.received)
    second = sync_rotation(rest, spec, now=NOW, escalation=escalation)
    assert second.plan.empty and second.done == ()
    assert writes(fake, before) == []


def test_members_found_on_the_second_page_of_users(
    fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str]
) -> None:
    sync_rotation(rest, spec_of(user_ids), now=NOW, dry_run=True)
    pages = [r for r in fake.received if r.path == "/users"]
    assert len(pages) == 2  # 114 users at 100 per page
    assert writes(fake) == []


def test_unknown_user_is_named_and_nothing_is_written(
    fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str]
) -> None:
    ids = {**user_ids, "clara": "PNOSUCH"}
    with pytest.raises(SyncError) as caught:
        sync_rotation(rest, spec_of(ids), now=NOW)
    assert str(caught.value) == (
        "pagerduty: no write done:\n"
        'member "clara" (Clara): pagerduty_user_id PNOSUCH is not a user of the PagerDuty account'
    )
    assert writes(fake) == []


def test_throttled_requests_wait_and_are_retried(
    fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str], sleeps: list[float]
) -> None:
    fake.inject(Fault.THROTTLE, count=2)  # the first two requests answer 429 without Retry-After
    result = sync_rotation(rest, spec_of(user_ids), now=NOW)
    assert result.ok
    assert [r.status for r in fake.received[:3]] == [429, 429, 200]
    assert sleeps == [1.0, 2.0]  # backoff; Retry-After / ratelimit-reset would be used if sent
    assert len(fake.rest.store.schedules) == 2


def test_throttled_write_is_retried_not_lost(
    fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str], sleeps: list[float]
) -> None:
    spec = spec_of(user_ids)
    desired = desired_state(spec, NOW, 12, Escalation())
    plan = plan_sync(desired, read_current(rest, spec, desired, NOW))
    fake.inject(Fault.THROTTLE)
    result = apply_plan(rest, plan)
    assert result.ok and sleeps == [1.0]
    assert writes(fake) == [("POST", "/schedules")] * 3 + [("POST", "/escalation_policies")]
    assert len(fake.rest.store.schedules) == 2


def test_changed_order_is_one_put_per_schedule_then_quiet(
    fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str]
) -> None:
    sync_rotation(rest, spec_of(user_ids), now=NOW)
    before = len(fake.received)
    reordered = spec_of(user_ids, order=("anna", "clara", "ben", "david"))
    result = sync_rotation(rest, reordered, now=NOW)
    primary = by_name(fake, "alerter: platform primary")
    sub = by_name(fake, "alerter: platform sub")
    assert writes(fake, before) == [
        ("PUT", f"/schedules/{primary['id']}"),
        ("PUT", f"/schedules/{sub['id']}"),
    ]
    assert [op.action for op in result.plan.operations] == [Action.UPDATE_SCHEDULE] * 2
    assert [u["user"]["id"] for u in primary["schedule_layers"][0]["users"]] == [
        user_ids[m] for m in ("anna", "clara", "ben", "david")
    ]
    before = len(fake.received)
    assert sync_rotation(rest, reordered, now=NOW).plan.empty
    assert writes(fake, before) == []


def test_new_override_is_one_post(fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str]) -> None:
    sync_rotation(rest, spec_of(user_ids), now=NOW)
    before = len(fake.received)
    sync_rotation(rest, spec_of(user_ids, overrides=[COVER]), now=NOW)
    primary = by_name(fake, "alerter: platform primary")
    assert writes(fake, before) == [("POST", f"/schedules/{primary['id']}/overrides")]
    assert fake.received[-1].json() == {
        "overrides": [
            {
                "start": "2026-03-03T17:00:00+00:00",
                "end": "2026-03-04T07:00:00+00:00",
                "user": {"id": user_ids["david"], "type": "user_reference"},
            }
        ]
    }


def test_refused_override_item_is_reported_and_the_others_are_kept(
    fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str]
) -> None:
    sync_rotation(rest, spec_of(user_ids), now=NOW)
    spec = spec_of(user_ids, swaps=[SWAP])
    desired = desired_state(spec, NOW, 12, Escalation())
    plan = plan_sync(desired, read_current(rest, spec, desired, NOW))
    # clara's PagerDuty user disappears between the check and the write: her item gets a 400
    del fake.rest.store.users[user_ids["clara"]]
    result = apply_plan(rest, plan)
    assert result.failures == (
        "create override primary: clara ("
        + user_ids["clara"]
        + ") from 2026-03-23T09:00+00:00 to 2026-03-30T08:00+00:00: 400: User "
        + user_ids["clara"]
        + " not found",
    )
    primary = by_name(fake, "alerter: platform primary")
    sub = by_name(fake, "alerter: platform sub")
    assert len(fake.rest.store.overrides[primary["id"]]) == 1  # david's week went through
    assert len(fake.rest.store.overrides[sub["id"]]) == 2  # and the sub's whole swap
    assert len(result.done) == 3


def test_removed_override_is_deleted(
    fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str]
) -> None:
    """An override that is no longer in the file is removed with PagerDuty's documented DELETE."""
    sync_rotation(rest, spec_of(user_ids, overrides=[COVER]), now=NOW)
    primary = by_name(fake, "alerter: platform primary")
    (override,) = fake.rest.store.overrides[primary["id"]]
    before = len(fake.received)
    result = sync_rotation(rest, spec_of(user_ids), now=NOW, escalation=Escalation(escalate_after=15))
    assert writes(fake, before) == [
        ("DELETE", f"/schedules/{primary['id']}/overrides/{override['id']}"),
        ("PUT", f"/escalation_policies/{next(iter(fake.rest.store.escalation_policies))}"),
    ]
    assert result.ok and result.failures == ()
    assert fake.rest.store.overrides[primary["id"]] == []
    again = len(fake.received)
    assert sync_rotation(
        rest, spec_of(user_ids), now=NOW, escalation=Escalation(escalate_after=15)
    ).plan.empty
    assert writes(fake, again) == []


def test_object_with_our_name_made_by_hand_stops_before_any_write(
    fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str]
) -> None:
    fake.rest.store.put_schedule(
        None,
        {
            "type": "schedule",
            "name": "alerter: platform sub",
            "time_zone": "UTC",
            "schedule_layers": [],
        },
    )
    with pytest.raises(SyncError, match=r'schedule "alerter: platform sub" \(\w+\) was not made by alerter'):
        sync_rotation(rest, spec_of(user_ids), now=NOW)
    assert writes(fake) == []


def test_dry_run_reads_only(fake: FakePagerDuty, rest: PagerDutyRest, user_ids: dict[str, str]) -> None:
    result = sync_rotation(rest, spec_of(user_ids, swaps=[SWAP]), now=NOW, dry_run=True)
    assert [(op.action, op.role) for op in result.plan.operations] == [
        (Action.CREATE_SCHEDULE, Role.PRIMARY),
        (Action.CREATE_SCHEDULE, Role.SUB),
        (Action.CREATE_OVERRIDES, Role.PRIMARY),
        (Action.CREATE_OVERRIDES, Role.SUB),
        (Action.CREATE_POLICY, None),
    ]
    assert writes(fake) == [] and result.done == ()

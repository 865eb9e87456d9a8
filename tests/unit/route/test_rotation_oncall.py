"""``who_is_on_call`` and ``shifts`` on one spec with overrides, a swap and unavailability.

Team of six, Mondays 10:00 Europe/Berlin from 2026-01-05. By the order, week 8 (2 March) is
clara/david, week 10 (16 March) eva/felix, week 11 (23 March, the spring-forward week)
felix/anna, week 12 (30 March) anna/ben. Weeks 10 and 12 are swapped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pytest
import yaml
from rotation_specs import make_spec, spec_data, utc

from alerter.config.oncall import OnCallSpec, Role
from alerter.route.rotation import Why, shifts, who_is_on_call

OVERRIDES = [
    {
        "role": "primary",
        "member": "ben",
        "replaces": "clara",
        "start": "2026-03-03T18:00:00+01:00",
        "end": "2026-03-04T08:00:00+01:00",
        "reason": "concert",
    },
    {"role": "sub", "member": "anna", "start": "2026-03-05T00:00:00Z", "end": "2026-03-05T12:00:00Z"},
    {
        "role": "primary",
        "member": "clara",
        "replaces": "anna",
        "start": "2026-03-18T12:00:00+01:00",
        "end": "2026-03-18T20:00:00+01:00",
        "reason": "dentist",
    },
    # spans the spring-forward night: the end is written in summer time
    {
        "role": "primary",
        "member": "david",
        "replaces": "felix",
        "start": "2026-03-28T12:00:00+01:00",
        "end": "2026-03-29T12:00:00+02:00",
    },
]
SWAPS = [{"weeks": ["2026-03-16", "2026-03-30"], "members": ["eva", "anna"], "reason": "eva moves house"}]
UNAVAILABILITY = [
    {
        "member": "clara",
        "start": "2026-03-03T18:00:00+01:00",
        "end": "2026-03-04T08:00:00+01:00",
        "reason": "concert",
    },
    {"member": "anna", "start": "2026-03-18T12:00:00+01:00", "end": "2026-03-18T20:00:00+01:00"},
]


@pytest.fixture(scope="module")
def spec() -> OnCallSpec:
    return make_spec(overrides=OVERRIDES, swaps=SWAPS, unavailability=UNAVAILABILITY)


S, SW, OV, U = Why.SCHEDULE, Why.SWAP, Why.OVERRIDE, Why.UNAVAILABLE


@pytest.mark.parametrize(
    ("instant", "week", "primary", "sub", "whys"),
    [
        ("2026-03-03T16:59:59Z", 8, "clara", "david", [S, S]),
        ("2026-03-03T17:00:00Z", 8, "ben", "david", [S, OV, U, S]),  # override start is inclusive
        ("2026-03-04T06:59:59Z", 8, "ben", "david", [S, OV, U, S]),
        ("2026-03-04T07:00:00Z", 8, "clara", "david", [S, S]),  # override end is exclusive
        ("2026-03-05T00:00:00Z", 8, "clara", "anna", [S, S, OV]),
        ("2026-03-05T12:00:00Z", 8, "clara", "david", [S, S]),
        ("2026-03-16T08:59:59Z", 9, "david", "eva", [S, S]),
        ("2026-03-16T09:00:00Z", 10, "anna", "ben", [S, SW, S, SW]),  # swapped week
        ("2026-03-18T11:00:00Z", 10, "clara", "ben", [S, SW, OV, U, S, SW]),  # swap + override
        ("2026-03-18T19:00:00Z", 10, "anna", "ben", [S, SW, S, SW]),
        ("2026-03-28T10:59:59Z", 11, "felix", "anna", [S, S]),
        ("2026-03-28T11:00:00Z", 11, "david", "anna", [S, OV, S]),
        ("2026-03-29T09:59:59Z", 11, "david", "anna", [S, OV, S]),
        ("2026-03-29T10:00:00Z", 11, "felix", "anna", [S, S]),
        ("2026-03-30T07:59:59Z", 11, "felix", "anna", [S, S]),  # the 167-hour week ends at 10:00 CEST
        ("2026-03-30T08:00:00Z", 12, "eva", "felix", [S, SW, S, SW]),
        ("2026-04-06T08:00:00Z", 13, "ben", "clara", [S, S]),
    ],
)
def test_who_is_on_call(
    spec: OnCallSpec, instant: str, week: int, primary: str, sub: str, whys: list[Why]
) -> None:
    on = who_is_on_call(spec, utc(instant))
    assert (on.week, on.primary.id, on.sub.id) == (week, primary, sub)
    assert [r.why for r in on.reasons] == whys
    assert on.at == utc(instant)


def test_reasons_name_the_override_the_swap_and_the_unavailability(spec: OnCallSpec) -> None:
    on = who_is_on_call(spec, utc("2026-03-18T11:00:00Z"))
    assert [(r.role, str(r)) for r in on.reasons] == [
        (
            Role.PRIMARY,
            "primary of week 10 from 2026-03-16T10:00+01:00 to 2026-03-23T10:00+01:00: eva by the order",
        ),
        (
            Role.PRIMARY,
            "swap 1: weeks of 2026-03-16 and 2026-03-30 exchanged, so anna instead of eva (eva moves house)",
        ),
        (
            Role.PRIMARY,
            "override 3: clara replaces anna as primary from 2026-03-18T12:00+01:00 to 2026-03-18T20:00+01:00 (dentist)",
        ),
        (Role.PRIMARY, "anna is unavailable from 2026-03-18T12:00+01:00 to 2026-03-18T20:00+01:00"),
        (
            Role.SUB,
            "sub of week 10 from 2026-03-16T10:00+01:00 to 2026-03-23T10:00+01:00: felix by the order",
        ),
        (
            Role.SUB,
            "swap 1: weeks of 2026-03-16 and 2026-03-30 exchanged, so ben instead of felix (eva moves house)",
        ),
    ]


def test_instants_in_any_timezone_give_the_same_answer(spec: OnCallSpec) -> None:
    in_new_york = datetime.fromisoformat("2026-03-03T12:00:00-05:00")
    assert who_is_on_call(spec, in_new_york) == who_is_on_call(spec, utc("2026-03-03T17:00:00Z"))


def test_nobody_is_on_call_before_the_first_handoff(spec: OnCallSpec) -> None:
    with pytest.raises(
        ValueError, match=r'rotation "team" starts at 2026-01-05T10:00\+01:00: nobody is on call'
    ):
        who_is_on_call(spec, utc("2026-01-05T08:59:59Z"))


def test_a_naive_instant_is_refused(spec: OnCallSpec) -> None:
    with pytest.raises(ValueError, match="has no timezone"):
        who_is_on_call(spec, utc("2026-03-03T17:00").replace(tzinfo=None))


def test_shifts_split_a_week_at_overrides_sorted_by_start_primary_first(spec: OnCallSpec) -> None:
    rows = [
        (s.role, s.member.id, s.start, s.end, [r.why for r in s.reasons])
        for s in shifts(spec, utc("2026-03-04T12:00Z"), 1)
    ]
    assert rows == [
        (Role.PRIMARY, "clara", utc("2026-03-02T09:00Z"), utc("2026-03-03T17:00Z"), [S]),
        (Role.SUB, "david", utc("2026-03-02T09:00Z"), utc("2026-03-05T00:00Z"), [S]),
        (Role.PRIMARY, "ben", utc("2026-03-03T17:00Z"), utc("2026-03-04T07:00Z"), [S, OV, U]),
        (Role.PRIMARY, "clara", utc("2026-03-04T07:00Z"), utc("2026-03-09T09:00Z"), [S]),
        (Role.SUB, "anna", utc("2026-03-05T00:00Z"), utc("2026-03-05T12:00Z"), [S, OV]),
        (Role.SUB, "david", utc("2026-03-05T12:00Z"), utc("2026-03-09T09:00Z"), [S]),
    ]


@pytest.mark.parametrize("weeks", [1, 7, 60])
def test_shifts_tile_the_weeks_without_gaps_or_overlaps(spec: OnCallSpec, weeks: int) -> None:
    start = utc("2026-02-25T12:00Z")
    planned = shifts(spec, start, weeks)
    for role in Role:
        mine = [s for s in planned if s.role is role]
        assert mine[0].start == spec.handoff_at(spec.week_at(start))
        assert mine[-1].end == spec.handoff_at(spec.week_at(start) + weeks)
        assert all(a.end == b.start for a, b in pairwise(mine))
        assert all(s.start < s.end for s in mine)
    for s in planned:
        assert who_is_on_call(spec, s.start).member(s.role) == s.member
        assert who_is_on_call(spec, s.end - timedelta(seconds=1)).member(s.role) == s.member


def test_removing_a_swap_undoes_it_and_changes_only_the_two_weeks(spec: OnCallSpec) -> None:
    undone = make_spec(overrides=OVERRIDES[:2] + OVERRIDES[3:], unavailability=UNAVAILABILITY[:1])
    start = utc("2026-03-02T09:00Z")
    before = {(s.role, s.week, s.start): s.member.id for s in shifts(spec, start, 6)}
    after = {(s.role, s.week, s.start): s.member.id for s in shifts(undone, start, 6)}
    changed = {key[:2] for key in before if before[key] != after.get(key)}
    assert changed == {(Role.PRIMARY, 10), (Role.SUB, 10), (Role.PRIMARY, 12), (Role.SUB, 12)}
    assert who_is_on_call(undone, utc("2026-03-17T12:00Z")).primary.id == "eva"


def test_shifts_needs_at_least_one_week(spec: OnCallSpec) -> None:
    with pytest.raises(ValueError, match=r"weeks must be at least 1 \(got 0\)"):
        shifts(spec, utc("2026-03-04T12:00Z"), 0)


def test_an_unchecked_spec_with_a_gap_still_answers_and_says_not_covered() -> None:
    # load_oncall never returns such a spec; a caller validating the model alone gets a loud reason
    data = spec_data(
        unavailability=[{"member": "clara", "start": "2026-03-03T00:00:00Z", "end": "2026-03-04T00:00:00Z"}]
    )
    unchecked = OnCallSpec.model_validate(yaml.safe_load(yaml.safe_dump(data)))
    on = who_is_on_call(unchecked, utc("2026-03-03T12:00Z"))
    assert on.primary.id == "clara"
    assert (
        str(on.reasons[-2])
        == "clara is unavailable from 2026-03-03T01:00+01:00 to 2026-03-04T01:00+01:00; NOT covered"
    )

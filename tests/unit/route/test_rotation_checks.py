"""The on-call checks on specs built in code: what is accepted (the cases a team relies on) and
what is rejected, beyond the one-mistake files in ``tests/oncall_bad``.

Team of six from 2026-01-05, Mondays 10:00 Berlin. Week 8 (2 March) is clara/david, week 9
david/eva, week 10 eva/felix, week 11 felix/anna.
"""

from __future__ import annotations

import pytest
from rotation_specs import make_spec, problems_of, utc

from alerter.config.oncall import Role
from alerter.route.rotation import Why, who_is_on_call


def override(role: str, member: str, start: str, end: str, **extra: str) -> dict[str, str]:
    return {"role": role, "member": member, "start": start, "end": end, **extra}


def test_swapping_adjacent_weeks_is_valid_because_the_sub_follows_its_primary() -> None:
    spec = make_spec(swaps=[{"weeks": ["2026-03-02", "2026-03-09"], "members": ["clara", "david"]}])
    on = who_is_on_call(spec, utc("2026-03-03T12:00Z"))
    assert (on.primary.id, on.sub.id) == ("david", "eva")
    on = who_is_on_call(spec, utc("2026-03-10T12:00Z"))
    assert (on.primary.id, on.sub.id) == ("clara", "david")


def test_a_swap_can_move_an_unavailable_person_away_from_their_week() -> None:
    away = [
        {"member": "clara", "start": "2026-03-02T10:00:00+01:00", "end": "2026-03-09", "reason": "vacation"}
    ]
    assert problems_of(unavailability=away) == [
        "unavailability 1 (clara): nobody covers primary from 2026-03-02T10:00+01:00 to 2026-03-09T00:00+01:00: "
        "clara is unavailable (add an override or a swap)"
    ]
    # clara's week 8 goes to felix (week 11), whose sub is anna; clara takes week 11 (sub david)
    spec = make_spec(
        unavailability=away, swaps=[{"weeks": ["2026-03-02", "2026-03-23"], "members": ["clara", "felix"]}]
    )
    on = who_is_on_call(spec, utc("2026-03-04T12:00Z"))
    assert (on.primary.id, on.sub.id) == ("felix", "anna")


def test_someone_outside_the_order_may_take_an_override() -> None:
    spec = make_spec(
        extra_members=("manager",),
        overrides=[
            override("sub", "manager", "2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z", replaces="david")
        ],
    )
    on = who_is_on_call(spec, utc("2026-03-03T12:00Z"))
    assert on.sub.id == "manager"
    assert [r.why for r in on.reasons if r.role is Role.SUB] == [Why.SCHEDULE, Why.OVERRIDE]


def test_unavailability_of_someone_not_on_call_then_is_fine() -> None:
    spec = make_spec(unavailability=[{"member": "anna", "start": "2026-03-02", "end": "2026-03-09"}])
    assert who_is_on_call(spec, utc("2026-03-04T12:00Z")).primary.id == "clara"


def test_overrides_that_touch_end_to_start_do_not_overlap() -> None:
    spec = make_spec(
        overrides=[
            override("primary", "ben", "2026-03-03T18:00:00+01:00", "2026-03-04T08:00:00+01:00"),
            override("primary", "eva", "2026-03-04T08:00:00+01:00", "2026-03-04T12:00:00+01:00"),
            # the same hours for the other role are no contradiction either
            override("sub", "anna", "2026-03-03T18:00:00+01:00", "2026-03-04T12:00:00+01:00"),
        ]
    )
    assert who_is_on_call(spec, utc("2026-03-04T07:00Z")).primary.id == "eva"


def test_an_override_may_cover_the_whole_vacation_across_a_handoff() -> None:
    spec = make_spec(
        overrides=[override("primary", "ben", "2026-03-02T10:00:00+01:00", "2026-03-16T10:00:00+01:00")],
        unavailability=[{"member": "clara", "start": "2026-03-02T10:00:00+01:00", "end": "2026-03-16"}],
    )
    assert who_is_on_call(spec, utc("2026-03-12T12:00Z")).primary.id == "ben"


@pytest.mark.parametrize(
    ("entries", "messages"),
    [
        (
            {"overrides": [override("sub", "clara", "2026-03-03T00:00:00Z", "2026-03-03T06:00:00Z")]},
            [
                "override 1 (clara): clara would be both primary and sub from 2026-03-03T01:00+01:00 to 2026-03-03T07:00+01:00"
            ],
        ),
        (
            # an override starting in summer time, written with a winter offset, is the same instant
            {
                "overrides": [
                    override("primary", "ben", "2026-03-28T12:00:00+01:00", "2026-03-30T09:00:00+01:00"),
                    override("primary", "eva", "2026-03-30T09:59:00+02:00", "2026-03-30T12:00:00+02:00"),
                ]
            },
            [
                "override 2 (eva): overlaps override 1 (line 33) for primary: both cover "
                "2026-03-30T09:59+02:00 to 2026-03-30T10:00+02:00"
            ],
        ),
        (
            {
                "unavailability": [
                    {
                        "member": "felix",
                        "start": "2026-03-29T00:00:00+01:00",
                        "end": "2026-03-29T12:00:00+02:00",
                    }
                ]
            },
            [
                "unavailability 1 (felix): nobody covers primary from 2026-03-29T00:00+01:00 to 2026-03-29T12:00+02:00: "
                "felix is unavailable (add an override or a swap)"
            ],
        ),
    ],
)
def test_contradictions_and_gaps(entries: dict[str, list[dict[str, str]]], messages: list[str]) -> None:
    assert problems_of(**entries) == messages


def test_the_example_in_the_module_docstring_passes_the_checks() -> None:
    import textwrap

    import alerter.config.oncall as oncall_module

    doc = oncall_module.__doc__ or ""
    example = textwrap.dedent(doc[doc.index("    rotation:") : doc.index("Semantics")])
    others = "".join(
        f"  - {{id: {n}, name: {n}, email: {n}@example.com, pagerduty_user_id: P{n.upper()}, timezone: UTC}}\n"
        for n in ("bob", "carol")
    )
    spec, problems = oncall_module.parse_oncall(
        example.replace("  # ... bob and carol alike\n", others), "doc"
    )
    assert problems == []
    assert spec is not None
    assert (len(spec.overrides), len(spec.swaps), len(spec.unavailability)) == (1, 1, 1)

"""Builders for on-call specs in the rotation tests (uniquely named: test folders are not packages).

``make_spec(...)`` goes through the real loader (YAML text -> schema -> checks) and fails the test
if the spec has any problem, so every test also proves its spec is one the checker accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml

from alerter.config.oncall import OnCallSpec, parse_oncall

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
TEAM = ("anna", "ben", "clara", "david", "eva", "felix")


def member(name: str, timezone: str = BERLIN) -> dict[str, str]:
    return {
        "id": name,
        "name": name.capitalize(),
        "email": f"{name}@example.com",
        "pagerduty_user_id": f"P{name.upper()}",
        "timezone": timezone,
    }


def spec_data(
    order: tuple[str, ...] = TEAM,
    *,
    start: str = "2026-01-05",
    weekday: str = "monday",
    at: str = "10:00",
    timezone: str = BERLIN,
    sub_offset: int = 1,
    extra_members: tuple[str, ...] = (),
    **entries: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "rotation": {
            "name": "team",
            "start": start,
            "handoff": {"weekday": weekday, "time": at, "timezone": timezone},
            "order": list(order),
            "sub_offset": sub_offset,
        },
        "members": [member(m) for m in (*order, *extra_members)],
        **entries,
    }


def make_spec(order: tuple[str, ...] = TEAM, **kwargs: Any) -> OnCallSpec:
    spec, problems = parse_oncall(yaml.safe_dump(spec_data(order, **kwargs)), "test.yaml")
    assert spec is not None, [str(p) for p in problems]
    return spec


def problems_of(order: tuple[str, ...] = TEAM, **kwargs: Any) -> list[str]:
    spec, problems = parse_oncall(yaml.safe_dump(spec_data(order, **kwargs)), "test.yaml")
    assert spec is None
    return [p.message for p in problems]


def utc(text: str) -> datetime:
    """``"2026-03-23T09:00"`` (UTC) or any ISO time with offset -> aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

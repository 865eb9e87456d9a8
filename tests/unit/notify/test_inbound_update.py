"""IncidentUpdate / UpdateSink: the notify stage's vendor-free value type for updates coming back."""

from __future__ import annotations

import dataclasses

import pytest

from alerter.notify.inbound import IncidentUpdate, UpdateKind, UpdateSink


def test_update_needs_an_incident_key() -> None:
    with pytest.raises(ValueError, match="resolved update needs an incident_key"):
        IncidentUpdate(UpdateKind.RESOLVED, "", "Alice", 1_000.0)


def test_update_is_an_immutable_value() -> None:
    update = IncidentUpdate(UpdateKind.ACKNOWLEDGED, "inc-1", None, 1_000.0, "wh-1")
    assert update == IncidentUpdate(UpdateKind.ACKNOWLEDGED, "inc-1", None, 1_000.0, "wh-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        update.incident_key = "inc-2"  # type: ignore[misc]


def test_kinds_are_the_three_state_changes() -> None:
    assert [kind.value for kind in UpdateKind] == ["acknowledged", "resolved", "reopened"]


def test_a_plain_function_is_an_update_sink() -> None:
    applied: list[IncidentUpdate] = []
    sink: UpdateSink = applied.append
    sink(IncidentUpdate(UpdateKind.REOPENED, "inc-1", "Bob", 2_000.0))
    assert [u.kind for u in applied] == [UpdateKind.REOPENED]

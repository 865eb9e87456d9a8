"""Pure lifecycle transitions, as tables of cases with a fixed ``now``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alerter.incidents.lifecycle import (
    AlertSnapshot,
    IncidentSnapshot,
    IncidentStateError,
    IncidentStatus,
    LifecyclePolicy,
    Transition,
    acknowledge,
    can_reopen,
    on_alert_state,
    on_tick,
    open_incident,
    resolve,
)
from alerter.model import Severity

OK, WARN, CRIT = Severity.OK, Severity.WARNING, Severity.CRITICAL
T, A, R = IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED
NOW = 10_000.0
POLICY = LifecyclePolicy(resolve_delay=300, reopen_window=3600)


def alert(fp: str, state: Severity, changed: float = 9_000.0) -> AlertSnapshot:
    return AlertSnapshot(fp, state, first_seen=8_000.0, last_seen=changed, last_state_change=changed)


def incident(status: IncidentStatus = T, severity: Severity = WARN, **kw: object) -> IncidentSnapshot:
    base = IncidentSnapshot(
        key="k1",
        group_key="g",
        title="t",
        status=status,
        severity=severity,
        opened_at=8_000.0,
        last_change_at=9_000.0,
    )
    if status is R:
        base = replace(base, resolved_at=9_500.0)
    return replace(base, **kw)  # type: ignore[arg-type]


def test_open_incident_takes_the_alert_severity_and_times() -> None:
    d = open_incident("k9", "g", "disk full", alert("a", CRIT), NOW)
    assert d.transitions == (Transition.OPENED,)
    assert (d.incident.status, d.incident.severity, d.incident.opened_at) == (T, CRIT, NOW)
    assert (d.alert_count, d.active_count, d.incident.occurrences) == (1, 1, 1)


def test_open_incident_refuses_an_ok_alert() -> None:
    with pytest.raises(ValueError, match="ok alert a"):
        open_incident("k9", "g", "t", alert("a", OK), NOW)


# (status, severity, members, observed fp/state, expected transitions, status, severity, occurrences)
# fmt: off
ALERT_CASES = [
    ("unchanged state", T, WARN, [("a", WARN)], ("a", WARN), (), T, WARN, 1),
    ("new alert joins", T, WARN, [("a", WARN)], ("b", WARN), (Transition.JOINED,), T, WARN, 2),
    ("new worse alert", T, WARN, [("a", WARN)], ("b", CRIT),
     (Transition.JOINED, Transition.ESCALATED_SEVERITY), T, CRIT, 2),
    ("member escalates", T, WARN, [("a", WARN)], ("a", CRIT), (Transition.ESCALATED_SEVERITY,), T, CRIT, 1),
    ("member de-escalates, severity kept", T, CRIT, [("a", CRIT)], ("a", WARN), (Transition.CHANGED,), T, CRIT, 1),
    ("member clears, others active", T, WARN, [("a", WARN), ("b", WARN)], ("a", OK),
     (Transition.CLEARED,), T, WARN, 1),
    ("member refires", T, WARN, [("a", OK), ("b", WARN)], ("a", WARN), (Transition.REFIRED,), T, WARN, 2),
    ("ok stranger ignored", T, WARN, [("a", WARN)], ("z", OK), (), T, WARN, 1),
    ("ack stays ack on escalation", A, WARN, [("a", WARN)], ("a", CRIT), (Transition.ESCALATED_SEVERITY,), A, CRIT, 1),
    ("resolved, change within window reopens", R, WARN, [("a", OK)], ("a", CRIT),
     (Transition.REOPENED,), T, CRIT, 2),
    ("resolved, stranger within window reopens and joins", R, WARN, [("a", OK)], ("b", WARN),
     (Transition.REOPENED, Transition.JOINED), T, WARN, 2),
    ("resolved by a person while firing: still firing does not reopen", R, WARN, [("a", WARN)],
     ("a", WARN), (), R, WARN, 1),
    ("resolved, ok observation", R, WARN, [("a", OK)], ("a", OK), (), R, WARN, 1),
]
# fmt: on


@pytest.mark.parametrize(
    ("status", "severity", "members", "observed", "transitions", "new_status", "new_severity", "occ"),
    [c[1:] for c in ALERT_CASES],
    ids=[c[0] for c in ALERT_CASES],
)
def test_on_alert_state(
    status: IncidentStatus,
    severity: Severity,
    members: list[tuple[str, Severity]],
    observed: tuple[str, Severity],
    transitions: tuple[Transition, ...],
    new_status: IncidentStatus,
    new_severity: Severity,
    occ: int,
) -> None:
    inc = incident(status, severity)
    d = on_alert_state(inc, [alert(fp, s) for fp, s in members], alert(*observed, changed=0.0), NOW, POLICY)
    assert d.transitions == transitions
    assert (d.incident.status, d.incident.severity, d.incident.occurrences) == (new_status, new_severity, occ)
    assert d.open_new is False
    assert d.incident.last_change_at == (NOW if transitions else inc.last_change_at)


def test_observed_alert_times_follow_state_changes() -> None:
    inc = incident()
    same = on_alert_state(inc, [alert("a", WARN)], alert("a", WARN, changed=0.0), NOW, POLICY)
    moved = on_alert_state(inc, [alert("a", WARN)], alert("a", CRIT, changed=0.0), NOW, POLICY)
    fresh = on_alert_state(inc, [alert("a", WARN)], alert("b", CRIT, changed=0.0), NOW, POLICY)
    assert (same.alerts[0].first_seen, same.alerts[0].last_seen, same.alerts[0].last_state_change) == (
        8_000.0,
        NOW,
        9_000.0,
    )
    assert moved.alerts[0].last_state_change == NOW
    assert (fresh.alerts[1].first_seen, fresh.alerts[1].last_state_change) == (NOW, NOW)


def test_alert_returning_after_reopen_window_asks_for_a_new_incident() -> None:
    inc = incident(R, resolved_at=NOW - 3601)
    members = [alert("a", OK)]
    d = on_alert_state(inc, members, alert("a", CRIT), NOW, POLICY)
    assert (d.transitions, d.open_new, d.incident) == ((), True, inc)
    assert d.alerts == tuple(members)


def test_reopen_window_edge_is_inclusive() -> None:
    assert can_reopen(incident(R, resolved_at=NOW - 3600), NOW, POLICY)
    assert not can_reopen(incident(R, resolved_at=NOW - 3600.5), NOW, POLICY)
    assert not can_reopen(incident(T), NOW, POLICY)


def test_reopen_clears_ack_and_resolve_and_counts() -> None:
    inc = incident(R, acked_at=9_100.0, acked_by="ann", resolved_by="bob", reopened_count=2)
    d = on_alert_state(inc, [alert("a", OK)], alert("a", WARN), NOW, POLICY)
    i = d.incident
    assert (i.status, i.acked_by, i.acked_at, i.resolved_at, i.resolved_by, i.reopened_count) == (
        T,
        None,
        None,
        None,
        None,
        3,
    )
    assert i.key == inc.key


# (members as (fp, state, last_state_change), expected transitions)
TICK_CASES = [
    ("all ok long enough", [("a", OK, NOW - 300), ("b", OK, NOW - 900)], (Transition.RESOLVED_AUTO,)),
    ("newest ok too recent", [("a", OK, NOW - 299), ("b", OK, NOW - 900)], ()),
    ("one still active", [("a", OK, NOW - 900), ("b", WARN, NOW - 900)], ()),
]


@pytest.mark.parametrize(
    ("members", "transitions"), [c[1:] for c in TICK_CASES], ids=[c[0] for c in TICK_CASES]
)
def test_on_tick(members: list[tuple[str, Severity, float]], transitions: tuple[Transition, ...]) -> None:
    d = on_tick(incident(), [alert(fp, s, t) for fp, s, t in members], NOW, POLICY)
    assert d.transitions == transitions
    if transitions:
        assert (d.incident.status, d.incident.resolved_at, d.incident.resolved_by) == (R, NOW, None)


def test_on_tick_leaves_resolved_incident_alone() -> None:
    inc = incident(R)
    assert on_tick(inc, [alert("a", OK, 0.0)], NOW, POLICY).incident is inc


def test_zero_resolve_delay_resolves_on_the_last_clear() -> None:
    d = on_alert_state(incident(), [alert("a", WARN)], alert("a", OK), NOW, LifecyclePolicy(0, 60))
    assert d.transitions == (Transition.CLEARED, Transition.RESOLVED_AUTO)
    assert d.incident.status is R


def test_acknowledge() -> None:
    d = acknowledge(incident(), [alert("a", WARN)], "ann", NOW, note="looking")
    assert d.transitions == (Transition.ACKNOWLEDGED,)
    assert (d.incident.status, d.incident.acked_by, d.incident.acked_at, d.actor, d.note) == (
        A,
        "ann",
        NOW,
        "ann",
        "looking",
    )
    again = acknowledge(d.incident, d.alerts, "bob", NOW + 5)
    assert (again.transitions, again.incident.acked_by) == ((), "ann")


def test_acknowledge_resolved_is_an_error_naming_the_incident() -> None:
    with pytest.raises(IncidentStateError, match="incident k1: cannot acknowledge, it is resolved"):
        acknowledge(incident(R), [], "ann", NOW)


@pytest.mark.parametrize("status", [T, A])
def test_manual_resolve_while_firing(status: IncidentStatus) -> None:
    d = resolve(incident(status), [alert("a", CRIT)], "bob", NOW, note="known")
    assert d.transitions == (Transition.RESOLVED_MANUAL,)
    assert (d.incident.status, d.incident.resolved_by, d.incident.resolved_at) == (R, "bob", NOW)


def test_manual_resolve_is_idempotent() -> None:
    inc = incident(R)
    assert resolve(inc, [], "bob", NOW).transitions == ()


def test_policy_rejects_negative_timings() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        LifecyclePolicy(resolve_delay=-1)

"""When the escalation planner pages whom: a table of timelines (ticks, acks, resolves at fixed
offsets from the incident's start) and the pages they produce. No clock: every instant is given."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from rotation_specs import make_spec

from alerter.config.routing import parse_routing
from alerter.route.escalation import EscalationState, Step, Stopped, start, stop, tick, timeline
from alerter.route.routing import RouteDecision, route

T0 = datetime(2026, 2, 10, 14, 0, tzinfo=UTC)  # week 5: primary felix, sub anna (order of TEAM)
S = T0.timestamp()
M = 60.0
SPEC = make_spec(extra_members=("zoe",))


def decision(**escalation: object) -> RouteDecision:
    """The route at T0 with one e-mail channel per level, so every step is sent."""
    text = yaml.safe_dump(
        {
            "channels": {"mail": {"type": "email"}, "leads": {"type": "email", "to": ["leads@example.com"]}},
            "escalation": {
                "channels": {"primary": ["mail"], "sub": ["mail"], "final": ["mail"]},
                **escalation,
            },
            "routing": {"rotations": {"team": "oncall.yaml"}, "default": "team"},
        }
    )
    policy, problems = parse_routing(text, "routing.yaml")
    assert policy is not None, problems
    return route({}, SPEC, policy, T0)


def run(
    d: RouteDecision, actions: list[tuple[float, str]]
) -> tuple[EscalationState, list[tuple[str, str, str]]]:
    """Start at T0, then apply ``(minutes, tick|ack|resolve)`` in order; pages as (+m, step, who)."""
    state, pages = start("inc-1", S, d)
    for minutes, action in actions:
        if action == "tick":
            state, more = tick(state, S + minutes * M)
            pages += more
        else:
            state = stop(state, Stopped(action), S + minutes * M)
    return state, [(f"+{(p.due_at - S) / M:g}m", str(p.step), _who(p.target)) for p in pages]


def _who(target: object) -> str:
    return getattr(target, "id", None) or str(getattr(target, "name", target))


def every_minute(until: int) -> list[tuple[float, str]]:
    return [(float(m), "tick") for m in range(1, until + 1)]


FULL = {"escalate_after": "10m", "final": {"member": "zoe"}, "renotify_every": "30m", "max_renotify": 2}

CASES = [
    pytest.param(
        FULL,
        every_minute(180),
        [
            ("+0m", "primary", "felix"),
            ("+10m", "sub", "anna"),
            ("+20m", "final", "zoe"),
            ("+50m", "renotify", "felix"),
            ("+50m", "renotify", "anna"),
            ("+50m", "renotify", "zoe"),
            ("+80m", "renotify", "felix"),
            ("+80m", "renotify", "anna"),
            ("+80m", "renotify", "zoe"),
        ],
        Stopped.EXHAUSTED,
        id="nobody-acks: primary, sub, final, then renotify every level up to max",
    ),
    pytest.param(
        FULL,
        [(5, "ack"), *every_minute(180)],
        [("+0m", "primary", "felix")],
        Stopped.ACKNOWLEDGED,
        id="ack-at-5m",
    ),
    pytest.param(
        FULL,
        [(5, "resolve"), *every_minute(180)],
        [("+0m", "primary", "felix")],
        Stopped.RESOLVED,
        id="resolve-at-5m",
    ),
    pytest.param(
        FULL,
        [*every_minute(15), (15, "ack"), *every_minute(180)],
        [("+0m", "primary", "felix"), ("+10m", "sub", "anna")],
        Stopped.ACKNOWLEDGED,
        id="ack-between-sub-and-final",
    ),
    pytest.param(
        FULL,
        [*every_minute(25), (25, "resolve"), *every_minute(180)],
        [("+0m", "primary", "felix"), ("+10m", "sub", "anna"), ("+20m", "final", "zoe")],
        Stopped.RESOLVED,
        id="resolve-after-final",
    ),
    pytest.param(
        FULL,
        [(10, "ack"), (10, "tick")],
        [("+0m", "primary", "felix")],
        Stopped.ACKNOWLEDGED,
        id="ack-arrives-before-the-tick-at-10m",
    ),
    pytest.param(
        FULL,
        [(10, "tick"), (10, "ack"), (60, "tick")],
        [("+0m", "primary", "felix"), ("+10m", "sub", "anna")],
        Stopped.ACKNOWLEDGED,
        id="tick-at-10m-before-the-ack: due is inclusive",
    ),
    pytest.param(
        FULL,
        [(9.99, "tick")],
        [("+0m", "primary", "felix")],
        None,
        id="not-yet-due",
    ),
    pytest.param(
        {"escalate_after": "10m", "renotify_every": "30m", "max_renotify": 2},
        every_minute(180),
        [
            ("+0m", "primary", "felix"),
            ("+10m", "sub", "anna"),
            ("+40m", "renotify", "felix"),
            ("+40m", "renotify", "anna"),
            ("+70m", "renotify", "felix"),
            ("+70m", "renotify", "anna"),
        ],
        Stopped.EXHAUSTED,
        id="no-final-level: renotify after the sub",
    ),
    pytest.param(
        {"escalate_after": "10m", "max_renotify": 0},
        every_minute(180),
        [("+0m", "primary", "felix"), ("+10m", "sub", "anna")],
        Stopped.EXHAUSTED,
        id="no-final-no-renotify",
    ),
    pytest.param(
        {**FULL, "final": {"channel": "leads"}, "final_after": "5m", "max_renotify": 1},
        every_minute(180),
        [
            ("+0m", "primary", "felix"),
            ("+10m", "sub", "anna"),
            ("+15m", "final", "leads"),
            ("+45m", "renotify", "felix"),
            ("+45m", "renotify", "anna"),
            ("+45m", "renotify", "leads"),
        ],
        Stopped.EXHAUSTED,
        id="final-channel-after-final_after",
    ),
    pytest.param(
        FULL,
        [(180, "tick")],
        [
            ("+0m", "primary", "felix"),
            ("+10m", "sub", "anna"),
            ("+20m", "final", "zoe"),
            ("+80m", "renotify", "felix"),
            ("+80m", "renotify", "anna"),
            ("+80m", "renotify", "zoe"),
        ],
        Stopped.EXHAUSTED,
        id="one-late-tick: every level, but one renotify for the two overdue",
    ),
]


@pytest.mark.parametrize(("escalation", "actions", "expected", "stopped"), CASES)
def test_escalation_timeline(
    escalation: dict[str, object],
    actions: list[tuple[float, str]],
    expected: list[tuple[str, str, str]],
    stopped: Stopped | None,
) -> None:
    state, pages = run(decision(**escalation), actions)
    assert pages == expected
    assert state.stopped_reason is stopped


def test_a_late_tick_says_which_renotifies_it_skipped() -> None:
    state, _ = start("inc-1", S, decision(**FULL))
    state, pages = tick(state, S + 180 * M)
    renotify = [p for p in pages if p.step is Step.RENOTIFY]
    assert {p.reason for p in renotify} == {
        "renotify 2 of 2: not acknowledged 1h20m after the first page; 1 earlier renotify not sent (overdue)"
    }
    assert state.renotified == 2


def test_reasons_say_why_each_step_pages() -> None:
    pages = timeline("inc-1", S, decision(**FULL))
    assert [p.reason for p in pages[:3]] == [
        "Felix (felix) is primary of rotation team at the incident's start",
        "not acknowledged 10m after the page to felix: escalating to the sub Anna (anna)",
        "not acknowledged 20m after the first page: escalating to the final target Zoe (zoe)",
    ]


def test_timeline_is_what_ticking_without_an_ack_produces() -> None:
    d = decision(**FULL)
    _, ticked = run(d, every_minute(600))
    planned = [(f"+{(p.due_at - S) / M:g}m", str(p.step), _who(p.target)) for p in timeline("inc-1", S, d)]
    assert planned == ticked


def test_a_stopped_escalation_pages_nobody_however_late() -> None:
    state, _ = start("inc-1", S, decision(**FULL))
    state = stop(state, Stopped.ACKNOWLEDGED, S + 60)
    assert not state.active
    assert tick(state, S + 10 * 3600) == (state, [])

"""Flap detection (share of changes, hysteresis) and the dedup tracker built on it."""

from __future__ import annotations

import pytest

from alerter.incidents.flapping import FlapSpec, next_flapping, push, share
from tests.unit.correlate.graph import T0, ev, feed, graph

SPEC = FlapSpec(window=10, low=0.1, high=0.3)


@pytest.mark.parametrize(
    ("bits", "changed", "window", "expected"),
    [
        (0, False, 4, 0),
        (0, True, 4, 0b1),
        (0b1011, True, 4, 0b0111),  # the oldest change falls out of the window
        (0b1111, False, 4, 0b1110),
    ],
)
def test_push_keeps_the_last_window_evaluations(bits: int, changed: bool, window: int, expected: int) -> None:
    assert push(bits, changed, window) == expected


@pytest.mark.parametrize(("bits", "window", "expected"), [(0, 10, 0.0), (0b111, 10, 0.3), (0b1111, 4, 1.0)])
def test_share_is_changes_over_window(bits: int, window: int, expected: float) -> None:
    assert share(bits, window) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("flapping", "ratio", "expected"),
    [
        (False, 0.2, False),  # below high: not yet
        (False, 0.3, True),  # at high: starts
        (True, 0.2, True),  # between low and high: keeps flapping (hysteresis)
        (True, 0.1, True),  # at low: still
        (True, 0.0, False),  # below low: stops
    ],
)
def test_hysteresis_between_low_and_high(flapping: bool, ratio: float, expected: bool) -> None:
    assert next_flapping(flapping, ratio, SPEC) is expected


def test_flap_spec_rejects_inverted_thresholds() -> None:
    with pytest.raises(ValueError, match="low < high"):
        FlapSpec(window=10, low=0.5, high=0.3)


POLICY = {"flapping": {"window": 10, "low": 0.1, "high": 0.3}, "dedup": {"refresh": "5m"}}
CPU = {"host": "a", "env": "prod"}


def test_steady_series_emit_nothing_after_their_first_change() -> None:
    g, s = graph(POLICY)
    assert feed(g, s, T0, ev("cpu", "ok", **CPU)) == []  # a new ok series is not news
    first = feed(g, s, T0 + 30, ev("cpu", "critical", **CPU))
    assert [(r.update.previous, r.update.event.state) for r in first] == [("ok", "critical")]
    assert feed(g, s, T0 + 60, ev("cpu", "critical", **CPU)) == []


def test_a_firing_series_is_refreshed_every_refresh_interval() -> None:
    g, s = graph(POLICY)
    sent = [t for k in range(25) for t in [T0 + 30 * k] if feed(g, s, t, ev("cpu", "critical", **CPU))]
    assert sent == [T0, T0 + 300, T0 + 600]


def test_a_flapping_series_holds_its_ok_and_announces_flapping() -> None:
    g, s = graph(POLICY)
    out = []
    for k, state in enumerate(["critical", "ok", "critical", "ok", "critical", "ok", "ok"]):
        out += [
            (k, r.update.event.state, r.update.flapping, r.update.flap_changed)
            for r in feed(g, s, T0 + 30 * k, ev("cpu", state, **CPU))
        ]
    assert out == [
        (0, "critical", False, False),
        (1, "ok", False, False),
        (2, "critical", True, True),  # 3 changes in 10: flapping from here
        # later oks are held: the incident stays open and shows as flapping
    ]


def test_when_flapping_stops_the_held_ok_is_sent() -> None:
    g, s = graph(POLICY)
    states = ["critical", "ok", "critical", "ok", *["ok"] * 10]
    out = []
    for k, state in enumerate(states):
        out += [
            (k, r.update.event.state, r.update.flapping)
            for r in feed(g, s, T0 + 30 * k, ev("cpu", state, **CPU))
        ]
    assert out[-1] == (13, "ok", False)  # the last change (k=3) left the 10-evaluation window
    assert [o for o in out if o[1] == "ok"] == [(1, "ok", False), (13, "ok", False)]

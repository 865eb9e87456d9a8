"""Storm guard: rollup-style windows count new groups per storm key; past max_new they roll
into one storm group, and the storm lasts one window past its last stormy window."""

from __future__ import annotations

from alerter.incidents.suppression import Suppressed
from tests.unit.correlate.graph import T0, ev, feed, graph

POLICY = {"storm": {"by": ["env"], "max_new": 3, "per": "1m"}}


def _new(t: float, hosts: range, env: str = "prod") -> list:
    return [ev("down", "critical", t, host=f"h{i}", env=env) for i in hosts]


def test_past_max_new_alerts_roll_into_one_storm_group() -> None:
    g, s = graph(POLICY)
    routed = feed(g, s, T0, *_new(T0, range(6)))
    assert [r.group_key.startswith("alert:") for r in routed] == [True] * 3 + [False] * 3
    assert {r.group_key for r in routed[3:]} == {"storm:env=prod"}
    assert {r.absorbed for r in routed[3:]} == {Suppressed.STORM}


def test_storm_keys_count_separately() -> None:
    g, s = graph(POLICY)
    routed = feed(g, s, T0, *_new(T0, range(3)), *_new(T0, range(10, 13), env="stg"))
    assert all(r.group_key.startswith("alert:") for r in routed)


def test_joins_and_state_changes_do_not_count() -> None:
    g, s = graph({**POLICY, "grouping": [{"name": "all", "by": ["env"]}]})
    routed = feed(g, s, T0, *_new(T0, range(10)))
    assert {r.group_key for r in routed} == {"group:all:env=prod"}  # 1 new group, 9 joins


def test_windows_are_fixed_and_the_storm_outlasts_its_window_by_one() -> None:
    g, s = graph(POLICY)
    feed(g, s, T0, *_new(T0, range(5)))  # stormy window [T0, T0+60)
    (during,) = feed(g, s, T0 + 90, *_new(T0 + 90, range(5, 6)))
    (after,) = feed(g, s, T0 + 125, *_new(T0 + 125, range(6, 7)))
    assert during.group_key == "storm:env=prod"
    assert after.group_key.startswith("alert:")

"""Group keys, grouping rules in order, windows and generations, and the state's bookkeeping."""

from __future__ import annotations

import pytest

from alerter.config.correlation import GroupingRule
from alerter.incidents.grouping import (
    CorrelationState,
    base_of,
    compile_grouping,
    first_match,
    generation_of,
    grouping_name,
)
from alerter.incidents.suppression import Suppressed
from alerter.incidents.topology import CompiledTopology
from tests.unit.correlate.graph import T0, ev, feed, graph

RULES = compile_grouping(
    [
        GroupingRule(name="apps", match={"rule": "app_5xx"}, by=["env", "redis_cluster"]),
        GroupingRule(name="role-env", match={"env": ["prod", "stg"]}, by=["role", "env"]),
        GroupingRule(name="catch-all", by=["env"]),
    ]
)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"rule": "app_5xx", "env": "prod", "redis_cluster": "c17"}, "group:apps:env=prod,redis_cluster=c17"),
        ({"rule": "app_5xx", "env": "prod"}, "group:apps:env=prod,redis_cluster="),  # missing: empty
        ({"rule": "cpu", "env": "stg", "role": "api"}, "group:role-env:role=api,env=stg"),
        ({"rule": "cpu", "env": "dev", "role": "api"}, "group:catch-all:env=dev"),  # first match wins
    ],
)
def test_group_key_of_the_first_matching_rule(labels: dict[str, str], expected: str) -> None:
    rule = first_match(RULES, labels)
    assert rule is not None
    assert rule.base(labels) == expected


@pytest.mark.parametrize(
    ("key", "base", "generation", "name"),
    [
        ("group:apps:env=prod", "group:apps:env=prod", 1, "apps"),
        ("group:apps:env=prod#3", "group:apps:env=prod", 3, "apps"),
        ("alert:0123456789abcdef", "alert:0123456789abcdef", 1, None),
        ("storm:env=prod", "storm:env=prod", 1, None),
    ],
)
def test_group_keys_parse_back(key: str, base: str, generation: int, name: str | None) -> None:
    assert (base_of(key), generation_of(key), grouping_name(key)) == (base, generation, name)


POLICY = {
    "grouping": [{"name": "cpu", "match": {"rule": "cpu"}, "by": ["env"], "window": "10m"}],
    "storm": None,
}


def test_alerts_of_one_key_join_one_group_within_its_window() -> None:
    g, s = graph(POLICY)
    first = feed(
        g, s, T0, ev("cpu", "critical", host="a", env="prod"), ev("cpu", "critical", host="b", env="prod")
    )
    later = feed(g, s, T0 + 600, ev("cpu", "critical", host="c", env="prod"))
    after = feed(g, s, T0 + 601, ev("cpu", "critical", host="d", env="prod"))
    assert [r.group_key for r in first + later + after] == [
        "group:cpu:env=prod",
        "group:cpu:env=prod",
        "group:cpu:env=prod",
        "group:cpu:env=prod#2",  # the window closed: a new incident
    ]
    assert (
        feed(g, s, T0 + 602, ev("cpu", "critical", host="e", env="prod"))[0].group_key
        == "group:cpu:env=prod#2"
    )


def test_an_alert_no_rule_matches_gets_its_own_group() -> None:
    g, s = graph(POLICY)
    (r,) = feed(g, s, T0, ev("disk", "critical", host="a", env="prod"))
    assert r.group_key == f"alert:{r.fingerprint}"


def test_ok_and_repeated_states_stay_in_the_members_group() -> None:
    g, s = graph(POLICY)
    feed(g, s, T0, ev("cpu", "critical", host="a", env="prod"))
    (warn,) = feed(g, s, T0 + 30, ev("cpu", "warning", host="a", env="prod"))
    (ok,) = feed(g, s, T0 + 60, ev("cpu", "ok", host="a", env="prod"))
    assert (warn.group_key, ok.group_key) == ("group:cpu:env=prod", "group:cpu:env=prod")


def test_maintenance_suppresses_before_grouping_and_opens_nothing() -> None:
    g, s = graph(POLICY, suppressor=lambda labels, now: "patching" if labels["host"] == "a" else None)
    s.advance(T0)
    g(ev("cpu", "critical", host="a", env="prod"))
    routed, suppressed = g.drain()
    assert routed == []
    assert [(x.reason, x.detail, x.rule) for x in suppressed] == [(Suppressed.MAINTENANCE, "patching", "cpu")]
    assert g.state.groups == {}


def test_forget_drops_the_group_its_members_and_its_index_entries() -> None:
    state = CorrelationState()
    topo = CompiledTopology()
    state.add_member("group:x:env=prod", "fp1", {"host": "a"}, "cpu", topo, T0)
    state.add_member("group:x:env=prod#2", "fp2", {"host": "b"}, "cpu", topo, T0)
    assert state.newest == {"group:x:env=prod": "group:x:env=prod#2"}
    state.forget("group:x:env=prod")
    assert state.member_of == {"fp2": "group:x:env=prod#2"}
    assert list(state.index) == [("host", -1, ("b",))]
    assert state.newest == {"group:x:env=prod": "group:x:env=prod#2"}

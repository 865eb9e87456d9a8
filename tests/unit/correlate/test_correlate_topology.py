"""Topology: enrichment, causal links both ways, adjacency."""

from __future__ import annotations

import pytest

from alerter.config.topology import Topology
from alerter.incidents.suppression import Suppressed
from alerter.incidents.topology import CompiledTopology
from tests.unit.correlate.graph import T0, ev, feed, graph

TOPOLOGY = {
    "dependencies": [
        {"name": "racks", "label": "host", "add": "rack", "values": {"r1": ["h1", "h2"], "r2": ["h3"]}},
        {
            "name": "shop-redis",
            "match": {"env": "prod", "app": ["shop", "cart"]},
            "add": {"redis_cluster": "c17"},
        },
    ],
    "adjacency": [{"name": "db-pair", "hosts": ["db1", "db2"], "match": {"role": "db"}}],
    "causes": [
        {
            "name": "redis-oom",
            "cause": {"rule": "redis_memory"},
            "effect": {"rule": "app_5xx"},
            "via": {"redis_cluster": "cluster", "env": "env"},
            "root_cause": "redis {{ labels.cluster }} out of memory",
        },
        {
            "name": "silent",
            "cause": {"rule": "no_data"},
            "effect": {"rule": "app_5xx"},
            "via": {"host": "host"},
        },
    ],
}
TOPO = CompiledTopology(Topology.model_validate(TOPOLOGY))


@pytest.mark.parametrize(
    ("labels", "added"),
    [
        ({"host": "h2"}, {"rack": "r1"}),
        ({"host": "h9"}, {}),
        ({"host": "h1", "rack": "own"}, {}),  # the alert's own label wins
        ({"env": "prod", "app": "cart", "host": "h3"}, {"redis_cluster": "c17", "rack": "r2"}),
        ({"env": "stg", "app": "cart"}, {}),
    ],
)
def test_enrich_adds_upstream_entities(labels: dict[str, str], added: dict[str, str]) -> None:
    assert TOPO.enrich(labels) == {**labels, **added}


def test_link_keys_and_root_cause_text() -> None:
    redis, silent = TOPO.links
    assert redis.effect_key({"redis_cluster": "c17", "env": "prod"}) == ("c17", "prod")
    assert redis.cause_key({"cluster": "c17", "env": "prod"}) == ("c17", "prod")
    assert redis.cause_key({"cluster": "c17"}) is None  # no env: no join
    assert redis.describe("redis_memory", {"cluster": "c17"}) == "redis c17 out of memory"
    assert silent.describe("no_data", {"host": "h1"}) == "no_data on host=h1"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [({"host": "db1", "role": "db"}, ("db2",)), ({"host": "db1", "role": "web"}, ()), ({"host": "x"}, ())],
)
def test_adjacent_hosts(labels: dict[str, str], expected: tuple[str, ...]) -> None:
    assert TOPO.adjacent(labels) == expected


REDIS = {"host": "r1", "env": "prod", "cluster": "c17"}


def _app(i: int, app: str = "shop") -> dict[str, str]:
    return {"host": f"h{i}", "env": "prod", "app": app, "instance": f"{app}-{i}"}


def test_an_effect_joins_the_open_incident_of_its_cause() -> None:
    g, s = graph({"storm": None}, TOPOLOGY)
    (cause,) = feed(g, s, T0, ev("redis_memory", "critical", **REDIS))
    effects = feed(g, s, T0 + 30, *(ev("app_5xx", "critical", **_app(i)) for i in range(3)))
    assert {r.group_key for r in effects} == {cause.group_key}
    assert {(r.absorbed, r.root_cause) for r in effects} == {
        (Suppressed.DEPENDENCY, "redis c17 out of memory")
    }


def test_a_cause_joins_the_open_incident_of_its_effects_and_names_the_root_cause() -> None:
    g, s = graph({"storm": None}, TOPOLOGY)
    (effect,) = feed(g, s, T0, ev("app_5xx", "critical", **_app(1)))
    (cause,) = feed(g, s, T0 + 30, ev("redis_memory", "critical", **REDIS))
    assert cause.group_key == effect.group_key
    assert cause.root_cause == "redis c17 out of memory"
    assert g.state.groups[effect.group_key].root_cause == "redis c17 out of memory"


def test_a_cause_never_takes_over_symptoms_another_cause_explains() -> None:
    g, s = graph({"storm": None}, TOPOLOGY)
    feed(g, s, T0, ev("no_data", "critical", host="h1", env="prod"))
    (effect,) = feed(g, s, T0 + 30, ev("app_5xx", "critical", **_app(1)))
    (cause,) = feed(g, s, T0 + 60, ev("redis_memory", "critical", **REDIS))
    assert effect.root_cause == "no_data on host=h1"
    assert cause.group_key != effect.group_key


def test_unrelated_apps_do_not_join() -> None:
    g, s = graph({"storm": None}, TOPOLOGY)
    (cause,) = feed(g, s, T0, ev("redis_memory", "critical", **REDIS))
    (other,) = feed(g, s, T0 + 30, ev("app_5xx", "critical", **_app(1, "billing")))
    assert other.group_key != cause.group_key
    assert other.absorbed is None


def test_a_symptom_on_an_adjacent_host_joins_its_open_incident() -> None:
    g, s = graph({"storm": None}, TOPOLOGY)
    (first,) = feed(g, s, T0, ev("disk", "critical", host="db1", role="db"))
    (second,) = feed(g, s, T0 + 30, ev("replication", "critical", host="db2", role="db"))
    assert second.group_key == first.group_key
    assert (second.absorbed, second.detail) == (Suppressed.DEPENDENCY, "adjacent to db1")

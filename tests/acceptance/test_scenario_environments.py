"""STG and DEV never page: their incidents exist (for reports and digests) with a named policy
suppression; only PROD critical pages (the shipped rules/correlation.yaml)."""

from __future__ import annotations

from pathlib import Path

from alerter.incidents.lifecycle import Transition
from alerter.incidents.suppression import Suppressed
from tests.acceptance.timeline import T0, Series, World

STG_MEMORY = Series("host_memory_high", host="runner-stg-03", env="stg", role="app-runner")
DEV_ROUTER = Series("router_latency_p99_high", host="router-dev-01", env="dev", role="router")
DEV_REDIS = Series("redis_memory_high", host="redis-dev-1", env="dev", role="redis", cluster="dev")
PROD_WARNING = Series("host_disk_full", host="mysql-prod-01", env="prod", role="mysql", path="/var/lib/mysql")


def test_stg_and_dev_never_page(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.every(30, T0, T0 + 600, lambda t: [s.at("critical") for s in (STG_MEMORY, DEV_ROUTER, DEV_REDIS)])

    incidents = world.incidents()
    assert sorted(i.incident.title for i in incidents) == [
        "host_memory_high on runner-stg-03 (STG, role=app-runner)",
        "redis_memory_high on redis-dev-1 (DEV, cluster=dev, role=redis)",
        "router_latency_p99_high on router-dev-01 (DEV, role=router)",
    ]
    assert world.pages == []
    assert sorted((d.incident_key, d.transition, d.outcome) for d in world.decisions) == sorted(
        (i.key, Transition.OPENED, Suppressed.POLICY) for i in incidents
    )
    assert all(i.suppressed == "policy" for i in incidents)


def test_prod_warning_is_reported_not_paged_until_it_becomes_critical(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.every(30, T0, T0 + 300, lambda t: [PROD_WARNING.at("warning")])
    assert world.pages == []
    world.every(30, T0 + 300, T0 + 600, lambda t: [PROD_WARNING.at("critical")])
    (incident,) = world.incidents()
    assert [(d.transition, d.pages) for d in world.decisions] == [
        (Transition.OPENED, False),
        (Transition.ESCALATED_SEVERITY, True),
    ]
    assert world.pages[0].incident_key == incident.key

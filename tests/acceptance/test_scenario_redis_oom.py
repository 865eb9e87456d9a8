"""A Redis cluster out of memory with 40 downstream app instances throwing 5xx: exactly one
incident, naming the cluster as its root cause, and one page."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerter.incidents.lifecycle import IncidentStatus, Transition
from alerter.incidents.suppression import Page, Suppressed
from alerter.model import Event, Severity
from tests.acceptance.timeline import T0, Series, World

CORRELATION = """
grouping:
  - name: app-5xx
    match: {rule: app_5xx_rate_high}
    by: [env, redis_cluster]
    title: >-
      5xx on {{ count }} {{ labels.env | upper }} app instances
      {%- if labels.redis_cluster %} using redis cluster {{ labels.redis_cluster }}{% endif %}
paging:
  - match: {env: prod, severity: critical}
    page: true
lifecycle: {resolve_delay: 5m, reopen_window: 1h}
"""

TOPOLOGY = """
dependencies:
  - name: shop-uses-c17
    match: {env: prod, app: [shop, basket]}
    add: {redis_cluster: c17}
causes:
  - name: redis-memory-breaks-apps
    cause: {rule: redis_memory_high}
    effect: {rule: app_5xx_rate_high}
    via: {redis_cluster: cluster, env: env}
    root_cause: "redis cluster {{ labels.cluster }} out of memory"
"""

REDIS = Series("redis_memory_high", host="redis-c17-1", env="prod", role="redis", cluster="c17")
APPS = [
    Series(
        "app_5xx_rate_high",
        host=f"runner-{i % 10:02d}",
        env="prod",
        role="app-runner",
        app="shop" if i % 2 else "basket",
        instance=f"app-{i:02d}",
    )
    for i in range(40)
]
BYSTANDERS = [
    Series(
        "app_5xx_rate_high",
        host="runner-99",
        env="prod",
        role="app-runner",
        app="other",
        instance=f"other-{i}",
    )
    for i in range(20)
]

TITLE = "redis cluster c17 out of memory: 5xx on 40 PROD app instances using redis cluster c17"


def _title_of(outcome: Page | Suppressed) -> str:
    assert isinstance(outcome, Page)
    return outcome.title


def _tick(redis: str, apps: str) -> list[Event]:
    return [REDIS.at(redis), *(a.at(apps) for a in APPS), *(b.at("ok") for b in BYSTANDERS)]


@pytest.mark.parametrize(
    ("redis_from", "apps_from"),
    [(0, 60), (60, 0), (0, 0)],
    ids=["cause-first", "effects-first", "same-tick"],
)
def test_one_incident_names_the_cluster(tmp_path: Path, redis_from: float, apps_from: float) -> None:
    world = World(tmp_path, CORRELATION, TOPOLOGY)

    def tick(t: float) -> list[Event]:
        since = t - T0
        return _tick("critical" if since >= redis_from else "ok", "critical" if since >= apps_from else "ok")

    world.every(30, T0, T0 + 600, tick)

    (incident,) = world.incidents()
    assert incident.incident.title == TITLE
    assert incident.root_cause == "redis cluster c17 out of memory"
    assert incident.incident.status is IncidentStatus.TRIGGERED
    assert len(incident.alerts) == 41
    assert [(p.incident_key, p.transition, p.outcome) for p in world.pages] == [
        (incident.key, Transition.OPENED, Page(Severity.CRITICAL, _title_of(world.pages[0].outcome)))
    ]
    assert len(world.pages) == 1


def test_the_page_carries_the_final_title_of_its_batch(tmp_path: Path) -> None:
    world = World(tmp_path, CORRELATION, TOPOLOGY)
    world.evaluate(T0, _tick("critical", "critical"))
    (page,) = world.pages
    assert isinstance(page.outcome, Page)
    assert page.outcome.title == TITLE


def test_symptoms_joining_the_cause_are_recorded_as_dependency_suppressions(tmp_path: Path) -> None:
    world = World(tmp_path, CORRELATION, TOPOLOGY)
    world.evaluate(T0, _tick("critical", "ok"))
    world.evaluate(T0 + 30, _tick("critical", "critical"))
    reasons = [s.reason for s in world.suppressions]
    assert reasons == [Suppressed.DEPENDENCY] * 40
    assert {s.detail for s in world.suppressions} == {"caused by redis cluster c17 out of memory"}


def test_recovery_resolves_the_one_incident_and_never_pages_again(tmp_path: Path) -> None:
    world = World(tmp_path, CORRELATION, TOPOLOGY)
    world.every(30, T0, T0 + 300, lambda t: _tick("critical", "critical"))
    world.every(30, T0 + 300, T0 + 1200, lambda t: _tick("ok", "ok"))

    (incident,) = world.incidents()
    assert incident.incident.status is IncidentStatus.RESOLVED
    assert incident.incident.resolved_at == T0 + 300 + 300  # resolve_delay after the last ok
    assert len(world.pages) == 1


def test_without_the_causal_link_the_cluster_and_the_apps_are_two_incidents(tmp_path: Path) -> None:
    """The control: it is the topology that merges them."""
    world = World(tmp_path, CORRELATION, "{}")
    world.every(30, T0, T0 + 300, lambda t: _tick("critical", "critical"))
    titles = sorted(i.incident.title for i in world.incidents())
    assert titles == [
        "5xx on 40 PROD app instances",
        "redis_memory_high on redis-c17-1 (PROD, cluster=c17, role=redis)",
    ]
    assert len(world.pages) == 2


def test_a_restart_neither_reopens_nor_repages(tmp_path: Path) -> None:
    world = World(tmp_path, CORRELATION, TOPOLOGY)
    world.every(30, T0, T0 + 300, lambda t: _tick("critical", "critical"))
    world.restart()
    world.every(30, T0 + 300, T0 + 600, lambda t: _tick("critical", "critical"))
    (incident,) = world.incidents()
    assert incident.incident.title == TITLE
    assert len(world.pages) == 1

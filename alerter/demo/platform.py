"""The small demo platform: 60 VMs across PROD/STG/DEV and 42 app instances.

Place in the flow: data only. :mod:`alerter.demo.dataset` generates metrics for it; scenario and
acceptance tests and the demo UI use the same names. It is a scaled-down copy of the real platform
(~4,300 VMs, ~40 roles, ~2,500 app instances): edge routers, API, health checkers, messaging, app
runners, Redis clusters, MongoDB replica sets and MySQL, in each environment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DemoHost:
    """One VM. ``cluster`` is the Redis cluster / MongoDB replica set it belongs to, if any."""

    name: str
    role: str
    env: str
    cluster: str | None = None
    primary: bool = False


@dataclass(frozen=True, slots=True)
class AppInstance:
    """One hosted app instance on an app runner VM; ``redis`` is the Redis cluster it depends on."""

    app: str
    instance: str
    host: str
    env: str
    redis: str | None = None


def _numbered(prefix: str, role: str, env: str, count: int) -> list[DemoHost]:
    return [DemoHost(f"{prefix}-{env}-{i:02d}", role, env) for i in range(1, count + 1)]


def _cluster(prefix: str, role: str, env: str, cluster: str, count: int) -> list[DemoHost]:
    return [DemoHost(f"{prefix}-{i}", role, env, cluster, primary=i == 1) for i in range(1, count + 1)]


def _hosts() -> tuple[DemoHost, ...]:
    prod = [
        *_numbered("router", "router", "prod", 3),
        *_numbered("api", "api", "prod", 4),
        *_numbered("healthcheck", "healthcheck", "prod", 2),
        *_numbered("messaging", "messaging", "prod", 2),
        *_numbered("runner", "app-runner", "prod", 10),
        *_cluster("redis-prod-a", "redis", "prod", "sessions", 3),
        *_cluster("redis-prod-b", "redis", "prod", "cache", 3),
        *_cluster("mongo-prod", "mongodb", "prod", "rs-main", 3),
        *_numbered("mysql", "mysql", "prod", 2),
    ]
    stg = [
        *_numbered("router", "router", "stg", 2),
        *_numbered("api", "api", "stg", 2),
        *_numbered("healthcheck", "healthcheck", "stg", 1),
        *_numbered("runner", "app-runner", "stg", 5),
        *_cluster("redis-stg-a", "redis", "stg", "sessions-stg", 2),
        *_cluster("mongo-stg", "mongodb", "stg", "rs-stg", 2),
        *_numbered("mysql", "mysql", "stg", 1),
    ]
    dev = [
        *_numbered("router", "router", "dev", 1),
        *_numbered("api", "api", "dev", 3),
        *_numbered("runner", "app-runner", "dev", 6),
        *_cluster("redis-dev", "redis", "dev", "dev", 1),
        *_cluster("mongo-dev", "mongodb", "dev", "rs-dev", 1),
        *_numbered("mysql", "mysql", "dev", 1),
    ]
    return (*prod, *stg, *dev)


# (app, instances per env, Redis cluster per env)
_APPS: tuple[tuple[str, dict[str, int], dict[str, str]], ...] = (
    ("checkout", {"prod": 4, "stg": 2, "dev": 1}, {"prod": "sessions", "stg": "sessions-stg", "dev": "dev"}),
    ("cart", {"prod": 4, "stg": 2, "dev": 1}, {"prod": "sessions", "stg": "sessions-stg", "dev": "dev"}),
    ("search", {"prod": 4, "stg": 2, "dev": 1}, {"prod": "cache", "dev": "dev"}),
    ("profile", {"prod": 4, "stg": 2, "dev": 1}, {"prod": "cache", "dev": "dev"}),
    ("billing", {"prod": 4, "stg": 1, "dev": 1}, {}),
    ("notifications", {"prod": 6, "stg": 1, "dev": 1}, {}),
)


def _apps(hosts: tuple[DemoHost, ...]) -> tuple[AppInstance, ...]:
    runners = {
        env: [h.name for h in hosts if h.role == "app-runner" and h.env == env]
        for env in ("prod", "stg", "dev")
    }
    out: list[AppInstance] = []
    placed = dict.fromkeys(runners, 0)
    for app, counts, redis in _APPS:
        for env, count in counts.items():
            for i in range(1, count + 1):
                host = runners[env][placed[env] % len(runners[env])]
                placed[env] += 1
                out.append(AppInstance(app, f"{app}-{env}-{i}", host, env, redis.get(env)))
    return tuple(out)


HOSTS: tuple[DemoHost, ...] = _hosts()
APPS: tuple[AppInstance, ...] = _apps(HOSTS)

__all__ = ["APPS", "HOSTS", "AppInstance", "DemoHost"]

"""The demo data set: two seeded hours of metrics for the demo platform, with real problems in it.

Place in the flow: input data. :func:`generate` returns :class:`~alerter.source.static.Point`s
(for :class:`~alerter.source.static.StaticSource`, replay and acceptance tests) and
:meth:`DemoDataset.line_protocol` the same points as InfluxDB line protocol (for a real influxd).
The same ``seed`` always gives the same points, byte for byte.

Measurements and fields are those the example rules in ``rules/`` query (and the bulk loader
writes): ``cpu.usage_user``, ``mem.used_percent``, ``disk.used_percent`` (tag ``path``),
``router.rate_5xx`` (% of responses) and ``router.latency_p99_ms``, ``redis.used_memory_percent``
and ``redis.replication_lag_s`` (tag ``cluster``), ``mongodb.repl_lag_s`` (tag ``cluster``),
``app.health_ok`` (1/0, tags ``app``, ``instance``). Every point has tags ``host``, ``role``, ``env``.

The injected problems (:data:`PROBLEMS`, offsets from the start) are listed with the example rules
they must fire; an empty ``rules`` means it must fire nothing (single-sample spikes, which ``for:``
absorbs). Outside them, noise stays well clear of every threshold.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from alerter.demo.platform import APPS, HOSTS, AppInstance, DemoHost
from alerter.source.lineprotocol import encode_point
from alerter.source.static import Point

DEFAULT_START = 1_767_600_000.0
"""2026-01-05T08:00:00Z, a Monday morning."""
DEFAULT_SEED = 20260105
MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class InjectedProblem:
    """One problem put in the data: when (absolute POSIX seconds), where, and what must fire."""

    name: str
    start: float
    end: float
    hosts: tuple[str, ...]
    rules: tuple[str, ...]
    env: str
    description: str

    def active(self, t: float) -> bool:
        return self.start <= t < self.end


# name, start min, end min, hosts, rules that must fire, env, description
_TIMELINE: tuple[tuple[str, float, float, tuple[str, ...], tuple[str, ...], str, str], ...] = (
    (
        "memory_leak",
        10,
        40,
        ("runner-prod-05",),
        ("host_memory_high",),
        "prod",
        "memory grows 70% -> 98% over 24 min, then the process is restarted at 40 min",
    ),
    (
        "single_sample_spikes",
        15,
        34,
        ("api-prod-01", "runner-prod-02", "router-prod-03"),
        (),
        "prod",
        "one 100% cpu sample, one failed health probe, one 5xx/latency sample: must not fire",
    ),
    (
        "cpu_saturation",
        20,
        35,
        ("api-prod-03",),
        ("host_cpu_high",),
        "prod",
        "a runaway worker pins the CPU at ~97% for 15 min",
    ),
    (
        "disk_filling",
        30,
        80,
        ("mysql-prod-01",),
        ("host_disk_full",),
        "prod",
        "/var/lib/mysql fills from 70% to 99% (binlogs), cleaned up at 80 min",
    ),
    (
        "stg_router_latency",
        30,
        45,
        ("router-stg-01",),
        ("router_latency_p99_high",),
        "stg",
        "a STG router's p99 latency sits at ~1.4 s",
    ),
    (
        "redis_replication_lag",
        40,
        48,
        ("redis-prod-b-2",),
        ("redis_replication_lag",),
        "prod",
        "a cache replica falls up to 90 s behind, then catches up",
    ),
    (
        "host_silent",
        50,
        70,
        ("runner-prod-08",),
        ("host_not_reporting", "app_health_check_failing"),
        "prod",
        "an app runner hangs: no metrics at all, its app instances fail their health checks",
    ),
    (
        "router_5xx_burst",
        60,
        68,
        ("router-prod-01", "router-prod-02"),
        ("router_5xx_rate_high", "router_latency_p99_high"),
        "prod",
        "a bad upstream deploy: 8-15% 5xx and p99 latency 1.2-1.8 s on two routers",
    ),
    (
        "stg_memory_pressure",
        60,
        80,
        ("runner-stg-03",),
        ("host_memory_high",),
        "stg",
        "a STG app runner at 96% memory",
    ),
    (
        "redis_oom",
        85,
        105,
        ("redis-prod-a-1",),
        ("redis_memory_high", "app_health_check_failing"),
        "prod",
        "the sessions Redis fills to 100% from 85 min; checkout and cart instances fail health checks 93-105 min",
    ),
    (
        "flapping_host",
        95,
        116,
        ("api-prod-02",),
        ("host_cpu_high",),
        "prod",
        "CPU alternates 4.5 min at 98% and 2.5 min at 40%, three times: fires and resolves repeatedly",
    ),
    (
        "mongodb_lag",
        100,
        110,
        ("mongo-prod-3",),
        ("mongodb_replication_lag",),
        "prod",
        "a MongoDB secondary 150 s behind during an index build",
    ),
)


@dataclass(frozen=True, slots=True)
class DemoDataset:
    """The generated points and what is in them."""

    start: float
    end: float
    step: float
    seed: int
    hosts: tuple[DemoHost, ...]
    apps: tuple[AppInstance, ...]
    problems: tuple[InjectedProblem, ...]
    points: tuple[Point, ...]

    def problem(self, name: str) -> InjectedProblem:
        """The injected problem called ``name``; KeyError names the known ones."""
        for p in self.problems:
            if p.name == name:
                return p
        raise KeyError(f"no injected problem {name!r} (known: {', '.join(p.name for p in self.problems)})")

    def line_protocol(self) -> Iterator[str]:
        """The points as InfluxDB line protocol, one line each, second precision."""
        return (encode_point(p) for p in self.points)


def problems(start: float = DEFAULT_START) -> tuple[InjectedProblem, ...]:
    """The injected problems' timeline for a data set starting at ``start``."""
    return tuple(
        InjectedProblem(
            name, start + a * MINUTE, start + b * MINUTE, (*hosts, *_downstream(name)), rules, env, text
        )
        for name, a, b, hosts, rules, env, text in _TIMELINE
    )


def _downstream(name: str) -> tuple[str, ...]:
    """Hosts a problem reaches beyond its own: the runners of the apps that use the full Redis."""
    if name != "redis_oom":
        return ()
    return tuple(sorted({a.host for a in APPS if a.redis == "sessions"}))


def generate(
    seed: int = DEFAULT_SEED, start: float = DEFAULT_START, duration: float = 120 * MINUTE, step: float = 10.0
) -> DemoDataset:
    """Generate the data set: one sample per series every ``step`` seconds in ``[start, start+duration)``.

    Deterministic for a given (seed, start, duration, step). About 220,000 points for the defaults.
    """
    timeline = problems(start)
    world = _World(random.Random(seed), start, {p.name: p for p in timeline})
    points: list[Point] = []
    for i in range(int(duration // step)):
        points.extend(world.sample(start + i * step))
    return DemoDataset(start, start + duration, step, seed, HOSTS, APPS, timeline, tuple(points))


class _World:
    """Baselines per series plus the problems' effects; ``sample(t)`` gives every point at ``t``."""

    def __init__(self, rng: random.Random, start: float, problems: dict[str, InjectedProblem]) -> None:
        self.rng, self.start, self.p = rng, start, problems
        self.base = {h.name: (rng.uniform(10, 40), rng.uniform(35, 68), rng.uniform(20, 55)) for h in HOSTS}
        self.redis_base = {h.name: rng.uniform(40, 60) for h in HOSTS if h.role == "redis"}
        self.tags = {h.name: {"host": h.name, "role": h.role, "env": h.env} for h in HOSTS}
        # tag dicts built once: points share them (Points are immutable by convention)
        self.root_tags = {h.name: {**self.tags[h.name], "path": "/"} for h in HOSTS}
        self.mysql_tags = {h.name: {**self.tags[h.name], "path": "/var/lib/mysql"} for h in HOSTS}
        self.cluster_tags = {h.name: {**self.tags[h.name], "cluster": str(h.cluster)} for h in HOSTS}
        self.app_tags = {
            a.instance: {
                "host": a.host,
                "role": "app-runner",
                "env": a.env,
                "app": a.app,
                "instance": a.instance,
            }
            for a in APPS
        }

    def minutes(self, t: float, name: str) -> float | None:
        """Minutes since problem ``name`` started, or None outside it."""
        p = self.p[name]
        return (t - p.start) / MINUTE if p.active(t) else None

    def sample(self, t: float) -> Iterator[Point]:
        silent = self.p["host_silent"]
        for h in HOSTS:
            if not (silent.active(t) and h.name in silent.hosts):
                yield from self._host(h, t)
        for app in APPS:
            yield Point("app", self.app_tags[app.instance], {"health_ok": self._health(app, t)}, t)

    def _host(self, h: DemoHost, t: float) -> Iterator[Point]:
        tags = self.tags[h.name]
        cpu_base, mem_base, disk_base = self.base[h.name]
        yield Point("cpu", tags, {"usage_user": self._cpu(h, t, cpu_base)}, t)
        yield Point("mem", tags, {"used_percent": self._mem(h, t, mem_base)}, t)
        yield Point("disk", self.root_tags[h.name], {"used_percent": round(disk_base, 2)}, t)
        if h.role == "mysql":
            yield Point("disk", self.mysql_tags[h.name], {"used_percent": self._mysql_disk(h, t)}, t)
        if h.role == "router":
            yield Point("router", tags, self._router(h, t), t)
        elif h.role == "redis":
            yield Point("redis", self.cluster_tags[h.name], self._redis(h, t), t)
        elif h.role == "mongodb":
            yield Point("mongodb", self.cluster_tags[h.name], {"repl_lag_s": self._mongo(h, t)}, t)

    def _noise(self, sigma: float) -> float:
        return self.rng.gauss(0.0, sigma)

    def _cpu(self, h: DemoHost, t: float, base: float) -> float:
        value = base + self._noise(5.0)
        if h.name == "api-prod-03" and self.minutes(t, "cpu_saturation") is not None:
            value = 97.0 + self._noise(0.8)
        elif h.name == "api-prod-02" and (m := self.minutes(t, "flapping_host")) is not None:
            value = (98.0 if m % 7.0 < 4.5 else 40.0) + self._noise(0.5)
        elif h.name == "api-prod-01" and t == self.p["single_sample_spikes"].start:
            value = 100.0
        return round(min(max(value, 0.0), 100.0), 2)

    def _mem(self, h: DemoHost, t: float, base: float) -> float:
        value = base + self._noise(0.7)
        if h.name == "runner-prod-05" and (m := self.minutes(t, "memory_leak")) is not None:
            value = 70.0 + 28.0 * min(m / 24.0, 1.0) + self._noise(0.2)
        elif h.name == "runner-stg-03" and self.minutes(t, "stg_memory_pressure") is not None:
            value = 96.0 + self._noise(0.5)
        return round(min(max(value, 0.0), 100.0), 2)

    def _mysql_disk(self, h: DemoHost, t: float) -> float:
        value = 55.0 + 0.02 * ((t - self.start) / MINUTE)
        if h.name == "mysql-prod-01":
            p = self.p["disk_filling"]
            if p.active(t):
                value = 70.0 + 29.0 * min((t - p.start) / (45 * MINUTE), 1.0)
            elif t >= p.end:
                value = 45.0
        return round(value, 2)

    def _router(self, h: DemoHost, t: float) -> dict[str, float]:
        rate, p99 = abs(self._noise(0.15)) + 0.05, 140.0 + self._noise(20.0)
        if (
            h.name in self.p["router_5xx_burst"].hosts
            and (m := self.minutes(t, "router_5xx_burst")) is not None
        ):
            rate, p99 = (
                8.0 + 7.0 * abs(((m * 2) % 2) - 1) + self._noise(0.5),
                1200.0 + 600.0 * self.rng.random(),
            )
        elif h.name == "router-stg-01" and self.minutes(t, "stg_router_latency") is not None:
            p99 = 1400.0 + self._noise(60.0)
        elif h.name == "router-prod-03" and t == self.p["single_sample_spikes"].start + 18 * MINUTE:
            rate, p99 = 10.0, 3000.0
        return {"rate_5xx": round(max(rate, 0.0), 3), "latency_p99_ms": round(max(p99, 1.0), 1)}

    def _redis(self, h: DemoHost, t: float) -> dict[str, float]:
        memory = self.redis_base[h.name] + self._noise(0.5)
        lag = 0.0 if h.primary else abs(self._noise(0.4))
        if h.name == "redis-prod-a-1" and (m := self.minutes(t, "redis_oom")) is not None:
            memory = min(85.0 + 15.0 * m / 7.0, 100.0)
        elif h.name == "redis-prod-b-2" and (m := self.minutes(t, "redis_replication_lag")) is not None:
            lag = 90.0 * min(m / 5.0, 1.0) if m < 7.0 else 90.0 * (8.0 - m)
        return {"used_memory_percent": round(memory, 2), "replication_lag_s": round(max(lag, 0.0), 2)}

    def _mongo(self, h: DemoHost, t: float) -> float:
        lag = 0.0 if h.primary else abs(self._noise(1.0))
        if h.name == "mongo-prod-3" and self.minutes(t, "mongodb_lag") is not None:
            lag = 150.0 + self._noise(5.0)
        return round(lag, 2)

    def _health(self, app: AppInstance, t: float) -> int:
        if app.host in self.p["host_silent"].hosts and self.p["host_silent"].active(t):
            return 0
        oom = self.p["redis_oom"]
        if app.redis == "sessions" and oom.start + 8 * MINUTE <= t < oom.end:
            return 0
        if app.instance == "checkout-prod-2" and t == self.p["single_sample_spikes"].start + 10 * MINUTE:
            return 0
        return 1

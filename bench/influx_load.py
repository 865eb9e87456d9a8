"""Bulk-load a realistic fleet's metrics into an influxd: the data the example rules query.

Not part of the alert flow: it feeds the demo and the benchmarks. ``hosts`` VMs report every
``step`` seconds for ``minutes`` minutes, in the shapes ``rules/*.yaml`` query:

==========  ===========================================  =====================================
measurement fields                                       tags (besides host, role, env)
==========  ===========================================  =====================================
cpu         usage_user, usage_system                     (every host)
mem         used_percent                                 (every host)
disk        used_percent                                 path (``/`` and ``/var``, every host)
router      rate_5xx, latency_p99_ms                     (role=router)
redis       used_memory_percent, replication_lag_s       cluster (role=redis)
mongodb     repl_lag_s                                   cluster (role=mongodb)
app         health_ok (1 healthy, 0 failing)             app, instance (role=app-runner)
==========  ===========================================  =====================================

Values are seeded pseudo-random and mostly healthy; a few hosts run hot so rules have something
to fire on. Lines go out in batches of ``batch_lines`` with ``concurrency`` writes in flight.

    .venv/bin/python -m bench.influx_load --hosts 4300 --minutes 10      # private influxd
    .venv/bin/python -m bench.influx_load --url http://127.0.0.1:8086 --database metrics
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.abc
import click

from alerter.clock import Clock, SystemClock
from integrations.influxdb import InfluxMetricSource, format_line
from integrations.influxdb.server import InfluxServer

ROLES = (
    "app-runner",
    "app-runner",
    "app-runner",
    "app-runner",
    "router",
    "redis",
    "mongodb",
    "web",
    "worker",
    "batch",
)
ENVS = ("prod", "prod", "prod", "prod", "prod", "prod", "stg", "stg", "dev", "dev")
APPS = ("shop", "billing", "search", "auth", "catalog", "mailer")
HOT_EVERY = 97  # every 97th host runs hot (cpu, memory, lag...) so rules fire


@dataclass(frozen=True, slots=True)
class Host:
    """One VM: its tag prefix per measurement (escaped once, reused for every point)."""

    index: int
    name: str
    role: str
    env: str
    hot: bool


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What one load did: lines sent and refused, batches, wall-clock seconds."""

    lines: int
    failed: int
    batches: int
    seconds: float

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds > 0 else float("inf")


def fleet(hosts: int) -> list[Host]:
    """Return ``hosts`` VMs with roles and environments spread over the fleet."""
    return [
        Host(i, f"vm-{i:05d}", ROLES[i % len(ROLES)], ENVS[(i // len(ROLES)) % len(ENVS)], i % HOT_EVERY == 1)
        for i in range(hosts)
    ]


def _prefixes(host: Host) -> dict[str, list[str]]:
    """Series keys ("measurement,tags") per measurement, escaped once per host."""
    base = {"host": host.name, "role": host.role, "env": host.env}

    def key(measurement: str, **extra: str) -> str:
        # format_line escapes; strip the dummy field to keep only the series key
        return format_line(measurement, {**base, **extra}, {"x": 0.0}).rsplit(" ", 1)[0]

    keys = {
        "cpu": [key("cpu")],
        "mem": [key("mem")],
        "disk": [key("disk", path="/"), key("disk", path="/var")],
    }
    cluster = f"{host.role}-{host.index // 30:03d}"
    if host.role == "router":
        keys["router"] = [key("router")]
    elif host.role == "redis":
        keys["redis"] = [key("redis", cluster=cluster)]
    elif host.role == "mongodb":
        keys["mongodb"] = [key("mongodb", cluster=cluster)]
    elif host.role == "app-runner":
        count = 1 + host.index % 2
        keys["app"] = [
            key("app", app=APPS[(host.index + n) % len(APPS)], instance=f"{host.name}-{n}")
            for n in range(count)
        ]
    return keys


def _fields(measurement: str, hot: bool, rng: random.Random) -> str:
    r = rng.random()
    if measurement == "cpu":
        user = 90 + 9 * r if hot else 5 + 60 * r
        return f"usage_user={user:.2f},usage_system={3 + 10 * r:.2f}"
    if measurement in ("mem", "disk"):
        return f"used_percent={(93 + 6 * r) if hot else (20 + 60 * r):.2f}"
    if measurement == "router":
        return f"rate_5xx={(6 + 4 * r) if hot else r * 0.8:.3f},latency_p99_ms={(1200 if hot else 80) + 300 * r:.1f}"
    if measurement == "redis":
        return f"used_memory_percent={(96 if hot else 40) + 3 * r:.2f},replication_lag_s={(90 if hot else 0) + r:.2f}"
    if measurement == "mongodb":
        return f"repl_lag_s={(150 if hot else 0) + 2 * r:.2f}"
    return f"health_ok={0 if hot and r < 0.9 else 1}"


def generate_lines(hosts: int, minutes: int, end: int, *, step: int = 10, seed: int = 1) -> Iterator[str]:
    """Yield line protocol (precision s) for ``hosts`` VMs over the ``minutes`` before ``end``.

    Timestamps run ``end - minutes*60 + step`` .. ``end`` in ``step`` seconds, oldest first.
    """
    rng = random.Random(seed)
    keyed = [(host, _prefixes(host)) for host in fleet(hosts)]
    first = end - minutes * 60 + step
    for t in range(first, end + 1, step):
        for host, keys in keyed:
            for measurement, series_keys in keys.items():
                for series_key in series_keys:
                    yield f"{series_key} {_fields(measurement, host.hot, rng)} {t}"


def _batches(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def load(
    url: str,
    database: str,
    *,
    hosts: int,
    minutes: int,
    end: int,
    step: int = 10,
    batch_lines: int = 5000,
    concurrency: int = 4,
    clock: Clock | None = None,
) -> LoadReport:
    """Create ``database`` if needed and write the fleet's data into it; return a LoadReport.

    Raises alerter.errors.SourceUnavailable if influxd cannot be reached.
    """
    clock = clock or SystemClock()
    started = clock.now()
    lines = failed = batches = 0
    async with InfluxMetricSource(url, database, max_concurrency=concurrency, timeout=60.0) as source:
        await source.create_database(database)
        send, receive = anyio.create_memory_object_stream[list[str]](concurrency)

        async def writer(queue: anyio.abc.ObjectReceiveStream[list[str]]) -> None:
            nonlocal lines, failed, batches
            async with queue:
                async for batch in queue:
                    result = await source.write(batch, precision="s")
                    lines += len(batch)
                    failed += len(result.failed) + result.unattributed
                    batches += 1

        async with anyio.create_task_group() as tg:
            with receive:
                for _ in range(concurrency):
                    tg.start_soon(writer, receive.clone())
            async with send:
                for batch in _batches(generate_lines(hosts, minutes, end, step=step), batch_lines):
                    await send.send(batch)
    return LoadReport(lines=lines, failed=failed, batches=batches, seconds=clock.now() - started)


@click.command("influx-load")
@click.option("--url", help="influxd base URL; omitted: start a private influxd in a temp dir")
@click.option("--database", default="metrics", show_default=True)
@click.option("--hosts", default=4300, show_default=True, type=click.IntRange(min=1))
@click.option("--minutes", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--end", type=int, help="last timestamp (POSIX s); default: now rounded down to 10 s")
@click.option("--batch-lines", default=5000, show_default=True, type=click.IntRange(min=1))
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(min=1))
def main(
    url: str | None,
    database: str,
    hosts: int,
    minutes: int,
    end: int | None,
    batch_lines: int,
    concurrency: int,
) -> None:
    """Load HOSTS x MINUTES of 10 s fleet metrics into influxd and print how long it took."""
    stamp = end if end is not None else int(SystemClock().now()) // 10 * 10

    def run(target: str) -> LoadReport:
        return anyio.run(
            lambda: load(
                target,
                database,
                hosts=hosts,
                minutes=minutes,
                end=stamp,
                batch_lines=batch_lines,
                concurrency=concurrency,
            )
        )

    if url is not None:
        report = run(url)
    else:
        with tempfile.TemporaryDirectory(prefix="influx-load-") as tmp, InfluxServer(Path(tmp)) as server:
            report = run(server.url)
    click.echo(
        f"loaded {report.lines} lines ({hosts} hosts x {minutes} min) in {report.batches} batches "
        f"in {report.seconds:.1f} s ({report.lines_per_second:,.0f} lines/s); refused: {report.failed}"
    )


if __name__ == "__main__":
    main()

"""Benchmark: replay speed in simulated hours per wall second over 4,300 hosts x 20 rules.

Not part of the alert flow: it measures ``alerter replay``'s engine. :mod:`bench.influx_load`'s
fleet (``generate_lines``: 10 s samples of cpu/mem/disk/router/redis/mongodb/app, every 97th host
running hot) is parsed into :class:`~alerter.source.static.Point`s once (timed apart), held in a
:class:`~alerter.source.static.StaticSource`, and the 20 rules of ``bench/rules/`` are replayed
over the last ``--replay`` minutes (the first 5 minutes of data only feed the rules' look-back)
through the production path: :func:`alerter.replay.replay_rules` = VirtualScheduler ->
RuleEngine -> evaluate -> correlation -> incident store (temporary SQLite) -> paging decisions.

Reported: simulated hours per wall second (the headline figure) and per CPU second (the same on an
idle core: on a shared machine wall time includes other processes), the CPU split between the
source (StaticSource's InfluxQL) and the rest (evaluate, correlation, incident store), rule
evaluations, events per second, incidents, pages, suppressions; ``--json`` for machines.

    .venv/bin/python bench/replay_speed.py                          # full size: 4,300 hosts, 20 rules
    .venv/bin/python bench/replay_speed.py --hosts 200 --replay 10  # a quick look
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the ``bench`` namespace package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import click

from alerter.clock import SystemClock
from alerter.config.correlation import load_correlation
from alerter.config.load import load_rules
from alerter.config.topology import load_topology
from alerter.evaluate.timing import Timing
from alerter.replay import ReplaySetup, replay_rules, temporary_store
from alerter.source import StatementResult
from alerter.source.static import FieldValue, Point, StaticSource
from bench.influx_load import generate_lines

RULES_DIR = Path(__file__).resolve().parent / "rules"
POLICY_DIR = Path(__file__).resolve().parents[1] / "rules"
END = 1_700_000_000
"""Last timestamp of the generated data (fixed, so runs are comparable and no clock is read)."""
LOOK_BACK_MIN = 5
"""The rules' longest look-back: data before the replay window so the first evaluation sees full data."""


@dataclass(frozen=True, slots=True)
class Figures:
    """One run's measurements."""

    hosts: int
    rules: int
    points: int
    load_seconds: float
    simulated_hours: float
    wall_seconds: float
    cpu_seconds: float
    source_cpu_seconds: float
    evaluations: int
    events: int
    alerts: int
    incidents: int
    pages: int
    suppressed: dict[str, int]

    @property
    def simulated_hours_per_second(self) -> float:
        return self.simulated_hours / self.wall_seconds

    @property
    def simulated_hours_per_cpu_second(self) -> float:
        return self.simulated_hours / self.cpu_seconds

    @property
    def events_per_second(self) -> float:
        return self.events / self.wall_seconds


class TimedSource:
    """A MetricSource wrapper adding up the CPU time spent answering queries."""

    def __init__(self, inner: StaticSource) -> None:
        self.inner = inner
        self.cpu = 0.0

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        started = time.process_time()
        try:
            return await self.inner.query(statements, now=now)
        finally:
            self.cpu += time.process_time() - started


def points_of(lines: Iterable[str]) -> Iterator[Point]:
    """Line protocol from ``generate_lines`` -> Points; tag dicts are shared per series."""
    series: dict[str, tuple[str, dict[str, str]]] = {}
    for line in lines:
        key, fields, stamp = line.rsplit(" ", 2)
        parsed = series.get(key)
        if parsed is None:
            measurement, *tags = key.split(",")  # the generator's names need no unescaping
            parsed = series[key] = (measurement, dict(t.split("=", 1) for t in tags))
        yield Point(parsed[0], parsed[1], _fields(fields), float(stamp))


def _fields(text: str) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}
    for part in text.split(","):
        name, value = part.split("=", 1)
        out[name] = int(value[:-1]) if value.endswith("i") else float(value)
    return out


def measure(hosts: int, replay_minutes: int, seed: int) -> Figures:
    """Generate and load the data, then replay it once; return the figures."""
    ruleset = load_rules([RULES_DIR])
    ruleset.raise_for_problems()
    policy, problems = load_correlation(POLICY_DIR / "correlation.yaml")
    topology, more = load_topology(POLICY_DIR / "topology.yaml")
    if policy is None:
        raise click.ClickException("\n".join(str(p) for p in [*problems, *more]))
    started = time.perf_counter()
    points = list(points_of(generate_lines(hosts, replay_minutes + LOOK_BACK_MIN, END, seed=seed)))
    source = StaticSource(points)
    asyncio.run(source.query(['SELECT last("used_percent") FROM "mem" WHERE time > now() - 1m'], now=END))
    load_seconds = time.perf_counter() - started  # generation, parsing and StaticSource's columnar layout
    start = float(END - replay_minutes * 60)
    timed = TimedSource(source)
    with temporary_store() as store:
        setup = ReplaySetup(store, policy, topology, timing=Timing(2.0, seed="alerter"), clock=SystemClock())
        began, began_cpu = time.perf_counter(), time.process_time()
        summary = asyncio.run(replay_rules(ruleset.rules, timed, setup, start, float(END)))
        wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    return Figures(
        hosts=hosts,
        rules=len(ruleset.rules),
        points=len(points),
        load_seconds=load_seconds,
        simulated_hours=replay_minutes / 60,
        wall_seconds=wall,
        cpu_seconds=cpu,
        source_cpu_seconds=timed.cpu,
        evaluations=summary.evaluations,
        events=summary.events,
        alerts=summary.alerts,
        incidents=summary.incidents,
        pages=len(summary.pages),
        suppressed=dict(summary.suppressed),
    )


@click.command("replay-speed")
@click.option("--hosts", default=4300, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--replay",
    "replay_minutes",
    default=15,
    show_default=True,
    type=click.IntRange(min=1),
    help="Minutes of simulated time replayed (plus 5 minutes of look-back data).",
)
@click.option("--seed", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def main(hosts: int, replay_minutes: int, seed: int, as_json: bool) -> None:
    """Replay HOSTS x 20 rules over REPLAY minutes of generated fleet data and print the speed."""
    f = measure(hosts, replay_minutes, seed)
    if as_json:
        speeds = {
            "simulated_hours_per_second": f.simulated_hours_per_second,
            "simulated_hours_per_cpu_second": f.simulated_hours_per_cpu_second,
        }
        click.echo(json.dumps({**asdict(f), **speeds}))
        return
    click.echo(
        f"data: {f.points:,} points ({f.hosts:,} hosts, {replay_minutes + LOOK_BACK_MIN} min) "
        f"generated and loaded in {f.load_seconds:.1f} s"
    )
    click.echo(
        f"replay: {f.rules} rules over {f.simulated_hours * 60:.0f} simulated min in {f.wall_seconds:.1f} s "
        f"= {f.simulated_hours_per_second:.4f} simulated h per wall s "
        f"({f.simulated_hours * 3600 / f.wall_seconds:,.1f}x real time)"
    )
    click.echo(
        f"        CPU {f.cpu_seconds:.1f} s = {f.simulated_hours_per_cpu_second:.4f} simulated h per CPU s; "
        f"source {f.source_cpu_seconds:.1f} s, evaluate + correlation + store "
        f"{f.cpu_seconds - f.source_cpu_seconds:.1f} s"
    )
    click.echo(
        f"        {f.evaluations:,} rule evaluations, {f.events:,} events ({f.events_per_second:,.0f}/s), "
        f"{f.alerts:,} alerts, {f.incidents:,} incidents, {f.pages:,} pages, suppressed {f.suppressed}"
    )


if __name__ == "__main__":
    main()

"""Correlation benchmark: events/s through the default correlation pipeline on one core.

Not part of the alert flow: it measures it. 10,000 live series (the shipped rules' shapes: hosts,
app instances, redis nodes; PROD/STG/DEV) are evaluated every 30 s of virtual time; each
evaluation tick is one batch of 10,000 events, of which ``--change`` (default 0.2%) change
state. Four figures, each held against its target:

* **hot path**: events/s through the compiled stream graph (dedup + flapping + routing) alone,
  CPU time on one core; target >= 200,000/s;
* **decision latency**: wall time of ``Pipeline.process`` for one tick (stream graph + ONE
  SQLite transaction with every incident change and paging decision), p50/p99 over ``--ticks``;
  a transition becomes a decision within that time after its evaluation; **end to end**:
  events/s of the median tick, target >= 200,000/s (the issue's figure, store included);
* **memory per live series**: bytes the correlation state keeps per series (tracemalloc);
  target <= 1 KB.

Exit status 1 when a target is missed (``--no-check``: print only).

    .venv/bin/python bench/correlation_throughput.py
    .venv/bin/python bench/correlation_throughput.py --series 1000 --ticks 20   # a quick look
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import click
from sqlalchemy import event

from alerter.config.correlation import CorrelationPolicy, load_correlation
from alerter.config.topology import Topology, load_topology
from alerter.incidents.correlate import CorrelationGraph
from alerter.incidents.store import IncidentStore
from alerter.incidents.topology import CompiledTopology
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, Event, fingerprint
from alerter.pipeline import Pipeline
from alerter.streams import Scheduler, StreamContext

RULES = Path(__file__).resolve().parents[1] / "rules"
T0 = 1_767_600_000.0
TARGET_EPS = 200_000.0
TARGET_BYTES = 1024.0

_SHAPES = (
    ("host_cpu_high", {"role": "api"}),
    ("host_memory_high", {"role": "app-runner"}),
    ("app_health_check_failing", {"role": "app-runner", "app": "checkout"}),
    ("redis_memory_high", {"role": "redis", "cluster": "sessions"}),
    ("host_not_reporting", {"role": "mysql"}),
)


def make_series(n: int) -> list[dict[str, str]]:
    """``n`` distinct series' attributes (labels + rule + fingerprint), evaluator-shaped."""
    out = []
    for i in range(n):
        rule, extra = _SHAPES[i % len(_SHAPES)]
        env = ("prod", "stg", "dev")[i % 3]
        labels = {"host": f"vm-{i:05d}", "env": env, "team": "platform", **extra}
        if "app" in labels:
            labels["instance"] = f"checkout-{env}-{i}"
        out.append({**labels, ATTR_RULE: rule, ATTR_FINGERPRINT: fingerprint(rule, labels)})
    return out


def tick_events(series: list[dict[str, str]], states: list[str], t: float) -> list[Event]:
    return [
        Event(a["host"], a[ATTR_RULE], s, None, 1.0, t, 60.0, (), a)
        for a, s in zip(series, states, strict=True)
    ]


def flip(states: list[str], share: float, rng: random.Random) -> None:
    """Change ``share`` of the series: ok <-> critical."""
    for i in rng.sample(range(len(states)), max(1, int(len(states) * share))):
        states[i] = "critical" if states[i] == "ok" else "ok"


def load_policy() -> tuple[CorrelationPolicy, Topology]:
    policy, problems = load_correlation(RULES / "correlation.yaml")
    topology, more = load_topology(RULES / "topology.yaml")
    if policy is None or topology is None:
        raise SystemExit("\n".join(str(p) for p in [*problems, *more]))
    return policy, topology


def hot_path(series: list[dict[str, str]], ticks: int, share: float) -> tuple[float, int]:
    """Events/s (CPU) through the stream graph alone; the store is not involved."""
    policy, topology = load_policy()
    ctx = StreamContext(Scheduler.controlled(T0))
    graph = CorrelationGraph(policy, CompiledTopology(topology), ctx)
    rng = random.Random(1)
    states = ["ok"] * len(series)
    batches = []
    for k in range(ticks):
        flip(states, share, rng)
        batches.append(tick_events(series, states, T0 + 30 * k))
    for e in batches[0]:
        graph(e)  # warm: every series known
    graph.drain()
    total, cpu = 0, 0.0
    for k, batch in enumerate(batches[1:], start=1):
        ctx.scheduler.advance(T0 + 30 * k)
        started = time.process_time()
        for e in batch:
            graph(e)
        cpu += time.process_time() - started
        total += len(batch)
        graph.drain()
    return total / cpu, total


def memory_per_series(series: list[dict[str, str]]) -> float:
    """Bytes allocated by the correlation state per live series (events pre-built, not counted)."""
    policy, topology = load_policy()
    events = tick_events(series, ["ok"] * len(series), T0)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    ctx = StreamContext(Scheduler.controlled(T0))
    graph = CorrelationGraph(policy, CompiledTopology(topology), ctx)
    for e in events:
        graph(e)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert graph.live_series() == len(series)
    return grown / len(series)


@dataclass
class StoreParts:
    """Where each tick's flush went: CPU seconds, the durable commit (wall), SQL statements."""

    cpu: list[float] = field(default_factory=list)
    commit: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)


def latencies(
    series: list[dict[str, str]], ticks: int, share: float, parts: StoreParts | None = None
) -> tuple[list[float], list[float], int, int]:
    """Wall seconds of each tick on a real SQLite store (temp file), and of its store part.

    A tick is what the app does per evaluation: every event into the pipeline (its event sink),
    then ``flush`` (one transaction). ``parts`` collects the flush's CPU time, the wall time from
    the COMMIT (``synchronous=FULL``: the fsync) to the end of the flush, and its statements."""
    policy, topology = load_policy()
    rng = random.Random(2)
    states = ["ok"] * len(series)
    with tempfile.TemporaryDirectory() as tmp, IncidentStore(f"sqlite:///{tmp}/bench.db") as store:
        pipeline = Pipeline(store, policy, topology, start=T0)
        out, store_part, changes, pages = [], [], 0, 0
        marks = {"commit": 0.0, "statements": 0}

        def on_commit(_conn: object) -> None:
            marks["commit"] = time.perf_counter()

        def on_statement(*_args: object) -> None:
            marks["statements"] += 1

        event.listen(store.engine, "commit", on_commit)
        event.listen(store.engine, "before_cursor_execute", on_statement)
        for k in range(ticks):
            flip(states, share, rng)
            events = tick_events(series, states, T0 + 30 * k)
            started = time.perf_counter()
            for e in events:
                pipeline(e)
            flushing, cpu = time.perf_counter(), time.process_time()
            marks["statements"] = 0
            result = pipeline.flush(T0 + 30 * k)
            done = time.perf_counter()
            if parts is not None:
                parts.cpu.append(time.process_time() - cpu)
                parts.commit.append(done - marks["commit"])
                parts.statements.append(int(marks["statements"]))
            out.append(done - started)
            store_part.append(done - flushing)
            changes += len(result.applied)
            pages += len(result.pages)
        return out, store_part, changes, pages


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@click.command()
@click.option("--series", default=10_000, show_default=True, help="live series")
@click.option("--ticks", default=60, show_default=True, help="evaluation ticks (30 s apart)")
@click.option("--change", default=0.002, show_default=True, help="share of series changing state per tick")
@click.option("--check/--no-check", default=True, help="exit 1 when a target is missed")
def main(series: int, ticks: int, change: float, check: bool) -> None:
    all_series = make_series(series)
    eps, events = hot_path(all_series, ticks, change)
    per_series = memory_per_series(all_series)
    parts = StoreParts()
    lat, store_part, stored, pages = latencies(all_series, ticks, change, parts)
    steady = lat[1:] or lat
    print(f"series: {series:,}, ticks: {ticks}, changes per tick: {max(1, int(series * change))}")
    print(f"hot path:          {eps:>12,.0f} events/s  (target >= {TARGET_EPS:,.0f}; {events:,} events, CPU)")
    print(
        f"decision latency:  p50 {_pct(steady, 0.5) * 1000:7.1f} ms  p99 {_pct(steady, 0.99) * 1000:7.1f} ms"
        f"  per tick of {series:,} events (stream graph + one SQLite transaction)"
    )
    print(
        f"  of which store:  p50 {_pct(store_part[1:] or store_part, 0.5) * 1000:7.1f} ms  (flush: one transaction)"
    )
    print(
        f"  store parts:     p50 CPU {_pct(parts.cpu[1:], 0.5) * 1000:7.1f} ms, commit (fsync) + after"
        f" {_pct(parts.commit[1:], 0.5) * 1000:5.1f} ms, {_pct([float(n) for n in parts.statements[1:]], 0.5):.0f}"
        " SQL statements"
    )
    print(f"  first tick:      {lat[0] * 1000:7.1f} ms  ({stored:,} store changes, {pages} pages in all)")
    end_to_end = series / statistics.median(steady)
    print(
        f"pipeline:          {end_to_end:>12,.0f} events/s end to end (median tick; target >= {TARGET_EPS:,.0f})"
    )
    print(f"memory:            {per_series:>12,.0f} bytes per live series  (target <= {TARGET_BYTES:,.0f})")
    missed = [
        name
        for name, ok in (
            ("hot path", eps >= TARGET_EPS),
            ("end to end", end_to_end >= TARGET_EPS),
            ("memory", per_series <= TARGET_BYTES),
        )
        if not ok
    ]
    if missed:
        print(f"MISSED: {', '.join(missed)}")
    if check and missed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

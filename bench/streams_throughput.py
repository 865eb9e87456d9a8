"""Throughput of the correlation hot path: where -> by(host, service) -> changed_state -> index.

Pushes ``--events`` events (default 1,000,000) over ``--series`` series (default 10,000) on one
core and prints events/s, p50/p99 per-event latency and memory per live series (tracemalloc),
against the targets: >= 200,000 events/s and <= 1 KB per series.

Run: ``.venv/bin/python bench/streams_throughput.py [--events N] [--series N]``

Events are built before timing (the evaluator builds them, not the streams); about 5% of events
change their series' state, so changed_state forwards a realistic trickle into the index.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

from alerter.model import Event
from alerter.streams import Index, by, changed_state, where

TARGET_EVENTS_PER_S = 200_000
TARGET_BYTES_PER_SERIES = 1024
STATES = ("ok", "warning", "critical")


def make_events(n_events: int, n_series: int, seed: int = 7) -> list[Event]:
    """``n_events`` events cycling over ``n_series`` (host, service) pairs; ~5% change state."""
    rng = random.Random(seed)
    hosts = [f"host-{i // 10:05d}" for i in range(n_series)]
    services = [f"svc-{i % 10}" for i in range(n_series)]
    current = ["ok"] * n_series
    events = []
    for i in range(n_events):
        s = i % n_series
        if rng.random() < 0.05:
            current[s] = rng.choice(STATES)
        events.append(
            Event(
                host=hosts[s],
                service=services[s],
                state=current[s],
                metric=float(i % 100),
                time=float(i // n_series),
                ttl=60.0,
            )
        )
    return events


def build_pipeline() -> tuple[Callable[[Event], object], Index]:
    index = Index()
    pipeline = where(lambda e: e.metric is not None, by(("host", "service"), lambda: changed_state(index)))
    return pipeline, index


def throughput(events: list[Event]) -> float:
    pipeline, _ = build_pipeline()
    gc.collect()
    start = time.perf_counter()
    for e in events:
        pipeline(e)
    return len(events) / (time.perf_counter() - start)


def latencies_us(events: list[Event]) -> tuple[float, float]:
    pipeline, _ = build_pipeline()
    clock = time.perf_counter_ns
    samples = []
    for e in events:
        t0 = clock()
        pipeline(e)
        samples.append(clock() - t0)
    q = statistics.quantiles(samples, n=100)
    return q[49] / 1000, q[98] / 1000


def bytes_per_series(n_series: int) -> tuple[float, float]:
    """(stream state per series, state + the indexed event per series), by tracemalloc."""
    events = make_events(n_series, n_series)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    pipeline, index = build_pipeline()
    for e in events:
        pipeline(e)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    state = sum(s.size_diff for s in after.compare_to(before, "filename"))
    held = sum(sys.getsizeof(e) + sys.getsizeof(e.attributes) for e in index)
    return state / n_series, (state + held) / n_series


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--series", type=int, default=10_000)
    args = parser.parse_args(argv)

    events = make_events(args.events, args.series)
    rate = throughput(events)
    p50, p99 = latencies_us(events[: min(len(events), 200_000)])
    state_b, total_b = bytes_per_series(args.series)
    ok_rate = rate >= TARGET_EVENTS_PER_S
    ok_mem = total_b <= TARGET_BYTES_PER_SERIES
    print(
        f"pipeline: where -> by(host, service) -> changed_state -> index; "
        f"{args.events:,} events over {args.series:,} series, python {sys.version.split()[0]}"
    )
    print(
        f"throughput: {rate:,.0f} events/s (target >= {TARGET_EVENTS_PER_S:,}) "
        f"{'OK' if ok_rate else 'MISSED'}"
    )
    print(f"latency per event: p50 {p50:.2f} us, p99 {p99:.2f} us")
    print(
        f"memory per live series: {state_b:,.0f} B stream state, {total_b:,.0f} B with the indexed "
        f"event (target <= {TARGET_BYTES_PER_SERIES:,} B) {'OK' if ok_mem else 'MISSED'}"
    )
    return 0 if ok_rate and ok_mem else 1


if __name__ == "__main__":
    sys.exit(main())

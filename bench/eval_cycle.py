"""Foundation benchmark: full evaluation cycles of 20 rules over 4,300 hosts against a real influxd.

Not part of the alert flow: it measures it. A private ``influxd`` (or ``--influx URL``) is loaded
with :mod:`bench.influx_load`'s fleet (10 minutes of 10 s data; the load is timed apart), then
``--cycles`` full cycles run through the production path: :meth:`RuleEngine.run` with every rule
of ``bench/rules/`` at one instant, i.e. ONE batched :class:`InfluxMetricSource` round trip, then
``evaluate`` per rule. Each cycle is split into (wall time)

* **influxd**: HTTP request sent -> answer fully received (query, JSON encoding, gzip, loopback);
* **engine**: the client's work after the answer arrived, plus ``evaluate``;
* **other**: the rest of ``RuleEngine.run`` (bookkeeping, handing events to the sink);

and the engine part's CPU time into **decode** (gunzip + ``json``, timed inside the response
object), **parse** (the client's other CPU: answer -> ``Series``, httpx, statement pinning) and
**evaluate** (through RuleEngine's ``evaluate`` hook), with the garbage collections' share.

The engine part alone is then measured on one core with no I/O (``--rounds`` times, CPU time):
the captured StatementResults replayed through ``evaluate`` is the figure held against the
target of 300,000 series-evaluations/s; the captured answers replayed through JSON decode and
the client's parser are shown beside it, and the three together against the same rate (not
binding). A whole cycle must stay well inside the rules' 30 s interval (worst steady cycle
<= 10 s). Exit status 1 when a binding target is missed (``--no-check``: print only). Cycles
step 30 s apart through the second half of the loaded window so the rules' longest look-back
(5m) always sees full data.

    .venv/bin/python bench/eval_cycle.py                         # full size, private influxd
    .venv/bin/python bench/eval_cycle.py --hosts 20 --cycles 2   # a quick look
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

if __package__ in (None, ""):  # run as a script: make the ``bench`` namespace package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anyio
import click
import httpx

from alerter.clock import FakeClock
from alerter.config.load import load_rules
from alerter.config.rules import LoadedRule
from alerter.evaluate import RuleState, compile_rule, evaluate
from alerter.evaluate.compiled import CompiledRule
from alerter.evaluate.cycle import RuleEngine
from alerter.model import Event
from alerter.source import MetricSource, StatementResult
from bench.influx_load import LoadReport, load
from integrations.influxdb import InfluxMetricSource
from integrations.influxdb.client import BATCH_SIZE
from integrations.influxdb.results import parse_query_body
from integrations.influxdb.server import InfluxServer

RULES_DIR = Path(__file__).resolve().parent / "rules"
TARGET_SERIES_PER_S = 300_000
"""Engine part (decode + parse + evaluate), one core."""
CYCLE_BUDGET_S = 10.0
"""A third of the rules' 30 s interval: 'well inside' leaves room for a slower influxd."""
INTERVAL_S = 30.0
END = 1_700_000_000
"""Last timestamp of the loaded data (fixed, so runs are comparable and no clock is read)."""


# -- instruments ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Exchange:
    """One ``/query`` request: perf_counter instants, decode CPU seconds and the decoded body."""

    sent: float
    first_byte: float = 0.0
    received: float = 0.0
    decode_cpu: float = 0.0
    body: bytes = b""


class _TimedResponse(httpx.Response):
    """A response that adds the CPU time of its gunzip (on construction) and JSON decode."""

    def __init__(self, exchange: Exchange, *args: Any, **kwargs: Any) -> None:
        self._exchange = exchange
        started = time.thread_time()
        super().__init__(*args, **kwargs)  # decodes Content-Encoding (influxd gzips its answers)
        exchange.decode_cpu += time.thread_time() - started
        exchange.body = self.content

    def json(self, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return super().json(**kwargs)
        finally:
            self._exchange.decode_cpu += time.thread_time() - started


class TimedTransport(httpx.AsyncBaseTransport):
    """Wraps the real transport: times each request until its raw answer is read, keeps bodies."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange = Exchange(sent=time.perf_counter())
        response = await self._inner.handle_async_request(request)
        exchange.first_byte = time.perf_counter()
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        exchange.received = time.perf_counter()
        self.exchanges.append(exchange)
        return _TimedResponse(
            exchange,
            response.status_code,
            headers=response.headers,
            content=raw,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class TimedSource:
    """A MetricSource that adds up wall and this thread's CPU time in ``query``; keeps the results.

    Nothing else runs on the event loop meanwhile, so that CPU is the client's own work: httpx,
    gunzip + JSON decode, parsing the answer into Series, pinning ``now()`` in the statements.
    """

    def __init__(self, inner: MetricSource) -> None:
        self._inner = inner
        self.wall = 0.0
        self.cpu = 0.0
        self.results: list[StatementResult] = []

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        wall, cpu = time.perf_counter(), time.thread_time()
        self.results = await self._inner.query(statements, now=now)
        self.cpu += time.thread_time() - cpu
        self.wall += time.perf_counter() - wall
        return self.results


class EvaluateMeter:
    """Drop-in for ``evaluate`` (RuleEngine's hook): adds up its wall and CPU time, series evaluated."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.series = 0

    def __call__(
        self, rule: CompiledRule, result: StatementResult, state: RuleState, now: float
    ) -> list[Event]:
        wall, cpu = time.perf_counter(), time.thread_time()
        events = evaluate(rule, result, state, now)
        self.cpu += time.thread_time() - cpu
        self.wall += time.perf_counter() - wall
        self.series += len(events)
        return events


class Tally:
    """The benchmark's event sink: counts events and the non-ok ones, keeps nothing."""

    def __init__(self) -> None:
        self.events = 0
        self.firing = 0

    def __call__(self, event: Event) -> None:
        self.events += 1
        if event.state != "ok":
            self.firing += 1


class GcMeter:
    """Adds up the CPU time of garbage collections, by generation (``gc.callbacks``), while entered.

    Collections are attributed to whatever code allocated when they triggered; with tens of
    thousands of live series states a full (generation 2) collection takes a large share.
    """

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self._started = 0.0

    @property
    def total(self) -> float:
        return sum(self.seconds)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            generation = info["generation"]
            self.seconds[generation] += time.thread_time() - self._started
            self.collections[generation] += 1

    def __enter__(self) -> GcMeter:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        gc.callbacks.remove(self._callback)


# -- figures --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CycleFigures:
    """One full cycle, seconds: ``wall``, ``influxd``, ``first_byte``, ``engine_wall`` wall time, the rest CPU.

    ``parse`` is the client's CPU besides decoding (answer -> Series, httpx, statement pinning).
    ``engine_wall`` is the wall time of the engine part (the client after the answer arrived, and
    evaluate); on a busy machine it exceeds the CPU time ``engine`` by the time spent waiting for a core.
    """

    now: float
    wall: float
    influxd: float
    first_byte: float
    engine_wall: float
    decode: float
    parse: float
    evaluate: float
    gc: float
    full_gcs: int
    series: int
    firing: int
    requests: int
    body_bytes: int

    @property
    def engine(self) -> float:
        """Seconds of the pure part: answer -> Series -> evaluate -> events."""
        return self.decode + self.parse + self.evaluate

    @property
    def other(self) -> float:
        """Wall time outside influxd and the engine part: bookkeeping, handing events to the sink."""
        return self.wall - self.influxd - self.engine_wall

    @property
    def core_share(self) -> float:
        """The engine part's CPU time over its wall time: 1.0 on an idle core."""
        return self.engine / self.engine_wall if self.engine_wall > 0 else 1.0

    @property
    def series_per_s(self) -> float:
        return self.series / self.engine if self.engine > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class Rate:
    """``series`` handled in ``cpu`` seconds of one core."""

    series: int
    cpu: float
    gc: float = 0.0
    """Of ``cpu``, seconds in garbage collections."""

    @property
    def per_second(self) -> float:
        return self.series / self.cpu if self.cpu > 0 else float("inf")

    @property
    def us_per_series(self) -> float:
        return 1e6 * self.cpu / self.series if self.series else 0.0


@dataclass(frozen=True, slots=True)
class EngineReplay:
    """The engine part alone, on captured answers: each stage and the whole, per core."""

    decode: Rate
    parse: Rate
    evaluate: Rate

    @property
    def engine(self) -> Rate:
        parts = (self.decode, self.parse, self.evaluate)
        return Rate(self.evaluate.series, sum(p.cpu for p in parts), sum(p.gc for p in parts))


@dataclass(frozen=True, slots=True)
class Check:
    """One figure against its target; ``met`` is the verdict, ``binding`` whether it sets the exit status."""

    name: str
    measured: float
    target: float
    higher_is_better: bool
    binding: bool = True

    @property
    def met(self) -> bool:
        return self.measured >= self.target if self.higher_is_better else self.measured <= self.target

    @property
    def verdict(self) -> str:
        if self.met:
            return "ok"
        return "MISSED" if self.binding else "below (not checked)"


@dataclass(slots=True)
class Report:
    """Everything one benchmark run measured."""

    hosts: int
    rules: list[str]
    load: LoadReport | None
    cycles: list[CycleFigures] = field(default_factory=list)
    series_by_rule: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    replay: EngineReplay | None = None
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """1/5/15-minute load averages when the cycles started (other processes share the CPUs)."""

    @property
    def steady(self) -> list[CycleFigures]:
        """The cycles after the first (which hashes every fingerprint and fills the caches)."""
        return self.cycles[1:] or self.cycles


def checks(
    report: Report, target_rate: float = TARGET_SERIES_PER_S, budget: float = CYCLE_BUDGET_S
) -> list[Check]:
    """The figures held against targets; the exit status follows the binding ones.

    Binding: the worst steady cycle within ``budget``, ``evaluate`` replayed at ``target_rate``
    or more, no rule failing. Shown against the same rate but not binding: the whole engine part
    replayed (JSON decode + parse + evaluate), which pure-Python JSON decoding alone keeps below it.
    """
    out = [Check("worst steady cycle, wall s", max(c.wall for c in report.steady), budget, False)]
    if report.replay is not None:
        out.append(
            Check("evaluate replayed, series-evals/s", report.replay.evaluate.per_second, target_rate, True)
        )
        out.append(
            Check(
                "decode+parse+evaluate replayed, /s",
                report.replay.engine.per_second,
                target_rate,
                True,
                False,
            )
        )
    out.append(Check("rules failing", len(report.errors), 0, False))
    return out


# -- running --------------------------------------------------------------------------------------


def cycle_times(cycles: int, end: float = END, interval: float = INTERVAL_S) -> list[float]:
    """Evaluation instants: ``cycles`` steps of ``interval`` ending at ``end``."""
    return [end - interval * (cycles - 1 - k) for k in range(cycles)]


def bench_rules(paths: Sequence[Path] = (RULES_DIR,)) -> list[LoadedRule]:
    """The benchmark's rule set; raises ConfigError if it does not load cleanly."""
    rule_set = load_rules(paths)
    rule_set.raise_for_problems()
    return list(rule_set.rules)


@dataclass(slots=True)
class Captured:
    """What the cycles leave: figures, each cycle's answers (bodies) and results, series and errors by rule."""

    figures: list[CycleFigures] = field(default_factory=list)
    bodies: list[list[bytes]] = field(default_factory=list)
    results: list[list[StatementResult]] = field(default_factory=list)
    series: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


async def run_cycles(
    url: str,
    database: str,
    rules: Sequence[LoadedRule],
    times: Sequence[float],
    *,
    batch_size: int = BATCH_SIZE,
    max_concurrency: int = 8,
) -> Captured:
    """Run one full cycle at each of ``times``; return the figures and what the replay needs."""
    transport = TimedTransport()
    influx = InfluxMetricSource(
        url,
        database,
        transport=transport,
        timeout=60.0,
        batch_size=batch_size,
        max_concurrency=max_concurrency,
    )
    source, meter, tally = TimedSource(influx), EvaluateMeter(), Tally()
    clock = FakeClock(times[0])
    engine = RuleEngine(source, tally, clock, name="eval-cycle-bench", evaluate=meter)
    engine.apply(rules)
    names = [r.name for r in rules]
    captured = Captured()
    async with influx:
        for now in times:
            clock.set(now)
            with GcMeter() as collector:
                before = _Snapshot.take(source, meter, tally, transport)
                started = time.perf_counter()
                await engine.run(names, now=now)
                wall = time.perf_counter() - started
            captured.figures.append(before.figures(now, wall, source, meter, tally, transport, collector))
            captured.bodies.append([e.body for e in transport.exchanges[before.exchanges :]])
            captured.results.append(source.results)
    captured.series = {name: len(r.series) for name, r in zip(names, source.results, strict=True)}
    captured.errors = {s.name: s.last_error for s in engine.statuses() if s.last_error is not None}
    return captured


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Counters before a cycle, so the cycle's figures are differences."""

    source_wall: float
    source_cpu: float
    evaluate_wall: float
    evaluate_cpu: float
    series: int
    firing: int
    exchanges: int

    @classmethod
    def take(
        cls, source: TimedSource, meter: EvaluateMeter, tally: Tally, transport: TimedTransport
    ) -> _Snapshot:
        return cls(
            source.wall,
            source.cpu,
            meter.wall,
            meter.cpu,
            meter.series,
            tally.firing,
            len(transport.exchanges),
        )

    def figures(
        self,
        now: float,
        wall: float,
        source: TimedSource,
        meter: EvaluateMeter,
        tally: Tally,
        transport: TimedTransport,
        collector: GcMeter,
    ) -> CycleFigures:
        exchanges = transport.exchanges[self.exchanges :]
        # Concurrent batches overlap: influxd time is the span from the first send to the last answer.
        influxd = max(e.received for e in exchanges) - min(e.sent for e in exchanges) if exchanges else 0.0
        decode = sum(e.decode_cpu for e in exchanges)
        return CycleFigures(
            now=now,
            wall=wall,
            influxd=influxd,
            first_byte=max((e.first_byte - e.sent for e in exchanges), default=0.0),
            # concurrent batches: the client's work overlaps the influxd span and counts there
            engine_wall=max(0.0, source.wall - self.source_wall - influxd) + meter.wall - self.evaluate_wall,
            decode=decode,
            parse=max(0.0, source.cpu - self.source_cpu - decode),
            evaluate=meter.cpu - self.evaluate_cpu,
            gc=collector.total,
            full_gcs=collector.collections[2],
            series=meter.series - self.series,
            firing=tally.firing - self.firing,
            requests=len(exchanges),
            body_bytes=sum(len(e.body) for e in exchanges),
        )


def replay_engine(
    rules: Sequence[LoadedRule], captured: Captured, times: Sequence[float], rounds: int
) -> EngineReplay:
    """Replay what the cycles captured ``rounds`` times on one core, no I/O: two loops.

    ``evaluate``: every cycle's StatementResults through the rules, states warmed by one untimed
    pass over the first cycle (as a running engine has them), time moving on 30 s per cycle.
    Decode and parse: every captured answer through ``json`` and the client's parser.
    """
    compiled = [compile_rule(r) for r in rules]
    states = [RuleState() for _ in rules]
    span = INTERVAL_S * len(times)
    _evaluate_all(compiled, states, captured.results[0], times[0] - span)
    watch = _Stopwatch()
    parsed = evaluated = 0
    with watch.collector:
        for r in range(rounds):
            for results, now in zip(captured.results, times, strict=True):
                with watch.section("evaluate"):
                    evaluated += _evaluate_all(compiled, states, results, now + span * r)
        for _ in range(rounds):
            for body in (body for cycle in captured.bodies for body in cycle):
                with watch.section("decode"):
                    decoded = json.loads(body)
                with watch.section("parse"):
                    answer = _parse(decoded)
                parsed += sum(len(res.series) for res in answer)
                del decoded, answer  # garbage once parsed, as in the client
    return EngineReplay(
        watch.rate("decode", parsed), watch.rate("parse", parsed), watch.rate("evaluate", evaluated)
    )


class _Stopwatch:
    """CPU seconds (``process_time``) and the garbage collections' share, per named section."""

    def __init__(self) -> None:
        self.collector = GcMeter()
        self._cpu: dict[str, float] = {}
        self._gc: dict[str, float] = {}

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        cpu, collected = time.process_time(), self.collector.total
        yield
        self._cpu[name] = self._cpu.get(name, 0.0) + time.process_time() - cpu
        self._gc[name] = self._gc.get(name, 0.0) + self.collector.total - collected

    def rate(self, name: str, series: int) -> Rate:
        return Rate(series, self._cpu.get(name, 0.0), self._gc.get(name, 0.0))


def _parse(decoded: Any) -> list[StatementResult]:
    """The client's parse of one decoded ``/query`` answer (as many results as it holds)."""
    count = len(decoded.get("results") or ()) if isinstance(decoded, dict) else 0
    answer = parse_query_body(decoded, count)
    if isinstance(answer, str) or any(a is None for a in answer):
        raise ValueError(f"replay: the captured answer is an error: {str(answer)[:200]}")
    return [a for a in answer if a is not None]


def _evaluate_all(
    compiled: Sequence[CompiledRule],
    states: Sequence[RuleState],
    results: Sequence[StatementResult],
    now: float,
) -> int:
    return sum(len(evaluate(c, res, s, now)) for c, s, res in zip(compiled, states, results, strict=True))


async def benchmark(
    url: str,
    database: str,
    *,
    hosts: int,
    minutes: int = 10,
    cycles: int = 5,
    rounds: int = 3,
    rules: Sequence[LoadedRule] | None = None,
    load_data: bool = True,
    batch_size: int = BATCH_SIZE,
    max_concurrency: int = 8,
) -> Report:
    """Load the fleet (unless ``load_data`` is False), run the cycles, replay the engine part.

    Raises ValueError when the cycles would reach back before the first half of the loaded
    window, SourceUnavailable when influxd cannot be reached.
    """
    if INTERVAL_S * (cycles - 1) > minutes * 60 / 2:
        raise ValueError(
            f"{cycles} cycles 30 s apart need more than {minutes} minutes of data (at most half)"
        )
    rules = list(rules) if rules is not None else bench_rules()
    loaded = await load(url, database, hosts=hosts, minutes=minutes, end=END) if load_data else None
    times = cycle_times(cycles)
    load_average = os.getloadavg()
    captured = await run_cycles(
        url, database, rules, times, batch_size=batch_size, max_concurrency=max_concurrency
    )
    report = Report(
        hosts,
        [r.name for r in rules],
        loaded,
        captured.figures,
        captured.series,
        captured.errors,
        load_average=load_average,
    )
    if rounds > 0 and not captured.errors:
        report.replay = replay_engine(rules, captured, times, rounds)
    return report


# -- output ---------------------------------------------------------------------------------------


def format_report(report: Report, checked: Sequence[Check], *, url: str, batch_size: int) -> str:
    """The printed report: context, load, cycles, engine replay, per-rule series, verdicts."""
    lines = [_context(report, url, batch_size)]
    if report.load is not None:
        ld = report.load
        lines.append(
            f"load: {ld.lines:,} lines in {ld.batches} batches in {ld.seconds:.1f} s "
            f"({ld.lines_per_second:,.0f} lines/s), refused {ld.failed}"
        )
    lines += ["", *_cycle_table(report)]
    if report.replay is not None:
        lines += ["", *_replay_table(report.replay)]
    else:
        lines += [
            "",
            "engine replay skipped (--rounds 0, or a rule failed)",
        ]
    lines += ["", "series per rule (last cycle):"]
    lines += [f"  {name:<28} {count:>7,}" for name, count in report.series_by_rule.items()]
    lines += [f"  FAILED {name}: {error}" for name, error in report.errors.items()]
    lines += ["", f"{'figure':<38} {'measured':>12}    {'target':>10}  verdict"]
    for c in checked:
        sign = ">=" if c.higher_is_better else "<="
        lines.append(f"{c.name:<38} {c.measured:>12,.2f} {sign} {c.target:>10,.1f}  {c.verdict}")
    return "\n".join(lines)


def _context(report: Report, url: str, batch_size: int) -> str:
    series = report.cycles[-1].series if report.cycles else 0
    return (
        f"eval_cycle: {len(report.rules)} rules x {report.hosts:,} hosts = {series:,} series per cycle; "
        f"influxd {url}; batch size {batch_size}\n"
        f"machine: {os.cpu_count()} CPUs; load average (1/5/15 min) {_loads(report.load_average)} when the "
        f"cycles started, {_loads(os.getloadavg())} at the end; python {sys.version.split()[0]}"
    )


def _loads(averages: Sequence[float]) -> str:
    return " ".join(f"{a:.2f}" for a in averages)


def _cycle_table(report: Report) -> list[str]:
    head = (
        f"{'cycle':<7}{'wall':>7}{'influxd':>8}{'1st B':>6}{'engine':>7}{'other':>6} |{'decode':>7}{'parse':>6}"
        f"{'eval':>6}{'engine':>7}{'core':>5}{'series/s':>9}{'gc':>6}{'full':>5} |{'series':>7}{'firing':>7}{'MB':>5}"
    )
    rows = ["full cycles: wall time (s) | CPU time (s) | counts", head]
    for i, c in enumerate(report.cycles, 1):
        rows.append(_cycle_row(f"{i}{'*' if i == 1 else ''}", c))
    rows.append(_cycle_row("mean", _mean(report.steady)))
    rows += [
        "  * first cycle: fingerprints hashed, caches filled (mean: of the later cycles).",
        "  wall: RuleEngine.run; influxd: request sent -> answer read (query, JSON, gzip, loopback; 1st B:",
        "  first byte); engine: the client after the answer arrived + evaluate; other: the rest (sink,",
        "  bookkeeping). CPU: decode = gunzip + json; parse = answer -> Series + httpx; eval = evaluate;",
        "  core = engine CPU / engine wall (below 1: waiting for a core; blank with concurrent requests,",
        "  whose client work overlaps influxd); series/s = series / engine CPU;",
        "  gc = garbage collection inside the cycle (full: generation-2 runs).",
    ]
    return rows


def _cycle_row(label: str, c: CycleFigures) -> str:
    core = f"{c.core_share:.2f}" if c.requests == 1 else ""
    return (
        f"{label:<7}{c.wall:>7.2f}{c.influxd:>8.2f}{c.first_byte:>6.2f}{c.engine_wall:>7.2f}{c.other:>6.2f} |"
        f"{c.decode:>7.2f}{c.parse:>6.2f}{c.evaluate:>6.2f}{c.engine:>7.2f}{core:>5}"
        f"{c.series_per_s:>9,.0f}{c.gc:>6.2f}{c.full_gcs:>5} |{c.series:>7,}{c.firing:>7,}{c.body_bytes / 1e6:>5.1f}"
    )


def _mean(cycles: Sequence[CycleFigures]) -> CycleFigures:
    """The field-wise mean (linear, so the derived columns of the mean row stay consistent)."""

    def mean(name: str) -> Any:
        values = [getattr(c, name) for c in cycles]
        middle = statistics.fmean(values)
        return round(middle) if isinstance(values[0], int) else middle

    return CycleFigures(**{name: mean(name) for name in CycleFigures.__dataclass_fields__})


def _replay_table(replay: EngineReplay) -> list[str]:
    rows = ["engine alone, one core, captured answers replayed (CPU time; gc = its garbage collections):"]
    for name, rate in (
        ("JSON decode", replay.decode),
        ("parse -> Series", replay.parse),
        ("evaluate -> events", replay.evaluate),
        ("all three", replay.engine),
    ):
        gc_us = 1e6 * rate.gc / rate.series if rate.series else 0.0
        rows.append(
            f"  {name:<20} {rate.us_per_series:>7.2f} us/series (gc {gc_us:>5.2f}) {rate.per_second:>10,.0f} series/s"
        )
    return rows


# -- command --------------------------------------------------------------------------------------


@click.command("eval-cycle")
@click.option("--influx", "url", help="influxd base URL; omitted: a private influxd in a temp dir")
@click.option("--database", default="eval_cycle_bench", show_default=True)
@click.option("--hosts", default=4300, show_default=True, type=click.IntRange(min=1))
@click.option("--minutes", default=10, show_default=True, type=click.IntRange(min=2))
@click.option("--cycles", default=5, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--rounds", default=3, show_default=True, type=click.IntRange(min=0), help="engine replay rounds"
)
@click.option("--batch-size", default=BATCH_SIZE, show_default=True, type=click.IntRange(min=1))
@click.option("--max-concurrency", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--no-load", is_flag=True, help="use the data already in --database (loaded by an earlier run)")
@click.option("--rules", "rules_dir", type=click.Path(exists=True, path_type=Path), default=RULES_DIR)
@click.option("--check/--no-check", default=True, show_default=True, help="exit 1 if a target is missed")
def main(
    url: str | None,
    database: str,
    hosts: int,
    minutes: int,
    cycles: int,
    rounds: int,
    batch_size: int,
    max_concurrency: int,
    no_load: bool,
    rules_dir: Path,
    check: bool,
) -> None:
    """Time full evaluation cycles (influxd vs engine) and the engine's series-evaluations/s."""
    rules = bench_rules([rules_dir])
    if INTERVAL_S * (cycles - 1) > minutes * 60 / 2:
        raise click.BadParameter(
            f"at most {int(minutes * 60 / 2 / INTERVAL_S) + 1} cycles", param_hint="--cycles"
        )

    def run(target: str) -> Report:
        return anyio.run(
            lambda: benchmark(
                target,
                database,
                hosts=hosts,
                minutes=minutes,
                cycles=cycles,
                rounds=rounds,
                rules=rules,
                load_data=not no_load,
                batch_size=batch_size,
                max_concurrency=max_concurrency,
            )
        )

    if url is not None:
        report, where = run(url), url
    else:
        with tempfile.TemporaryDirectory(prefix="eval-cycle-") as tmp, InfluxServer(Path(tmp)) as server:
            report, where = run(server.url), f"{server.url} (private)"
    checked = checks(report)
    click.echo(format_report(report, checked, url=where, batch_size=batch_size))
    if check and not all(c.met for c in checked if c.binding):
        sys.exit(1)


if __name__ == "__main__":
    main()

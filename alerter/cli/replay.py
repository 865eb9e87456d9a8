"""``alerter replay``: backtest rules and policy on past data, with the live engine's own code.

Thin command over :mod:`alerter.replay`. Two inputs::

    alerter replay --rules rules/ --start now-7d --end now --influx http://db:8086 --db telegraf \\
        --out pages.jsonl --incidents incidents.jsonl
    alerter replay --events export.jsonl --out pages.jsonl        # an exported alert/event history
    alerter replay --demo --out -                                 # the bundled demo data set

Times are ISO-8601 with an offset (``2026-01-05T08:00:00Z``), relative to now (``now-2h``) or
POSIX seconds. The correlation policy, topology, routing (or on-call rotation) and maintenance
windows default to ``correlation.yaml``, ``topology.yaml``, ``routing.yaml`` (or ``oncall.yaml``)
and ``maintenance.yaml`` beside the rules, as live mode reads them; ``--maintenance FILE`` applies
a file of past windows instead. Each page's target is the primary its route leads to. Incidents go to a
temporary SQLite database unless ``--db-url`` names one (it must hold no incidents). A progress
bar is drawn on stderr when it is a terminal. Exit status 1 when the input cannot be used.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import click

from alerter.app import influx_source
from alerter.clock import SystemClock
from alerter.config.correlation import CorrelationPolicy, load_correlation
from alerter.config.durations import parse_duration
from alerter.config.load import load_rules
from alerter.config.maintenance import MaintenanceWindow, load_maintenance
from alerter.config.oncall import load_oncall
from alerter.config.routing import load_routing_config
from alerter.config.rules import LoadedRule
from alerter.config.settings import Settings, load_settings
from alerter.config.topology import Topology, load_topology
from alerter.demo.dataset import generate
from alerter.errors import ConfigError, Problem
from alerter.evaluate.timing import Timing
from alerter.incidents.store import IncidentStore
from alerter.replay import (
    Progress,
    ReplaySetup,
    ReplaySummary,
    Target,
    oncall_target,
    read_events,
    replay_events,
    replay_rules,
    routing_target,
    stored_incidents,
    temporary_store,
    write_incidents,
    write_pages,
)
from alerter.route.maintenance import MaintenanceBook
from alerter.source import MetricSource
from alerter.source.static import StaticSource

_RELATIVE = re.compile(r"now\s*(?:([+-])\s*(.+))?")
TIME_FORMS = "ISO-8601 with an offset like 2026-01-05T08:00:00Z, now-2h, or POSIX seconds"


def parse_time(text: str, now: float) -> float:
    """``2026-01-05T09:00:00+01:00`` / ``now-2h`` / ``1767600000`` -> POSIX seconds.

    Raises ValueError naming the text and the accepted forms; a time without an offset is refused
    (a backtest over the wrong hours looks plausible and is wrong).
    """
    s = text.strip()
    if m := _RELATIVE.fullmatch(s):
        sign, amount = m.groups()
        if sign is None:
            return now
        try:
            delta = parse_duration(amount)
        except ValueError as exc:
            raise ValueError(f"time {text!r}: {exc}") from None
        return now - delta if sign == "-" else now + delta
    try:
        return float(s)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"time {text!r} is not a time (expected {TIME_FORMS})") from None
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset (write e.g. {s}Z or {s}+01:00)")
    return moment.timestamp()


@click.command("replay")
@click.option(
    "--rules",
    "rules_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Rule files or directories (default: the config's, i.e. rules/).",
)
@click.option(
    "--events",
    "events_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Replay an exported event history (JSON lines) instead of evaluating rules.",
)
@click.option("--demo", is_flag=True, help="Evaluate the rules over the bundled demo data set (no InfluxDB).")
@click.option("--start", help=f"Start of the window ({TIME_FORMS}).")
@click.option("--end", help="End of the window (default: now; with --events/--demo: the data's end).")
@click.option("--influx", "influx_url", help="InfluxDB URL (default: the config's).")
@click.option("--db", "influx_db", help="InfluxDB database (default: the config's).")
@click.option(
    "--out",
    "pages_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every page as a JSON line here ('-': stdout).",
)
@click.option(
    "--incidents",
    "incidents_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every incident with its member alerts as a JSON line here ('-': stdout).",
)
@click.option(
    "--correlation",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Correlation policy (default: correlation.yaml beside the rules).",
)
@click.option(
    "--topology",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Topology (default: topology.yaml beside the rules).",
)
@click.option(
    "--routing",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Routing policy naming each page's target (default: routing.yaml beside the rules).",
)
@click.option(
    "--oncall",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Without routing: the on-call rotation whose primary gets every page (default: oncall.yaml).",
)
@click.option(
    "--maintenance",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of (past) maintenance windows to apply; repeatable (default: maintenance.yaml beside the rules).",
)
@click.option(
    "--db-url", help="Incident store URL (default: a temporary SQLite file); must hold no incidents."
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="alerter.yaml: engine name and jitter (the live schedule), InfluxDB settings.",
)
@click.option(
    "--tick",
    default="30s",
    show_default=True,
    help="With --events: flush (auto-resolve) this often between events.",
)
def replay(
    rules_paths: tuple[Path, ...],
    events_file: Path | None,
    demo: bool,
    start: str | None,
    end: str | None,
    influx_url: str | None,
    influx_db: str | None,
    pages_out: Path | None,
    incidents_out: Path | None,
    correlation: Path | None,
    topology: Path | None,
    routing: Path | None,
    oncall: Path | None,
    maintenance: tuple[Path, ...],
    db_url: str | None,
    config_file: Path | None,
    tick: str,
) -> None:
    """Run the engine over past data on a virtual clock; print a summary, write pages and incidents."""
    if events_file is not None and demo:
        raise click.UsageError("--events and --demo are two different inputs: give one")
    settings = _settings(config_file, rules_paths, influx_url, influx_db)
    now = SystemClock().now()
    beside = _config_dir(settings.rules)
    files = _PolicyFiles(
        correlation or beside / "correlation.yaml",
        topology or beside / "topology.yaml",
        routing or beside / "routing.yaml",
        oncall or beside / "oncall.yaml",
        maintenance or (beside / "maintenance.yaml",),
    )
    with ExitStack() as stack:
        store = stack.enter_context(_store(db_url))
        setup = _setup(store, settings, files)
        outputs = [
            stack.enter_context(_open(p)) if p is not None else None for p in (pages_out, incidents_out)
        ]
        if events_file is not None:
            summary = _replay_events(events_file, setup, start, end, now, tick)
        else:
            summary = asyncio.run(_replay_rules(settings, setup, demo, start, end, now))
        click.echo(summary.format(), err=outputs[0] is sys.stdout or outputs[1] is sys.stdout)
        if outputs[0] is not None:
            write_pages(outputs[0], summary.pages)
        if outputs[1] is not None:
            write_incidents(outputs[1], store)


def _settings(config_file: Path | None, rules: tuple[Path, ...], url: str | None, db: str | None) -> Settings:
    try:
        settings = load_settings(config_file)
    except ConfigError as exc:
        raise click.ClickException(f"config does not load:\n{exc}") from exc
    influx = settings.influx.model_copy(update={k: v for k, v in (("url", url), ("database", db)) if v})
    update: dict[str, object] = {"influx": influx}
    if rules:
        update["rules"] = tuple(str(p) for p in rules)
    return settings.model_copy(update=update)


def _config_dir(rules: tuple[str, ...]) -> Path:
    first = Path(rules[0]) if rules else Path("rules")
    return first if first.is_dir() else first.parent


@dataclass(frozen=True, slots=True)
class _PolicyFiles:
    """The policy files a replay reads; a default that does not exist is simply not used."""

    correlation: Path
    topology: Path
    routing: Path
    oncall: Path
    maintenance: tuple[Path, ...]


def _setup(store: IncidentStore, settings: Settings, files: _PolicyFiles) -> ReplaySetup:
    problems: list[Problem] = []
    policy: CorrelationPolicy | None = CorrelationPolicy()
    if files.correlation.exists():
        policy, found = load_correlation(files.correlation)
        problems += found
    else:
        click.echo(
            f"{files.correlation}: not found; default policy (one incident per alert, nothing pages)",
            err=True,
        )
    topology: Topology | None = None
    if files.topology.exists():
        topology, found = load_topology(files.topology)
        problems += found
    target, found = _target(files)
    windows: list[MaintenanceWindow] = []
    for path in (p for p in files.maintenance if p.exists()):
        more, found_here = load_maintenance(path)
        windows += more
        found += found_here
    problems += found
    if problems or policy is None:
        raise click.ClickException(
            "policy files do not load:\n" + "\n".join(str(p) for p in sorted(problems))
        )
    return ReplaySetup(
        store,
        policy,
        topology,
        suppressor=MaintenanceBook(windows).reason if windows else None,
        target=target,
        timing=Timing(settings.jitter, seed=settings.engine_name),
        engine_name=settings.engine_name,
        clock=SystemClock(),
    )


def _target(files: _PolicyFiles) -> tuple[Target | None, list[Problem]]:
    """Routing when there is a routing file, else every page to one rotation's primary, else nobody."""
    if files.routing.exists():
        config, problems = load_routing_config(files.routing)
        return (None if config is None else routing_target(config)), problems
    if files.oncall.exists():
        spec, problems = load_oncall(files.oncall)
        return (None if spec is None else oncall_target(spec)), problems
    return None, []


@contextmanager
def _store(url: str | None) -> Iterator[IncidentStore]:
    if url is None:
        with temporary_store() as store:
            yield store
        return
    store = IncidentStore(url)
    try:
        held = stored_incidents(store)
        if held:
            raise click.ClickException(
                f"incident store {store.engine.url.render_as_string(hide_password=True)} already holds {held} incident(s);"
                " a replay needs an empty one (or omit --db-url for a temporary one)"
            )
        yield store
    finally:
        store.close()


@contextmanager
def _open(path: Path) -> Iterator[IO[str]]:
    if str(path) == "-":
        yield sys.stdout
        return
    try:
        with path.open("w", encoding="utf-8") as out:
            yield out
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot write: {exc.strerror}") from exc


def _times(
    start: str | None, end: str | None, now: float, default: tuple[float, float] | None
) -> tuple[float, float]:
    try:
        lo = parse_time(start, now) if start is not None else None
        hi = parse_time(end, now) if end is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if default is not None:
        lo, hi = (default[0] if lo is None else lo), (default[1] if hi is None else hi)
    if lo is None:
        raise click.UsageError("--start is required when evaluating rules over InfluxDB")
    hi = now if hi is None else hi
    if hi < lo:
        raise click.BadParameter(f"--end ({end}) is before --start ({start})")
    return lo, hi


async def _replay_rules(
    settings: Settings, setup: ReplaySetup, demo: bool, start: str | None, end: str | None, now: float
) -> ReplaySummary:
    rules = load_rules(settings.rules)
    if rules.problems:
        raise click.ClickException("rules do not load:\n" + "\n".join(str(p) for p in rules.problems))
    if not rules.rules:
        raise click.ClickException(f"no rules in {', '.join(settings.rules)}")
    if demo:
        dataset = generate()
        lo, hi = _times(start, end, now, (dataset.start, dataset.end))
        return await _run(rules.rules, StaticSource(dataset.points), setup, lo, hi)
    lo, hi = _times(start, end, now, None)
    influx = influx_source(settings.influx)
    try:
        return await _run(rules.rules, influx, setup, lo, hi)
    finally:
        await influx.aclose()


async def _run(
    rules: tuple[LoadedRule, ...], source: MetricSource, setup: ReplaySetup, start: float, end: float
) -> ReplaySummary:
    try:
        with progress_bar(start, end) as progress:
            return await replay_rules(rules, source, setup, start, end, progress=progress)
    except ConfigError as exc:
        raise click.ClickException(f"rules do not compile:\n{exc}") from exc


def _replay_events(
    path: Path, setup: ReplaySetup, start: str | None, end: str | None, now: float, tick: str
) -> ReplaySummary:
    try:
        step = parse_duration(tick)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tick") from exc
    with path.open(encoding="utf-8", errors="replace") as lines:
        events, problems = read_events(lines, str(path))
    for problem in problems:
        click.echo(f"{problem} (line skipped)", err=True)
    if not events:
        raise click.ClickException(f"{path}: no usable events")
    times = [float(e.time or 0.0) for e in events]
    lo, hi = _times(start, end, now, (min(times), max(times)))
    with progress_bar(lo, hi) as progress:
        summary = replay_events(events, setup, lo, hi, tick=step, progress=progress)
    if problems:
        click.echo(f"{path}: {len(problems)} bad lines skipped", err=True)
    return summary


@contextmanager
def progress_bar(start: float, end: float) -> Iterator[Progress | None]:
    """A progress bar over simulated seconds, on stderr when it is a terminal (else nothing)."""
    if not sys.stderr.isatty():
        yield None
        return
    shown = 0
    with click.progressbar(length=max(1, int(end - start)), label="replaying", file=sys.stderr) as bar:

        def tell(t: float) -> None:
            nonlocal shown
            done = int(t - start)
            bar.update(done - shown)
            shown = done

        yield tell


__all__ = ["parse_time", "progress_bar", "replay"]

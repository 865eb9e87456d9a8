"""``alerter demo``: the main job on embedded defaults, for a newcomer's first minute.

Starts a private influxd on 127.0.0.1 with its data under ``var/``, loads the bundled demo data set
(a small PaaS with real problems in it) so that its timeline straddles *now*, warms the engine up
over the past part (printing what fired, with the time it fired), then runs live on ``rules/``:
more of the injected problems unfold in real time over the next hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import time
from pathlib import Path

import click

from alerter.app import influx_source, printing_sink, warm_then_run
from alerter.clock import SystemClock
from alerter.config.settings import InfluxSettings, Settings
from alerter.demo.dataset import generate
from alerter.evaluate.sink import CountingSink
from integrations.influxdb.server import InfluxServer

DEMO_DATABASE = "alerter_demo"
WRITE_BATCH = 5000


@click.command("demo")
@click.option("--var", "var_dir", type=click.Path(path_type=Path), default=Path("var"), show_default=True,
              help="Where influxd keeps its data.")
@click.option("--port", type=int, default=None, help="influxd HTTP port (default: a free one).")
@click.option("--past", type=click.FloatRange(10, 110), default=70.0, show_default=True,
              help="Minutes of the 2-hour demo timeline that lie in the past at start.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds (default: Ctrl-C).")
@click.option("--rules", "rules_dir", type=click.Path(exists=True, path_type=Path), default=Path("rules"),
              show_default=True)
def demo(var_dir: Path, port: int | None, past: float, duration: float | None, rules_dir: Path) -> None:
    """Run the engine on the demo data set with a private influxd (Ctrl-C stops both)."""
    if shutil.which("influxd") is None:
        raise click.ClickException("influxd not found: run scripts/demo.sh, which installs Debian's influxdb")
    data_dir = var_dir / "influxdb"
    data_dir.mkdir(parents=True, exist_ok=True)
    with InfluxServer(data_dir, port=port) as server:
        click.echo(f"influxd on {server.url} (data in {data_dir}, log {server.log_path})", err=True)
        settings = Settings(rules=(str(rules_dir),), influx=InfluxSettings(url=server.url, database=DEMO_DATABASE))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_demo(settings, past * 60.0, duration))


async def _demo(settings: Settings, past: float, duration: float | None) -> None:
    now = SystemClock().now()
    start = float(int(now - past) // 10 * 10)
    dataset = generate(start=start)
    source = influx_source(settings.influx)
    try:
        await source.create_database(DEMO_DATABASE)
        t0 = time.perf_counter()
        lines = list(dataset.line_protocol())
        for i in range(0, len(lines), WRITE_BATCH):
            await source.write(lines[i : i + WRITE_BATCH], precision="s")
        click.echo(f"loaded {len(lines):,} demo points ({len(dataset.hosts)} hosts, {len(dataset.problems)} injected"
                   f" problems) in {time.perf_counter() - t0:.1f}s", err=True)
        _describe_timeline(dataset, now)
        counts = CountingSink()
        sinks = printing_sink(sys.stdout, counts)
        click.echo(f"--- warm-up: evaluating the last {past / 60:.0f} min of data on virtual time ---", err=True)
        t0 = time.perf_counter()

        def live() -> None:
            click.echo(f"--- warm-up done in {time.perf_counter() - t0:.1f}s ({counts.total:,} events);"
                       " live from now on, Ctrl-C to stop ---", err=True)

        await warm_then_run(settings, source, sinks, warm_from=start, duration=duration, on_live=live)
    finally:
        await source.aclose()


def _describe_timeline(dataset, now: float) -> None:  # type: ignore[no-untyped-def]
    click.echo("injected problems (minutes from now):", err=True)
    for p in dataset.problems:
        when = f"{(p.start - now) / 60:+6.0f} .. {(p.end - now) / 60:+4.0f}"
        click.echo(f"  {when}  {p.env:4s} {p.name}: {p.description}", err=True)

"""``alerter demo``: the main job on embedded defaults, for a newcomer's first minute.

Starts a private influxd on 127.0.0.1 with its data under ``var/``, loads the bundled demo data set
(a small PaaS with real problems in it) so that its timeline straddles *now*, warms the engine up
over the past part (printing what fired, with the time it fired), then runs live on ``rules/``:
more of the injected problems unfold in real time over the next hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import socket
import sys
import time
from pathlib import Path

import click
from pydantic import SecretStr

from alerter.app import (
    Policies,
    WebRunner,
    influx_source,
    pagers_from,
    printing_sink,
    warm_then_run,
    web_runner,
)
from alerter.clock import SystemClock
from alerter.config.settings import InfluxSettings, Settings
from alerter.config.web import WebRole, WebSettings, WebUser, hash_password
from alerter.demo.dataset import generate
from alerter.evaluate.sink import CountingSink
from alerter.notify.console import ConsolePager
from alerter.notify.pager import Pager
from integrations.influxdb.server import InfluxServer

DEMO_DATABASE = "alerter_demo"
WRITE_BATCH = 5000


@click.command("demo")
@click.option(
    "--var",
    "var_dir",
    type=click.Path(path_type=Path),
    default=Path("var"),
    show_default=True,
    help="Where influxd keeps its data.",
)
@click.option("--port", type=int, default=None, help="influxd HTTP port (default: a free one).")
@click.option(
    "--past",
    type=click.FloatRange(10, 110),
    default=75.0,
    show_default=True,
    help="Minutes of the 2-hour demo timeline that lie in the past at start.",
)
@click.option("--duration", type=float, default=None, help="Stop after this many seconds (default: Ctrl-C).")
@click.option(
    "--web-port",
    type=int,
    default=8080,
    show_default=True,
    help="Port of the web UI on 127.0.0.1 (0: none; a busy port falls back to a free one).",
)
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(exists=True, path_type=Path),
    default=Path("rules"),
    show_default=True,
)
def demo(
    var_dir: Path, port: int | None, past: float, duration: float | None, web_port: int, rules_dir: Path
) -> None:
    """Run the engine on the demo data set with a private influxd (Ctrl-C stops both)."""
    if shutil.which("influxd") is None:
        raise click.ClickException("influxd not found: run scripts/demo.sh, which installs Debian's influxdb")
    data_dir = var_dir / "influxdb"
    data_dir.mkdir(parents=True, exist_ok=True)
    with InfluxServer(data_dir, port=port) as server:
        click.echo(f"influxd on {server.url} (data in {data_dir}, log {server.log_path})", err=True)
        database = var_dir / "demo.db"
        for stale in var_dir.glob("demo.db*"):  # the timeline moves with the clock: start clean
            stale.unlink()
        settings = Settings(
            rules=(str(rules_dir),),
            config_dir=str(rules_dir),
            influx=InfluxSettings(url=server.url, database=DEMO_DATABASE),
            database_url=f"sqlite:///{database}",
            selfmetrics_database="alerter_self",
            web=demo_web_settings(password := secrets.token_urlsafe(9)),
        )
        web = None
        if web_port:
            web_port = web_port if _free(web_port) else _any_free_port()
            web = web_runner("127.0.0.1", web_port)
            settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{web_port}"})
            click.echo(
                f"web UI: http://127.0.0.1:{web_port}/  (log in as 'responder' or 'viewer',"
                f" password {password})",
                err=True,
            )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_demo(settings, past * 60.0, duration, web))


def demo_web_settings(password: str) -> WebSettings:
    """Two demo users with one random password; plain-HTTP cookies (the UI is on loopback)."""
    hashed = SecretStr(hash_password(password))
    return WebSettings(
        users=(
            WebUser(name="responder", role=WebRole.RESPONDER, password_hash=hashed),
            WebUser(name="viewer", role=WebRole.VIEWER, password_hash=hashed),
        ),
        cookie_secure=False,
    )


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _demo(settings: Settings, past: float, duration: float | None, web: WebRunner | None) -> None:
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
        click.echo(
            f"loaded {len(lines):,} demo points ({len(dataset.hosts)} hosts, {len(dataset.problems)} injected"
            f" problems) in {time.perf_counter() - t0:.1f}s",
            err=True,
        )
        _describe_timeline(dataset, now)
        counts = CountingSink()
        sinks = printing_sink(sys.stdout, counts)
        click.echo(
            f"--- warm-up: evaluating the last {past / 60:.0f} min of data on virtual time ---", err=True
        )
        t0 = time.perf_counter()

        def live(_engine: object) -> None:
            click.echo(
                f"--- warm-up done in {time.perf_counter() - t0:.1f}s ({counts.total:,} events);"
                " live from now on: state changes, and PAGE lines for what pages (Ctrl-C to stop) ---",
                err=True,
            )

        def pagers(policies: Policies) -> dict[str, Pager]:
            return pagers_from(settings, policies.routing, console=ConsolePager(SystemClock(), sys.stdout))

        await warm_then_run(
            settings, source, sinks, pagers, warm_from=start, duration=duration, on_live=live, web=web
        )
    finally:
        await source.aclose()


def _describe_timeline(dataset, now: float) -> None:  # type: ignore[no-untyped-def]
    click.echo("injected problems (minutes from now):", err=True)
    for p in dataset.problems:
        when = f"{(p.start - now) / 60:+6.0f} .. {(p.end - now) / 60:+4.0f}"
        click.echo(f"  {when}  {p.env:4s} {p.name}: {p.description}", err=True)

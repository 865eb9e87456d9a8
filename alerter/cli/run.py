"""``alerter run``: the engine, live, on the configured InfluxDB and rules."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

import click

from alerter.app import influx_source, printing_sink, warm_then_run
from alerter.clock import SystemClock
from alerter.config.durations import parse_duration
from alerter.config.settings import load_settings
from alerter.errors import ConfigError


@click.command("run")
@click.option("--config", "config_file", type=click.Path(exists=True, path_type=Path), default=None,
              help="alerter.yaml (default: embedded defaults + ALERTER_* environment).")
@click.option("--rules", "rules_paths", multiple=True, help="Rule files or directories (overrides the config).")
@click.option("--warm-up", "warm", default="0s", show_default=True,
              help="Evaluate this much history on virtual time first, so for: and no-data state is right.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds (default: run until killed).")
def run(config_file: Path | None, rules_paths: tuple[str, ...], warm: str, duration: float | None) -> None:
    """Evaluate the rules on schedule and print what fires."""
    try:
        settings = load_settings(config_file)
        if rules_paths:
            settings = settings.model_copy(update={"rules": rules_paths})
        warm_seconds = parse_duration(warm)
    except (ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(_run(settings, warm_seconds, duration))
        except ConfigError as exc:
            raise click.ClickException(f"rules do not load:\n{exc}") from exc


async def _run(settings, warm_seconds: float, duration: float | None) -> None:  # type: ignore[no-untyped-def]
    source = influx_source(settings.influx)
    sinks = printing_sink(sys.stdout)
    try:
        warm_from = SystemClock().now() - warm_seconds if warm_seconds > 0 else None
        await warm_then_run(settings, source, sinks, warm_from=warm_from, duration=duration)
    finally:
        await source.aclose()

"""``alerter run``: the engine, live, on the configured InfluxDB and rules."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

import click

from alerter.app import influx_source, pagers_from, printing_sink, warm_then_run, web_runner
from alerter.clock import SystemClock
from alerter.config.durations import parse_duration
from alerter.config.settings import Settings, load_settings
from alerter.errors import ConfigError


@click.command("run")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="alerter.yaml (default: embedded defaults + ALERTER_* environment).",
)
@click.option(
    "--rules", "rules_paths", multiple=True, help="Rule files or directories (overrides the config)."
)
@click.option(
    "--config-dir", default=None, help="Where correlation/topology/routing/oncall/maintenance files are."
)
@click.option(
    "--warm-up",
    "warm",
    default="0s",
    show_default=True,
    help="Evaluate this much history on virtual time first, so for: and no-data state is right.",
)
@click.option(
    "--duration", type=float, default=None, help="Stop after this many seconds (default: run until killed)."
)
def run(
    config_file: Path | None,
    rules_paths: tuple[str, ...],
    config_dir: str | None,
    warm: str,
    duration: float | None,
) -> None:
    """Evaluate the rules on schedule, correlate into incidents, page the on-call person."""
    try:
        settings = load_settings(config_file)
        if rules_paths:
            settings = settings.model_copy(update={"rules": rules_paths})
        if config_dir:
            settings = settings.model_copy(update={"config_dir": config_dir})
        warm_seconds = parse_duration(warm)
    except (ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(_run(settings, warm_seconds, duration))
        except ConfigError as exc:
            raise click.ClickException(f"rules do not load:\n{exc}") from exc


async def _run(settings: Settings, warm_seconds: float, duration: float | None) -> None:
    source = influx_source(settings.influx)
    sinks = printing_sink(sys.stdout)
    try:
        warm_from = SystemClock().now() - warm_seconds if warm_seconds > 0 else None
        await warm_then_run(
            settings,
            source,
            sinks,
            lambda policies: pagers_from(settings, policies.routing),
            warm_from=warm_from,
            duration=duration,
            web=web_runner(settings.web_host, settings.web_port) if settings.web_port else None,
        )
    finally:
        await source.aclose()

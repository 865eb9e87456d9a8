"""Engine settings: where the metrics, rules and incident database are. Validated at the edge.

Embedded defaults run with nothing configured (a local influxd, ``rules/``, SQLite under
``var/``); a YAML file (``--config``) and ``ALERTER_*`` environment variables override them, in
that order. Secrets are ``SecretStr``: never logged, never rendered.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, SecretStr

from alerter.config.durations import Duration
from alerter.config.rules import StrictModel
from alerter.config.web import WebSettings
from alerter.config.yamlsource import load_yaml, validate
from alerter.errors import ConfigError


class InfluxSettings(StrictModel):
    url: str = "http://127.0.0.1:8086"
    database: str = "alerter"
    username: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = Field(default=None, description="InfluxDB 2.x/3.x token (v1 compatibility API)")
    timeout: Duration = 10.0
    max_concurrency: int = Field(default=8, ge=1)


class PagerDutySettings(StrictModel):
    """The Events API v2 integration of the PagerDuty service alerter pages (see README)."""

    routing_key: SecretStr | None = None
    events_url: str = "https://events.pagerduty.com"
    webhook_secrets: tuple[SecretStr, ...] = Field(default=(), description="webhooks v3 signing secrets")


class SmtpSettings(StrictModel):
    host: str | None = None
    port: int = 25
    sender: str = "alerter@localhost"
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False


class Settings(StrictModel):
    """Top level of ``alerter.yaml``."""

    engine_name: str = "alerter"
    rules: tuple[str, ...] = ("rules",)
    config_dir: str = Field(
        default="rules", description="where correlation, topology, oncall, routing, maintenance files are"
    )
    influx: InfluxSettings = InfluxSettings()
    selfmetrics_database: str | None = Field(
        default=None, description="InfluxDB database for the engine's own metrics"
    )
    database_url: str = "sqlite:///var/alerter.db"
    public_url: str = Field(default="http://127.0.0.1:8080", description="base of links to incident pages")
    pagerduty: PagerDutySettings = PagerDutySettings()
    smtp: SmtpSettings = SmtpSettings()
    web: WebSettings = WebSettings()
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535, description="0: no web UI")
    delivery_tick: Duration = 1.0
    reload_interval: Duration = 10.0
    jitter: Duration = Field(
        default=2.0,
        description="max phase offset of a rule group's schedule; deterministic per engine_name and group",
    )


_ENV = {
    "ALERTER_INFLUX_URL": ("influx", "url"),
    "ALERTER_INFLUX_DATABASE": ("influx", "database"),
    "ALERTER_INFLUX_USERNAME": ("influx", "username"),
    "ALERTER_INFLUX_PASSWORD": ("influx", "password"),
    "ALERTER_INFLUX_TOKEN": ("influx", "token"),
    "ALERTER_DATABASE_URL": ("database_url",),
    "ALERTER_PAGERDUTY_ROUTING_KEY": ("pagerduty", "routing_key"),
    "ALERTER_PAGERDUTY_EVENTS_URL": ("pagerduty", "events_url"),
    "ALERTER_SMTP_HOST": ("smtp", "host"),
    "ALERTER_PUBLIC_URL": ("public_url",),
}


def load_settings(path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults <- the YAML file (if given) <- ``ALERTER_*`` variables. Raises ConfigError, located."""
    data: dict = {}
    if path is not None:
        positioned, problems = load_yaml(path)
        if problems or positioned is None:
            raise ConfigError(problems)
        data = positioned.data or {}
        _, problems = validate(Settings, positioned)  # located errors for the file itself
        if problems:
            raise ConfigError(problems)
    env = os.environ if environ is None else environ
    for var, keys in _ENV.items():
        if var in env:
            node = data
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = env[var]
    return Settings.model_validate(data)

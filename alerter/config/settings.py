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


class Settings(StrictModel):
    """Top level of ``alerter.yaml``."""

    engine_name: str = "alerter"
    rules: tuple[str, ...] = ("rules",)
    influx: InfluxSettings = InfluxSettings()
    database_url: str = "sqlite:///var/alerter.db"
    reload_interval: Duration = 10.0
    jitter: Duration = Field(
        default=2.0, description="max phase offset of a rule group's schedule; deterministic per engine_name and group"
    )


_ENV = {
    "ALERTER_INFLUX_URL": ("influx", "url"),
    "ALERTER_INFLUX_DATABASE": ("influx", "database"),
    "ALERTER_INFLUX_USERNAME": ("influx", "username"),
    "ALERTER_INFLUX_PASSWORD": ("influx", "password"),
    "ALERTER_INFLUX_TOKEN": ("influx", "token"),
    "ALERTER_DATABASE_URL": ("database_url",),
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

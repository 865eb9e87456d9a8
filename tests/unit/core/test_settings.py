"""Settings: embedded defaults, YAML file, environment, in that order; secrets stay secret."""

import pytest

from alerter.config.settings import load_settings
from alerter.errors import ConfigError


def test_defaults_need_no_file():
    s = load_settings(environ={})
    assert (s.influx.url, s.rules, s.database_url) == (
        "http://127.0.0.1:8086",
        ("rules",),
        "sqlite:///var/alerter.db",
    )


def test_file_then_environment_override(tmp_path):
    f = tmp_path / "alerter.yaml"
    f.write_text("influx:\n  url: http://db:8086\n  database: metrics\nrules: [a, b]\n")
    s = load_settings(f, environ={"ALERTER_INFLUX_DATABASE": "other", "ALERTER_INFLUX_TOKEN": "t0ken"})
    assert (s.influx.url, s.influx.database, s.rules) == ("http://db:8086", "other", ("a", "b"))
    assert s.influx.token is not None and s.influx.token.get_secret_value() == "t0ken"
    assert "t0ken" not in repr(s) and "t0ken" not in str(s)


def test_unknown_key_in_file_is_a_located_error(tmp_path):
    f = tmp_path / "alerter.yaml"
    f.write_text("influx:\n  urll: http://db:8086\n")
    with pytest.raises(ConfigError) as err:
        load_settings(f, environ={})
    assert str(err.value) == (
        f'{f}:2:3: unknown field "urll" in "influx" (expected one of: database, max_concurrency, password,'
        " timeout, token, url, username)"
    )

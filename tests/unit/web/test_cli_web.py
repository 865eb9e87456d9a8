"""``alerter hash-password`` prints a hash that verifies; ``alerter web`` refuses a bad config."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from alerter.cli.web import hash_password_command, web
from alerter.config.web import verify_password


def test_hash_password_prints_a_verifiable_hash_and_never_the_password() -> None:
    result = CliRunner().invoke(hash_password_command, input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    encoded = result.output.strip().splitlines()[-1]
    assert encoded.startswith("scrypt$")
    assert verify_password("s3cret-pass", encoded)
    assert "s3cret-pass" not in encoded


def test_hash_password_wants_the_same_password_twice() -> None:
    result = CliRunner().invoke(hash_password_command, input="one\ntwo\none\none\n")
    assert result.exit_code == 0
    assert "do not match" in result.output.lower()


def test_web_reports_a_bad_web_section_with_its_location(tmp_path: Path) -> None:
    config = tmp_path / "alerter.yaml"
    config.write_text("web:\n  cookie_secure: perhaps\n")
    result = CliRunner().invoke(web, ["--config", str(config)])
    assert result.exit_code == 1
    assert f"{config}:2:" in result.output and "cookie_secure" in result.output

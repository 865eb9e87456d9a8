"""``alerter report``: range parsing, options, errors written for the person at the terminal."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner

from alerter.cli.report import SmtpOptions, parse_instant, report_command
from alerter.clock import Clock, FakeClock
from alerter.incidents.store import IncidentStore
from alerter.notify.pager import Delivery, Outcome

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp()  # a Wednesday
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'alerter.db'}"
    IncidentStore(url).close()  # an empty, migrated database
    return url


def run(*args: str, mailer: object = None, env: dict[str, str] | None = None) -> click.testing.Result:
    command = report_command(FakeClock(NOW)) if mailer is None else report_command(FakeClock(NOW), mailer)  # type: ignore[arg-type]
    return CliRunner().invoke(command, list(args), env=env)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-11-16", ZoneInfo("UTC"), datetime(2026, 11, 16, tzinfo=UTC)),
        ("2026-11-16", BERLIN, datetime(2026, 11, 15, 23, tzinfo=UTC)),
        ("2026-11-16T08:00:00+01:00", ZoneInfo("UTC"), datetime(2026, 11, 16, 7, tzinfo=UTC)),
        ("2026-11-16 08:00Z", BERLIN, datetime(2026, 11, 16, 8, tzinfo=UTC)),
    ],
)
def test_instants_are_dates_in_the_report_zone_or_times_with_an_offset(
    text: str, zone: ZoneInfo, expected: datetime
) -> None:
    assert parse_instant(text, zone) == expected.timestamp()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-16T08:00", "'2026-11-16T08:00' has no timezone offset"),
        ("last week", "'last week' is not a date or time (expected e.g. 2026-11-02"),
    ],
)
def test_bad_instants_say_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(click.BadParameter, match=re.escape(message)):
        parse_instant(text, ZoneInfo("UTC"))


def test_an_empty_database_gives_an_empty_report_for_last_week(db: str) -> None:
    result = run("--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Report 2026-11-16T00:00:00+00:00 to 2026-11-23T00:00:00+00:00 (UTC, by day)"
    assert ["TOTAL", "0", "0", "0", "-"] in [line.split() for line in lines]


def test_from_without_to_runs_until_now(db: str) -> None:
    result = run("--db", db, "--from", "2026-11-25", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith(
        "2026-11-25T00:00:00+00:00,2026-11-25T12:00:00+00:00,0,0,0,"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tz", "Mars/Olympus"], "'Mars/Olympus' is not a known timezone"),
        (
            ["--from", "2026-11-20", "--to", "2026-11-10"],
            "--to (2026-11-10) is not after --from (2026-11-20)",
        ),
        (["--weekly", "--send"], "--send needs --smtp-host, --smtp-from and at least one --mail-to"),
    ],
)
def test_usage_mistakes_are_named(db: str, args: list[str], message: str) -> None:
    result = run("--db", db, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_broken_oncall_file_lists_its_problems(db: str, tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text("rotation: {name: x}\n")
    result = run("--db", db, "--oncall", str(path))
    assert result.exit_code == 1
    assert "on-call file does not load:" in result.output
    assert f"{path}:1:" in result.output


def test_an_unreachable_database_is_one_line_without_the_password() -> None:
    port = 9  # discard: nobody listens on loopback
    result = run("--db", f"postgresql+psycopg://report:s3cret-pw@127.0.0.1:{port}/alerter?connect_timeout=2")
    assert result.exit_code == 1
    assert f"report: cannot read postgresql+psycopg://report:***@127.0.0.1:{port}/alerter" in result.output
    assert "s3cret-pw" not in result.output


def test_weekly_without_send_prints_the_mail(db: str, tmp_path: Path) -> None:
    out = tmp_path / "w.html"
    result = run("--db", db, "--weekly", "--html", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Subject: Alerting weekly report 2026-11-16 to 2026-11-22: 0 alerts")
    assert "nobody was paged" in result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


class Recorder:
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.options: list[SmtpOptions] = []
        self.subjects: list[str] = []

    def __call__(self, options: SmtpOptions, clock: Clock) -> Recorder:
        self.options.append(options)
        return self

    async def send_digest(self, subject: str, text: str, html: str | None = None) -> Delivery:
        self.subjects.append(subject)
        return Delivery(self.outcome, "250 ok" if self.outcome is Outcome.OK else "451 try later")


SEND = ["--weekly", "--send", "--smtp-host", "mail.example.com", "--smtp-from", "alerter@example.com",
        "--mail-to", "a@example.com", "--mail-to", "b@example.com", "--smtp-user", "alerter", "--starttls"]  # fmt: skip


def test_send_builds_the_mailer_from_the_options_with_the_password_from_the_environment(db: str) -> None:
    mailer = Recorder(Outcome.OK)
    result = run("--db", db, *SEND, mailer=mailer, env={"ALERTER_SMTP_PASSWORD": "pw-123"})
    assert result.exit_code == 0, result.output
    [options] = mailer.options
    assert (options.host, options.port, options.sender, options.recipients) == (
        "mail.example.com", 25, "alerter@example.com", ("a@example.com", "b@example.com"),
    )  # fmt: skip
    assert options.username == "alerter" and options.starttls
    assert options.password is not None and options.password.get_secret_value() == "pw-123"
    assert result.output == f"sent: {mailer.subjects[0]} (250 ok)\n"


def test_a_mail_the_server_did_not_take_fails_the_command(db: str) -> None:
    result = run("--db", db, *SEND, mailer=Recorder(Outcome.RECOVERABLE))
    assert result.exit_code == 1
    assert "report: weekly mail via mail.example.com:25 not sent: 451 try later" in result.output

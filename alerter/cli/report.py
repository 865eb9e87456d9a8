"""``alerter report``: the managers' alert volume report, and the weekly report mail.

Thin: reads the range from the engine's database (``--db`` or ``ALERTER_DATABASE_URL``, read
only, never migrated) with :mod:`alerter.reports.query`, builds the
:class:`~alerter.reports.report.Report` and prints it, or renders and mails the weekly report
through the SMTP channel (:class:`integrations.smtp.SmtpPager`)::

    alerter report --from 2026-11-01 --to 2026-12-01 --by week --oncall rules/oncall.yaml
    alerter report --format csv --table people > people.csv
    alerter report --weekly --send --smtp-host mail.example.com --smtp-from alerter@example.com \\
        --mail-to managers@example.com --tz Europe/Berlin

``--from``/``--to`` take a date (midnight in ``--tz``) or a time with offset; without them the
range is the last complete week (Monday to Monday in ``--tz``). ``--to`` is exclusive.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import click
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from alerter.clock import Clock, SystemClock
from alerter.config.oncall import OnCallSpec, load_oncall
from alerter.incidents.store import IncidentStore
from alerter.reports.csv_export import TABLES, table_csv
from alerter.reports.query import read_report_data
from alerter.reports.report import Report, build_report, report_to_dict
from alerter.reports.volume import Bucket, VolumeRow
from alerter.reports.weekly import Digest, previous_week, render_weekly, send_weekly_report
from alerter.reports.weekly import duration as show_duration
from alerter.reports.weekly import number as show_number
from integrations.smtp import SmtpPager

DEFAULT_DB = "sqlite:///var/alerter.db"


@dataclass(frozen=True, slots=True)
class SmtpOptions:
    """What ``--send`` needs to build the mailer."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    username: str | None
    password: SecretStr | None
    starttls: bool


MailerFactory = Callable[[SmtpOptions, Clock], Digest]


def smtp_mailer(options: SmtpOptions, clock: Clock) -> Digest:
    """The SMTP channel's pager (its ``send_digest`` is the :class:`Digest` the report needs)."""
    return SmtpPager(
        options.host,
        options.port,
        sender=options.sender,
        recipients=options.recipients,
        username=options.username,
        password=options.password,
        starttls=options.starttls,
        clock=clock,
    )


def report_command(clock: Clock | None = None, mailer: MailerFactory = smtp_mailer) -> click.Command:
    """The ``report`` command, reading "now" (the default range) from ``clock``."""

    @click.command(name="report")
    @click.option(
        "--db",
        default=DEFAULT_DB,
        show_default=True,
        envvar="ALERTER_DATABASE_URL",
        help="Database URL of the engine (sqlite:///... or postgresql://...).",
    )
    @click.option(
        "--from", "from_text", metavar="T", help="Range start: 2026-11-01 or 2026-11-01T08:00+01:00."
    )
    @click.option("--to", "to_text", metavar="T", help="Range end (exclusive), same forms.")
    @click.option(
        "--tz",
        "tz_name",
        default="UTC",
        show_default=True,
        help="Report timezone: day/week buckets and plain dates.",
    )
    @click.option("--by", type=click.Choice([b.value for b in Bucket]), default="day", show_default=True)
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
    )
    @click.option(
        "--table",
        "csv_table",
        type=click.Choice(TABLES),
        default="volume",
        show_default=True,
        help="Which table --format csv writes.",
    )
    @click.option(
        "--top",
        type=click.IntRange(min=0),
        default=10,
        show_default=True,
        help="How many noisiest rules, hosts and roles.",
    )
    @click.option(
        "--oncall",
        "oncall_path",
        type=click.Path(path_type=Path),
        help="oncall.yaml: names, timezones and on-call hours of the members.",
    )
    @click.option("--weekly", is_flag=True, help="Render the weekly report mail (text to stdout).")
    @click.option(
        "--html",
        "html_out",
        type=click.Path(path_type=Path, dir_okay=False),
        help="With --weekly: also write the HTML body to this file.",
    )
    @click.option("--send", is_flag=True, help="With --weekly: mail it through SMTP.")
    @click.option("--smtp-host", help="SMTP server for --send.")
    @click.option("--smtp-port", type=int, default=25, show_default=True)
    @click.option("--smtp-from", "smtp_from", help="Sender address for --send.")
    @click.option("--mail-to", "mail_to", multiple=True, help="Recipient for --send (repeat for several).")
    @click.option("--smtp-user", help="SMTP login (with --smtp-password).")
    @click.option(
        "--smtp-password", envvar="ALERTER_SMTP_PASSWORD", help="SMTP password (or ALERTER_SMTP_PASSWORD)."
    )
    @click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS.")
    def report(
        db: str, from_text: str | None, to_text: str | None, tz_name: str, by: str, output_format: str,
        csv_table: str, top: int, oncall_path: Path | None, weekly: bool, html_out: Path | None, send: bool,
        smtp_host: str | None, smtp_port: int, smtp_from: str | None, mail_to: Sequence[str],
        smtp_user: str | None, smtp_password: str | None, starttls: bool,
    ) -> None:  # fmt: skip
        """Alert volume, noise, interruptions, response times and on-call load over a range."""
        now_clock = clock or SystemClock()
        zone = _zone(tz_name)
        start, end = _range(from_text, to_text, zone, now_clock.now())
        spec = _spec(oncall_path)
        built = _build(db, start, end, Bucket(by), zone, top, spec)
        if not weekly:
            click.echo(_output(built, output_format, csv_table), nl=output_format != "csv")
            return
        mail = render_weekly(built)
        if html_out is not None:
            html_out.write_text(mail.html, encoding="utf-8")
        if not send:
            click.echo(f"Subject: {mail.subject}\n\n{mail.text}", nl=False)
            return
        if not (smtp_host and smtp_from and mail_to):
            raise click.UsageError("--send needs --smtp-host, --smtp-from and at least one --mail-to")
        options = SmtpOptions(
            smtp_host, smtp_port, smtp_from, tuple(mail_to), smtp_user,
            None if smtp_password is None else SecretStr(smtp_password), starttls,
        )  # fmt: skip
        try:
            digest = mailer(options, now_clock)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        delivery = anyio.run(send_weekly_report, digest, built)
        if not delivery.ok:
            raise click.ClickException(
                f"report: weekly mail via {smtp_host}:{smtp_port} not sent: {delivery.detail}"
            )
        click.echo(f"sent: {mail.subject} ({delivery.detail})")

    return report


report = report_command()


def parse_instant(text: str, zone: ZoneInfo) -> float:
    """A date (midnight in ``zone``) or an ISO time with offset -> POSIX seconds.

    Raises click.BadParameter for anything else, naive times included (which zone would it be?).
    """
    try:
        if "T" not in text and " " not in text:
            return datetime.combine(date.fromisoformat(text), time(0), zone).timestamp()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date or time (expected e.g. 2026-11-02 or 2026-11-02T08:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{text!r} has no timezone offset (expected e.g. 2026-11-02T08:00+01:00)")
    return moment.timestamp()


def _range(from_text: str | None, to_text: str | None, zone: ZoneInfo, now: float) -> tuple[float, float]:
    default_start, default_end = previous_week(now, zone)
    start = default_start if from_text is None else parse_instant(from_text, zone)
    end = (default_end if from_text is None else now) if to_text is None else parse_instant(to_text, zone)
    if end <= start:
        raise click.BadParameter(f"--to ({to_text or 'now'}) is not after --from ({from_text})")
    return start, end


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"{name!r} is not a known timezone (e.g. UTC, Europe/Berlin)", param_hint="--tz"
        ) from None


def _spec(path: Path | None) -> OnCallSpec | None:
    if path is None:
        return None
    spec, problems = load_oncall(path)
    if problems or spec is None:
        raise click.ClickException(
            "on-call file does not load:\n" + "\n".join(str(p) for p in sorted(problems))
        )
    return spec


def _build(
    db: str, start: float, end: float, by: Bucket, zone: ZoneInfo, top: int, spec: OnCallSpec | None
) -> Report:
    try:
        with IncidentStore(db, migrate=False) as store:
            data = read_report_data(store, start, end)
    except SQLAlchemyError as exc:
        cause = " ".join(str(getattr(exc, "orig", None) or exc).split())
        safe = make_url(db).render_as_string(hide_password=True)
        raise click.ClickException(f"report: cannot read {safe}: {cause}") from None
    return build_report(data, start, end, by=by, zone=zone, top=top, spec=spec)


def _output(report: Report, output_format: str, csv_table: str) -> str:
    if output_format == "json":
        return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False)
    if output_format == "csv":
        return table_csv(report, csv_table)
    return render_table(report)


def render_table(report: Report) -> str:
    """The report as aligned plain-text tables (what ``--format table`` prints)."""
    v, r = report.volume, report.response
    fmt = "%Y-%m-%d %H:%M" if any(x.start.hour or x.start.minute for x in v.rows) else "%a %Y-%m-%d"
    reasons = sorted(v.total.suppressed)
    volume = _aligned(
        ["START", "ALERTS", "INCIDENTS", "PAGES", "ALERTS/PAGE", *(f"SUPPR:{x.upper()}" for x in reasons)],
        [_volume_cells(row.start.strftime(fmt), row, reasons) for row in v.rows]
        + [_volume_cells("TOTAL", v.total, reasons)],
    )
    sections = [
        f"Report {report.start.isoformat()} to {report.end.isoformat()} ({report.zone}, by {v.by.value})",
        volume,
        _aligned(
            ["", "INCIDENTS", "MEAN", "MEDIAN", "P90", "MISSING"],
            [[name, str(s.count), show_duration(s.mean), show_duration(s.median), show_duration(s.p90), str(s.missing)]
             for name, s in (("MTTA", r.mtta), ("MTTR", r.mttr))],
        ),
        _aligned(
            ["PERSON", "PAGES", "INTERRUPTIONS", "BUSINESS", "OFF", "SLEEP", "ONCALL_H"],
            [[p.name, str(p.pages), str(p.interruptions.total), str(p.interruptions.business),
              str(p.interruptions.off), str(p.interruptions.sleep),
              "-" if p.oncall is None else show_number(p.oncall.total)] for p in report.people],
        ),
        _aligned(
            ["NOISIEST", "NAME", "ALERTS"],
            [[kind, x.name, str(x.count)]
             for kind, ranked in (("rule", v.top_rules), ("host", v.top_hosts), ("role", v.top_roles))
             for x in ranked],
        ),
    ]  # fmt: skip
    return "\n\n".join(sections)


def _volume_cells(label: str, row: VolumeRow, reasons: Sequence[str]) -> list[str]:
    counts = [row.alerts, row.incidents, row.pages]
    return [
        label,
        *map(str, counts),
        show_number(row.compression),
        *(str(row.suppressed.get(x, 0)) for x in reasons),
    ]


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]
    )

"""The weekly report mail for managers: HTML with inline SVG charts, and a plain-text alternative.

Place in the flow: :func:`~alerter.reports.report.build_report` (by day, over last week) ->
:func:`render_weekly` (jinja2 templates beside this module, autoescaped HTML) ->
:func:`send_weekly_report` through a :class:`Digest` (the SMTP channel's ``send_digest``; the
composition root passes ``integrations.smtp.SmtpPager``). This module owns the small interface it
needs; it never imports an integration::

    start, end = previous_week(clock.now(), ZoneInfo("Europe/Berlin"))
    report = build_report(read_report_data(store, start, end), start, end, zone=zone, spec=spec)
    delivery = await send_weekly_report(SmtpPager(...), report)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from alerter.clock import to_datetime
from alerter.notify.pager import Delivery
from alerter.reports.figures import report_charts
from alerter.reports.report import Report

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_TITLE = "Alerting weekly report"


class Digest(Protocol):
    """Something that mails a report: subject, plain text, and an already-escaped HTML body."""

    async def send_digest(self, subject: str, text: str, html: str | None = None) -> Delivery:
        """Send one message; classify failures into the returned Delivery (do not raise)."""
        ...


@dataclass(frozen=True, slots=True)
class WeeklyMail:
    """A rendered report mail."""

    subject: str
    text: str
    html: str


def previous_week(now: float, zone: ZoneInfo) -> tuple[float, float]:
    """``[start, end)`` of the last complete week (Monday 00:00 to Monday 00:00 in ``zone``)."""
    local = to_datetime(now).astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    end = datetime.combine(monday, time(0), zone)
    start = datetime.combine(monday - timedelta(days=7), time(0), zone)
    return start.timestamp(), end.timestamp()


def render_weekly(report: Report, *, title: str = DEFAULT_TITLE) -> WeeklyMail:
    """The mail for ``report``: subject with the headline figures, text and HTML bodies."""
    total = report.volume.total
    span = period(report)
    subject = f"{title} {span}: {total.alerts} alerts, {total.incidents} incidents, {total.pages} pages"
    context = {"title": title, "period": span, "report": report, "total": total, "charts": charts(report)}
    return WeeklyMail(subject, _render("weekly.txt.j2", context), _render("weekly.html.j2", context))


async def send_weekly_report(mailer: Digest, report: Report, *, title: str = DEFAULT_TITLE) -> Delivery:
    """Render ``report`` and hand it to ``mailer``; returns its Delivery (never raises for I/O)."""
    mail = render_weekly(report, title=title)
    return await mailer.send_digest(mail.subject, mail.text, mail.html)


def period(report: Report) -> str:
    """``2026-11-16 to 2026-11-22`` (the end is exclusive, so the last day shown is the one before)."""
    last = report.end - timedelta(microseconds=1)
    return f"{report.start.date().isoformat()} to {last.date().isoformat()}"


def charts(report: Report) -> dict[str, Markup]:
    """The report's charts as trusted SVG markup (the chart functions escape every text)."""
    return {name: Markup(svg) for name, svg in report_charts(report, prefix="weekly").items()}


def duration(seconds: float | None) -> str:
    """``45s``, ``12m 05s``, ``3h 07m``, ``2d 4h``; ``-`` for none."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def number(value: float | None, places: int = 1) -> str:
    """``12``, ``3.5``; ``-`` for none."""
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:.{places}f}"


@functools.cache
def _environment() -> jinja2.Environment:
    # our own templates, not user input: a plain environment; autoescape on for the HTML one
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = duration
    env.filters["number"] = number
    return env


def _render(name: str, context: dict[str, object]) -> str:
    return _environment().get_template(name).render(context)

"""The weekly mail: range, subject and bodies with the figures, escaping, inline SVG, sending."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import pytest

from alerter.notify.pager import Delivery, Outcome
from alerter.reports.records import AlertFiring, IncidentRow, PageRow, ReportData, SuppressionRow
from alerter.reports.report import Report, build_report
from alerter.reports.weekly import duration, previous_week, render_weekly, send_weekly_report

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def ts(zone: tzinfo, *parts: int) -> float:
    return datetime(*parts, tzinfo=zone).timestamp()  # type: ignore[arg-type, misc]


@pytest.mark.parametrize(
    ("now", "zone", "start", "end"),
    [
        (ts(UTC, 2026, 11, 18, 12), ZoneInfo("UTC"), ts(UTC, 2026, 11, 9), ts(UTC, 2026, 11, 16)),
        (ts(UTC, 2026, 11, 16, 0), ZoneInfo("UTC"), ts(UTC, 2026, 11, 9), ts(UTC, 2026, 11, 16)),
        # Sunday 23:30 UTC is already Monday in Berlin: last week is the one that just ended
        (ts(UTC, 2026, 11, 15, 23, 30), BERLIN, ts(BERLIN, 2026, 11, 9), ts(BERLIN, 2026, 11, 16)),
        # the week of the DST change is 169 hours long
        (ts(BERLIN, 2026, 10, 27, 9), BERLIN, ts(BERLIN, 2026, 10, 19), ts(BERLIN, 2026, 10, 26)),
    ],
)
def test_previous_week_is_the_last_complete_monday_to_monday(
    now: float, zone: ZoneInfo, start: float, end: float
) -> None:
    assert previous_week(now, zone) == (start, end)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "0s"),
        (59.6, "1m 00s"),
        (125, "2m 05s"),
        (3600, "1h 00m"),
        (11220, "3h 07m"),
        (187200, "2d 4h"),
    ],
)
def test_durations_read_like_a_person_would_say_them(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


MON = ts(UTC, 2026, 11, 16)


def week() -> Report:
    data = ReportData(
        incidents=(
            IncidentRow(1, "a", MON + 3600, acked_at=MON + 3600 + 240, resolved_at=MON + 3 * 3600),
            IncidentRow(2, "b", MON + 86400 + 3600),
        ),
        firings=(
            *(
                AlertFiring(MON + 3600 + i, f"f{i}", "<script>alert(1)</script>", "db-1", "db")
                for i in range(7)
            ),
            AlertFiring(MON + 86400, "g", "cpu_high", "web-1", "web"),
        ),
        suppressions=(SuppressionRow(MON + 10, "maintenance"), SuppressionRow(MON + 20, "maintenance")),
        pages=(
            PageRow(MON + 3600, "a", "anna", "pagerduty", MON + 3601),  # 01:00 UTC: sleep
            PageRow(MON + 86400 + 3600 * 10, "b", "anna", "pagerduty", MON + 86400 + 3600 * 10),  # Tue 10:00
        ),
    )
    return build_report(data, MON, MON + 7 * 86400)


def test_subject_and_text_carry_the_headline_figures() -> None:
    mail = render_weekly(week())
    assert mail.subject == "Alerting weekly report 2026-11-16 to 2026-11-22: 8 alerts, 2 incidents, 2 pages"
    assert "Alerts: 8   Incidents: 2   Pages: 2   Alerts per page: 4   Suppressed: 2" in mail.text
    assert "Mon 2026-11-16  7 / 1 / 1 / 2" in mail.text
    assert (
        "Time to acknowledge: mean 4m 00s, median 4m 00s, p90 4m 00s (1 incidents; 1 never acknowledged)"
        in mail.text
    )
    assert "anna: 2 pages; 1 / 0 / 1; - h" in mail.text
    assert "1. <script>alert(1)</script>: 7" in mail.text  # plain text is not HTML: shown as is
    assert "maintenance: 2" in mail.text


def test_html_is_escaped_and_holds_the_figures_and_well_formed_charts() -> None:
    html = render_weekly(week()).html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: 7 alerts" in html
    headline = re.findall(r'<div id="headline-\d+"[^>]*>([^<]*)</div>', html)
    assert headline == ["8", "2", "2", "4", "2"]
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        ET.fromstring(svg)
    assert 'aria-labelledby="weekly-interruptions-title weekly-interruptions-desc"' in html


class RecordingDigest:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None]] = []

    async def send_digest(self, subject: str, text: str, html: str | None = None) -> Delivery:
        self.sent.append((subject, text, html))
        return Delivery(Outcome.OK, "250 queued")


@pytest.mark.anyio
async def test_send_hands_the_rendered_mail_to_the_digest_and_returns_its_delivery() -> None:
    mailer = RecordingDigest()
    delivery = await send_weekly_report(mailer, week(), title="Platform weekly")
    assert delivery == Delivery(Outcome.OK, "250 queued")
    [(subject, text, html)] = mailer.sent
    assert subject.startswith("Platform weekly 2026-11-16 to 2026-11-22: 8 alerts")
    assert text.startswith("Platform weekly 2026-11-16 to 2026-11-22 (UTC)")
    assert html is not None and "<h1" in html and "Platform weekly" in html

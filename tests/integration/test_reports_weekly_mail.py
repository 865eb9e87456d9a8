"""The weekly report mail through the real SMTP channel (``SmtpPager``) to a real aiosmtpd server on
loopback: the message arrives as text + HTML alternatives, and the HTML holds the week's figures
and the inline SVG charts. The week is built through a real ``IncidentStore`` (SQLite)."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from click.testing import CliRunner

from alerter.cli.report import report_command
from alerter.clock import FakeClock
from alerter.incidents.lifecycle import LifecyclePolicy
from alerter.incidents.records import AlertObservation
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import SuppressionReason
from alerter.model import Severity
from alerter.notify.outbox import Outbox, enqueue
from alerter.notify.pager import PageAction, PageRequest
from alerter.reports.query import read_report_data
from alerter.reports.report import build_report
from alerter.reports.weekly import previous_week, send_weekly_report
from integrations.smtp import SmtpPager

pytestmark = pytest.mark.timeout(60)

POLICY = LifecyclePolicy(resolve_delay=60, reopen_window=600)
MON = datetime(2026, 11, 16, tzinfo=UTC).timestamp()
NOW = MON + 7 * 86400 + 7 * 3600  # Monday 23 Nov 07:00 UTC: the report of the week before
SENDER = "Alerter <alerter@example.com>"
MANAGERS = ["lead@example.com", "cto@example.com"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Inbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK queued"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def observe(store: IncidentStore, fp: str, rule: str, host: str, state: Severity, at: float) -> str:
    applied = store.observe(
        AlertObservation(
            fp, rule, state, at, f"g-{rule}", f"{rule} <{host}>", host=host, labels={"role": "db"}
        ),
        POLICY,
    )
    assert applied.key is not None
    return applied.key


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Mon: disk_full on db-1 and db-2 (one incident), one page to anna at 03:00 UTC (sleep),
    acked after 5 min, resolved after 20 min. Thu: a storm-suppressed incident, never acked."""
    url = f"sqlite:///{tmp_path / 'alerter.db'}"
    with IncidentStore(url) as store:
        t = MON + 3 * 3600
        key = observe(store, "fp1", "disk_full", "db-1", Severity.CRITICAL, t)
        observe(store, "fp2", "disk_full", "db-2", Severity.CRITICAL, t + 10)
        with store.transaction() as tx:
            page = PageRequest(PageAction.TRIGGER, key, summary="disk full", source="alerter")
            enqueue(tx.session, page, transition="opened#0", channel="pagerduty", now=t, target="anna")
        box = Outbox(store)
        [claimed] = box.claim(t, 10, lease=30)
        box.mark_delivered(claimed.id, t + 2)
        store.acknowledge(key, "anna", t + 300)
        store.resolve(key, "anna", t + 1200)
        other = observe(store, "fp3", "cpu_high", "web-1", Severity.WARNING, MON + 3 * 86400 + 12 * 3600)
        with store.transaction() as tx:
            tx.record_suppression(SuppressionReason.STORM, MON + 3 * 86400 + 12 * 3600, incident=other)
    return url


def html_and_text(message: EmailMessage) -> tuple[str, str]:
    html, text = message.get_body(("html",)), message.get_body(("plain",))
    assert html is not None and text is not None
    return str(html.get_content()), str(text.get_content())


def assert_figures(html: str, text: str) -> None:
    assert re.findall(r'<div id="headline-\d+"[^>]*>([^<]*)</div>', html) == ["3", "2", "1", "3", "1"]
    assert '<td style="padding:4px 8px">Mon 2026-11-16</td>' in html
    assert "5m 00s" in html and "20m 00s" in html  # MTTA, MTTR
    assert "disk_full: 2 alerts" in html and "db-1: 1 alerts" in html
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        ET.fromstring(svg)
    assert "Sun 15" not in html  # the week starts on Monday
    assert "anna: 1 pages; 0 / 0 / 1; - h" in text  # 03:00 UTC is sleep hours
    assert "storm: 1" in text


@pytest.mark.anyio
async def test_the_weekly_mail_arrives_with_the_figures_in_html_and_text(
    db: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    start, end = previous_week(NOW, ZoneInfo("UTC"))
    with IncidentStore(db, migrate=False) as store:
        report = build_report(read_report_data(store, start, end), start, end)
    pager = SmtpPager(
        "127.0.0.1", port, sender=SENDER, recipients=MANAGERS, timeout=5.0, clock=FakeClock(NOW)
    )
    delivery = await send_weekly_report(pager, report)
    assert delivery.ok, delivery.detail
    [(rcpts, message)] = inbox.messages
    assert rcpts == MANAGERS
    assert (
        message["Subject"]
        == "Alerting weekly report 2026-11-16 to 2026-11-22: 3 alerts, 2 incidents, 1 pages"
    )
    html, text = html_and_text(message)
    assert_figures(html, text)


def test_the_command_sends_it_too(db: str, smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    command = report_command(clock=FakeClock(NOW))
    args = ["--db", db, "--weekly", "--send", "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
            "--smtp-from", SENDER, "--mail-to", MANAGERS[0], "--html", str(tmp_path / "weekly.html")]  # fmt: skip
    result = CliRunner().invoke(command, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent: Alerting weekly report 2026-11-16 to 2026-11-22: 3 alerts")
    [(rcpts, message)] = inbox.messages
    assert rcpts == MANAGERS[:1]
    html, text = html_and_text(message)
    assert_figures(html, text)
    assert (tmp_path / "weekly.html").read_text(encoding="utf-8") == html.replace("\r\n", "\n")


def test_a_refused_mail_is_an_error_naming_the_server(db: str, tmp_path: Path) -> None:
    port = free_port()  # nobody listens
    command = report_command(clock=FakeClock(NOW))
    args = ["--db", db, "--weekly", "--send", "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
            "--smtp-from", SENDER, "--mail-to", MANAGERS[0]]  # fmt: skip
    result = CliRunner().invoke(command, args)
    assert result.exit_code == 1
    assert f"report: weekly mail via 127.0.0.1:{port} not sent:" in result.output

"""SmtpPager against a real SMTP server (aiosmtpd) on loopback: the mail, digests, classification, secrets."""

from __future__ import annotations

import email
import email.policy
import logging
import smtplib
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr

from alerter.clock import FakeClock
from alerter.notify import Outcome, PageAction, PageLink, Pager, PageRequest, PageSeverity
from integrations.smtp import SmtpPager
from integrations.smtp.message import subject
from integrations.smtp.replies import classify_error

SENDER = "Alerter <alerter@example.com>"
ONCALL = ["alice@example.com", "bob@example.com"]
PASSWORD = "hunter2-smtp-pa55word"
NOW = 1_795_000_000.0  # Wed, 18 Nov 2026 11:06:40 GMT


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool


class Handler:
    """An aiosmtpd handler that records mail and answers from per-command scripts.

    ``data_replies`` are popped per DATA (default ``250 OK``); ``rcpt_replies`` map an address to
    its RCPT reply (default ``250 OK``).
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.data_replies: list[str] = []
        self.rcpt_replies: dict[str, str] = {}

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address, "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self.data_replies.pop(0) if self.data_replies else "250 OK"
        if reply.startswith("250"):
            assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            tls = session.ssl is not None
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, tls))
        return reply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@dataclass
class Server:
    handler: Handler
    port: int


def start(handler: Handler, **smtp_options: Any) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    return controller


@pytest.fixture
def server() -> Iterator[Server]:
    handler = Handler()
    controller = start(handler, authenticator=authenticate, auth_require_tls=False)
    yield Server(handler, controller.port)
    controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl CLI; no Python crypto dependency)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert)),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def pager_for(port: int, **options: Any) -> SmtpPager:
    options.setdefault("recipients", ONCALL)
    return SmtpPager("127.0.0.1", port, sender=SENDER, timeout=2.0, clock=FakeClock(NOW), **options)


def trigger(summary: str = "disk full on db1") -> PageRequest:
    return PageRequest(
        PageAction.TRIGGER,
        "inc-4f2a",
        summary=summary,
        source="db1.example.com",
        severity=PageSeverity.CRITICAL,
        component="disk",
        group="prod-db",
        custom_details={"affected_hosts": ["db1", "db2"], "root_cause": "db1 /var full", "primary": "alice"},
        links=(
            PageLink("https://alerter.example.com/incidents/4f2a", "Incident"),
            PageLink("https://wiki.example.com/runbooks/disk-full", "Runbook"),
        ),
    )


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    # Normalise the wire's CRLF line ends back to Python's.
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def test_smtppager_is_a_pager() -> None:
    pager: Pager = pager_for(25)
    assert isinstance(pager, SmtpPager)


# -- the mail ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_trigger_mail_headers_and_recipients(server: Server) -> None:
    delivery = await pager_for(server.port).send(trigger())
    assert (delivery.outcome, delivery.detail, delivery.retry_after) == (
        Outcome.OK,
        "250: accepted for 2 recipients",
        None,
    )
    [mail] = server.handler.received
    assert (mail.mail_from, mail.rcpt_tos, mail.tls) == ("alerter@example.com", ONCALL, False)
    message = mail.message
    assert message["Subject"] == "[TRIGGERED] CRITICAL: disk full on db1"
    assert message["From"] == SENDER
    assert message["To"] == "alice@example.com, bob@example.com"
    assert message["Date"] == "Wed, 18 Nov 2026 11:06:40 +0000"
    assert message["Message-ID"].endswith("@example.com>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert (message["X-Alerter-Action"], message["X-Alerter-Dedup-Key"]) == ("trigger", "inc-4f2a")
    assert message["References"].startswith("<incident-") and message.get_content_type() == (
        "multipart/alternative"
    )


@pytest.mark.anyio
async def test_trigger_mail_bodies(server: Server) -> None:
    await pager_for(server.port).send(trigger())
    text, html = bodies(server.handler.received[0].message)
    for expected in (
        "Summary:   disk full on db1",
        "Severity:  critical",
        "Source:    db1.example.com",
        "Component: disk",
        "root_cause: db1 /var full",
        "Incident: https://alerter.example.com/incidents/4f2a",
        "Runbook: https://wiki.example.com/runbooks/disk-full",
    ):
        assert expected in text
    assert '"db1",' in text and '"db2"' in text  # a list detail is shown as JSON
    assert '<th align="left">Summary</th><td>disk full on db1</td>' in html
    assert '<a href="https://wiki.example.com/runbooks/disk-full">Runbook</a>' in html
    assert '<th align="left">primary</th>' in html


@pytest.mark.anyio
async def test_html_is_autoescaped_and_script_links_are_not_clickable(server: Server) -> None:
    page = PageRequest(
        PageAction.TRIGGER,
        "inc-x",
        summary="<script>alert(1)</script> & more",
        source="db1",
        custom_details={"note": '<img src=x onerror="boom">'},
        links=(PageLink("javascript:alert(1)", "click"), PageLink('https://ok.example.com/?a="b"', "ok")),
    )
    await pager_for(server.port).send(page)
    text, html = bodies(server.handler.received[0].message)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "<img" not in html and "&lt;img src=x onerror=&#34;boom&#34;&gt;" in html
    assert 'href="javascript' not in html and "click (javascript:alert(1))" in html
    assert '<a href="https://ok.example.com/?a=&#34;b&#34;">ok</a>' in html
    assert "Summary:   <script>alert(1)</script> & more" in text  # plain text is not HTML


@pytest.mark.anyio
async def test_acknowledge_and_resolve_mails(server: Server) -> None:
    pager = pager_for(server.port)
    await pager.send(PageRequest(PageAction.ACKNOWLEDGE, "inc-4f2a"))
    await pager.send(PageRequest(PageAction.RESOLVE, "inc-4f2a", summary="disk full on db1"))
    ack, resolve = (mail.message for mail in server.handler.received)
    assert (ack["Subject"], resolve["Subject"]) == ("[ACKNOWLEDGED] inc-4f2a", "[RESOLVED] disk full on db1")
    assert ack["References"] == resolve["References"]  # one incident, one thread
    text, _ = bodies(ack)
    assert "Severity" not in text and "Key:       inc-4f2a" in text


@pytest.mark.anyio
async def test_non_ascii_summary_round_trips(server: Server) -> None:
    await pager_for(server.port).send(trigger("Festplatte voll – db1 ✓\nsecond line"))
    message = server.handler.received[0].message
    assert message["Subject"] == "[TRIGGERED] CRITICAL: Festplatte voll – db1 ✓ second line"
    assert "Festplatte voll – db1 ✓" in bodies(message)[0]


def test_subject_is_one_line_and_bounded() -> None:
    page = trigger("x" * 500)
    assert len(subject(page)) == 200 and subject(page).endswith("…")
    assert (
        subject(trigger("a\r\nBcc: victim@example.com")) == "[TRIGGERED] CRITICAL: a Bcc: victim@example.com"
    )


@pytest.mark.anyio
async def test_digest_text_and_html(server: Server) -> None:
    pager = pager_for(server.port, recipients=["team@example.com"])
    delivery = await pager.send_digest("Weekly on-call report", "12 incidents\n", "<p>12 incidents</p>\n")
    assert (delivery.outcome, delivery.detail) == (Outcome.OK, "250: accepted for 1 recipient")
    [mail] = server.handler.received
    assert (mail.rcpt_tos, mail.message["Subject"]) == (["team@example.com"], "Weekly on-call report")
    assert bodies(mail.message) == ("12 incidents\n", "<p>12 incidents</p>\n")


@pytest.mark.anyio
async def test_digest_text_only(server: Server) -> None:
    await pager_for(server.port).send_digest("Daily digest", "nothing happened\n")
    message = server.handler.received[0].message
    assert message.get_content_type() == "text/plain" and message.get_content() == "nothing happened\r\n"


# -- classification against the real server ----------------------------------------------------


@pytest.mark.anyio
async def test_451_then_250(server: Server) -> None:
    server.handler.data_replies = ["451 4.3.0 Try again later"]
    pager = pager_for(server.port)
    first = await pager.send(trigger())
    assert (first.outcome, first.detail) == (Outcome.RECOVERABLE, "451: 4.3.0 Try again later")
    assert server.handler.received == []
    second = await pager.send(trigger())
    assert second.outcome is Outcome.OK and len(server.handler.received) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        ("421 4.3.2 Service shutting down", Outcome.RECOVERABLE),
        ("450 4.2.1 Mailbox busy", Outcome.RECOVERABLE),
        ("452 4.3.1 Insufficient system storage", Outcome.RECOVERABLE),
        ("550 5.7.1 Message rejected as spam", Outcome.PERMANENT),
        ("552 5.3.4 Message too big", Outcome.PERMANENT),
        ("554 5.6.0 Transaction failed", Outcome.PERMANENT),
    ],
)
async def test_data_replies_are_classified(server: Server, reply: str, outcome: Outcome) -> None:
    server.handler.data_replies = [reply]
    delivery = await pager_for(server.port).send(trigger())
    assert (delivery.outcome, delivery.detail) == (outcome, reply.replace(" ", ": ", 1))


@pytest.mark.anyio
async def test_550_for_every_recipient_is_permanent(server: Server) -> None:
    server.handler.rcpt_replies = {rcpt: "550 5.1.1 No such user" for rcpt in ONCALL}
    delivery = await pager_for(server.port).send(trigger())
    assert delivery.outcome is Outcome.PERMANENT
    assert delivery.detail == (
        "all recipients refused: alice@example.com: 550 5.1.1 No such user; "
        "bob@example.com: 550 5.1.1 No such user"
    )


@pytest.mark.anyio
async def test_452_for_every_recipient_is_recoverable(server: Server) -> None:
    server.handler.rcpt_replies = {rcpt: "452 4.2.2 Mailbox full" for rcpt in ONCALL}
    delivery = await pager_for(server.port).send(trigger())
    assert delivery.outcome is Outcome.RECOVERABLE and delivery.detail.startswith("all recipients refused")


@pytest.mark.anyio
async def test_some_recipients_refused_is_ok_and_says_who(server: Server) -> None:
    server.handler.rcpt_replies = {"bob@example.com": "550 5.1.1 No such user"}
    delivery = await pager_for(server.port).send(trigger())
    assert delivery.outcome is Outcome.OK
    assert delivery.detail == (
        "250: accepted for 1 of 2 recipients; refused: bob@example.com: 550 5.1.1 No such user"
    )
    assert server.handler.received[0].rcpt_tos == ["alice@example.com"]


@pytest.mark.anyio
async def test_connection_refused_is_recoverable() -> None:
    with socket.socket() as bound:  # bound, not listening: the kernel refuses connections
        bound.bind(("127.0.0.1", 0))
        delivery = await pager_for(bound.getsockname()[1]).send(trigger())
    assert delivery.outcome is Outcome.RECOVERABLE
    assert delivery.detail.startswith("network error: ConnectionRefusedError")


@pytest.mark.anyio
async def test_silent_server_times_out_recoverably() -> None:
    with socket.socket() as silent:  # accepts (backlog) but never sends the 220 greeting
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        pager = SmtpPager("127.0.0.1", silent.getsockname()[1], sender=SENDER, recipients=ONCALL, timeout=0.2)
        delivery = await pager.send(trigger())
    assert delivery.outcome is Outcome.RECOVERABLE and delivery.detail == (
        "timeout: Connection unexpectedly closed: timed out"
    )


@pytest.mark.parametrize(
    ("error", "outcome", "detail"),
    [
        (smtplib.SMTPConnectError(421, b"busy"), Outcome.RECOVERABLE, "421: busy"),
        (smtplib.SMTPConnectError(554, b"go away"), Outcome.PERMANENT, "554: go away"),
        (smtplib.SMTPConnectError(-1, b"garbled"), Outcome.RECOVERABLE, "-1: garbled"),
        (
            smtplib.SMTPAuthenticationError(454, b"4.7.0 Temporary"),
            Outcome.RECOVERABLE,
            "454: 4.7.0 Temporary",
        ),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad"), Outcome.PERMANENT, "535: 5.7.8 Bad"),
        (smtplib.SMTPSenderRefused(553, b"no", "a@x"), Outcome.PERMANENT, "553: no"),
        (
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            Outcome.RECOVERABLE,
            "disconnected: Connection unexpectedly closed",
        ),
        (
            smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
            Outcome.PERMANENT,
            "not possible with this server: STARTTLS extension not supported by server.",
        ),
        (
            smtplib.SMTPRecipientsRefused({"a@x": (550, b"no"), "b@x": (451, b"later")}),
            Outcome.RECOVERABLE,
            "all recipients refused: a@x: 550 no; b@x: 451 later",
        ),
        (
            ssl.SSLError(1, "handshake failure"),
            Outcome.RECOVERABLE,
            "network error: SSLError: handshake failure",
        ),
    ],
)
def test_classify_error_table(error: BaseException, outcome: Outcome, detail: str) -> None:
    assert classify_error(error) == type(classify_error(error))(outcome, detail)


# -- TLS and authentication --------------------------------------------------------------------


@pytest.mark.anyio
async def test_starttls_then_login(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    handler = Handler()
    controller = start(handler, tls_context=server_tls, require_starttls=True, authenticator=authenticate)
    try:
        pager = pager_for(
            controller.port,
            starttls=True,
            tls_context=ssl.create_default_context(cafile=str(cert)),
            username="alerter",
            password=SecretStr(PASSWORD),
        )
        delivery = await pager.send(trigger())
    finally:
        controller.stop()
    assert delivery.ok, delivery.detail
    assert [mail.tls for mail in handler.received] == [True]


@pytest.mark.anyio
async def test_starttls_to_an_untrusted_certificate_fails_recoverably(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    handler = Handler()
    controller = start(handler, tls_context=server_tls)
    try:
        delivery = await pager_for(controller.port, starttls=True).send(trigger())  # system CAs only
    finally:
        controller.stop()
    assert delivery.outcome is Outcome.RECOVERABLE and "SSLCertVerificationError" in delivery.detail
    assert handler.received == []


@pytest.mark.anyio
async def test_starttls_missing_on_server_is_permanent(server: Server) -> None:
    delivery = await pager_for(server.port, starttls=True).send(trigger())
    assert (delivery.outcome, delivery.detail) == (
        Outcome.PERMANENT,
        "not possible with this server: STARTTLS extension not supported by server.",
    )


@pytest.mark.anyio
async def test_login_succeeds(server: Server) -> None:
    pager = pager_for(server.port, username="alerter", password=SecretStr(PASSWORD))
    assert (await pager.send(trigger())).ok
    assert len(server.handler.received) == 1


@pytest.mark.anyio
async def test_wrong_password_is_permanent_and_secret_free(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pager = pager_for(server.port, username="alerter", password=SecretStr("wrong-" + PASSWORD))
    delivery = await pager.send(trigger())
    assert delivery.outcome is Outcome.PERMANENT and delivery.detail.startswith("535: 5.7.8")
    ours = "".join(r.getMessage() for r in caplog.records if r.name.startswith("integrations."))
    shown = repr(pager) + ours + delivery.detail
    assert "smtp 127.0.0.1" in ours
    assert PASSWORD not in shown and "SecretStr('**********')" in repr(pager)


@pytest.mark.anyio
async def test_password_echoed_by_server_is_scrubbed(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.handler.data_replies = [f"554 5.7.1 policy: credentials {PASSWORD} are not allowed here"]
    pager = pager_for(server.port, username="alerter", password=SecretStr(PASSWORD))
    delivery = await pager.send(trigger())
    assert delivery.detail == "554: 5.7.1 policy: credentials [password] are not allowed here"
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("integrations.")]  # not aiosmtpd's
    assert ours and not any(PASSWORD in line for line in ours)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"recipients": []}, "at least one recipient"),
        ({"recipients": ["ok@example.com\r\nBcc: x@example.com"]}, "line break"),
        ({"recipients": ONCALL, "username": "alerter"}, "username and password go together"),
    ],
)
def test_constructor_refuses_bad_settings(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SmtpPager("127.0.0.1", 25, sender=SENDER, **options)

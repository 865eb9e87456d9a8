"""``SmtpPager``: the :class:`~alerter.notify.pager.Pager` that sends pages (and digests) as e-mail.

Place in the flow: the composition root (``alerter/app.py``) builds one for the mail fallback and
the digest/weekly report, and hands it to the notify stage. Messages are built in
:mod:`.message`, outcomes classified in :mod:`.replies`; this module is the only I/O. One
:meth:`send` is one SMTP session; the outbox owns retries.

stdlib :mod:`smtplib` runs in a worker thread (:func:`asyncio.to_thread`): no extra dependency,
and the event loop never blocks. ``timeout`` bounds every socket operation (connect, each reply).
The password travels only in the AUTH command and is scrubbed from ``repr``, logs and details.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import parseaddr

from pydantic import SecretStr

from alerter.clock import Clock, SystemClock
from alerter.notify.pager import Delivery, PageRequest
from integrations.smtp.message import digest_message, page_message
from integrations.smtp.replies import accepted, classify_error

log = logging.getLogger(__name__)

REDACTED = "[password]"


class SmtpPager:
    """Send each page as one e-mail from ``sender`` to every address in ``recipients``.

    ``starttls`` upgrades the connection before AUTH (``tls_context`` defaults to the system's
    verifying context; pass one to trust a private CA). ``username``/``password`` log in when
    given. ``clock`` dates the messages (tests pass a ``FakeClock``).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        recipients: Sequence[str],
        username: str | None = None,
        password: SecretStr | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
        tls_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
    ) -> None:
        addresses = [sender, *recipients]
        if not recipients or not all(parseaddr(a)[1] for a in addresses):
            raise ValueError(f"smtp: need a sender and at least one recipient address (got {addresses!r})")
        if any(c in a for a in addresses for c in "\r\n"):
            raise ValueError("smtp: an address contains a line break")
        if (username is None) != (password is None):
            raise ValueError("smtp: username and password go together")
        self._host, self._port = host, port
        self._sender, self._recipients = sender, tuple(recipients)
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout
        self._tls_context = tls_context
        self._clock = clock if clock is not None else SystemClock()

    def __repr__(self) -> str:
        password = "SecretStr('**********')" if self._password else "None"
        return (
            f"SmtpPager(host={self._host!r}, port={self._port}, sender={self._sender!r}, "
            f"recipients={list(self._recipients)!r}, username={self._username!r}, password={password}, "
            f"starttls={self._starttls})"
        )

    async def send(self, page: PageRequest) -> Delivery:
        """Mail ``page``; return its classified :class:`Delivery` (never raises for I/O)."""
        message = page_message(page, sender=self._sender, recipients=self._recipients, now=self._clock.now())
        delivery = await self._deliver(message)
        log.info(
            "smtp %s:%s: %s dedup_key=%s: %s %s",
            self._host,
            self._port,
            page.action.value,
            page.dedup_key,
            delivery.outcome.value,
            delivery.detail,
        )
        return delivery

    async def send_digest(self, subject: str, text: str, html: str | None = None) -> Delivery:
        """Mail a digest or report (``html`` already rendered and escaped by the caller)."""
        message = digest_message(
            subject, text, html, sender=self._sender, recipients=self._recipients, now=self._clock.now()
        )
        delivery = await self._deliver(message)
        log.info(
            "smtp %s:%s: digest %r: %s %s",
            self._host,
            self._port,
            subject,
            delivery.outcome.value,
            delivery.detail,
        )
        return delivery

    async def _deliver(self, message: EmailMessage) -> Delivery:
        return self._scrub(await asyncio.to_thread(self._session, message))

    def _session(self, message: EmailMessage) -> Delivery:
        """One SMTP session, blocking (runs in a worker thread)."""
        try:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        except (smtplib.SMTPException, OSError) as error:
            return classify_error(error)
        try:
            if self._starttls:
                smtp.starttls(context=self._tls_context or ssl.create_default_context())
            if self._username is not None and self._password is not None:
                smtp.login(self._username, self._password.get_secret_value())
            envelope_from = parseaddr(self._sender)[1]
            envelope_to = [parseaddr(rcpt)[1] for rcpt in self._recipients]
            refused = smtp.send_message(message, from_addr=envelope_from, to_addrs=envelope_to)
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            return classify_error(error)
        _quit(smtp)
        return accepted(envelope_to, refused)

    def _scrub(self, delivery: Delivery) -> Delivery:
        secret = self._password.get_secret_value() if self._password is not None else ""
        if not secret or secret not in delivery.detail:
            return delivery
        return Delivery(delivery.outcome, delivery.detail.replace(secret, REDACTED), delivery.retry_after)


def _quit(smtp: smtplib.SMTP) -> None:
    """Say QUIT politely; the mail is already accepted, so a failure here changes nothing."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()

"""SMTP outcomes -> a classified :class:`Delivery`. Pure.

Place in the flow: :class:`~integrations.smtp.pager.SmtpPager` runs one smtplib session and calls
:func:`classify_error` with whatever it raised, or :func:`accepted` with the recipients the
server refused. The outbox then retries recoverable deliveries and reports permanent ones.

RFC 5321 section 4.2.1: a ``4yz`` reply is a transient failure ("the same command may succeed
later": 421 service closing, 450/451/452 mailbox busy, local error, storage full), a ``5yz`` reply
is permanent ("the same request ... will fail again": 550 no such user, 535 bad credentials,
552/554 rejected). So:

==============================================  ===========
 what happened                                   outcome
==============================================  ===========
 every recipient accepted                        ok
 some refused, some accepted                     ok [1]
 4yz reply (any command, incl. the banner)       recoverable
 5yz reply                                       permanent
 refused connection, timeout, dropped, TLS       recoverable
 server lacks STARTTLS/AUTH we were told to use  permanent
==============================================  ===========

[1] the detail lists the refused; re-sending would duplicate the mail for the others. A server
without STARTTLS/AUTH is a configuration problem that retrying cannot fix.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence

from alerter.notify.pager import Delivery, Outcome

MAX_DETAIL_CHARS = 300

Refused = Mapping[str, tuple[int, bytes]]


def accepted(recipients: Sequence[str], refused: Refused) -> Delivery:
    """A session that ended in 250 for the data: OK, naming any recipients the server refused."""
    taken = len(recipients) - len(refused)
    if not refused:
        return Delivery(Outcome.OK, f"250: accepted for {taken} recipient{'s' * (taken != 1)}")
    return Delivery(
        Outcome.OK,
        _cut(f"250: accepted for {taken} of {len(recipients)} recipients; refused: {_list(refused)}"),
    )


def classify_error(error: BaseException) -> Delivery:
    """Classify what smtplib (or the socket under it) raised; see the module table."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _by_codes(
            [code for code, _ in error.recipients.values()],
            f"all recipients refused: {_list(error.recipients)}",
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return _by_codes([error.smtp_code], f"{error.smtp_code}: {_text(error.smtp_error)}")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        # smtplib reports a reply that never came as "Connection unexpectedly closed: timed out".
        kind = "timeout" if isinstance(error.__context__, TimeoutError) else "disconnected"
        return Delivery(Outcome.RECOVERABLE, _cut(f"{kind}: {error}"))
    if isinstance(error, smtplib.SMTPException):
        return Delivery(Outcome.PERMANENT, _cut(f"not possible with this server: {error}"))
    if isinstance(error, TimeoutError):
        return Delivery(Outcome.RECOVERABLE, _cut(f"timeout: {type(error).__name__}: {error}"))
    return Delivery(Outcome.RECOVERABLE, _cut(f"network error: {type(error).__name__}: {error}"))


def _by_codes(codes: Sequence[int], detail: str) -> Delivery:
    # Anything but a 5yz (4yz, or -1 for a garbled reply) may work next time.
    permanent = all(500 <= code < 600 for code in codes)
    return Delivery(Outcome.PERMANENT if permanent else Outcome.RECOVERABLE, _cut(detail))


def _list(refused: Refused) -> str:
    return "; ".join(f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in refused.items())


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def _cut(text: str) -> str:
    return text[:MAX_DETAIL_CHARS]

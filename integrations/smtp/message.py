"""A :class:`PageRequest` (or a digest) -> an e-mail message. Pure.

Place in the flow: :class:`~integrations.smtp.pager.SmtpPager` builds the message here and hands
it to smtplib. Bodies come from the jinja2 templates beside this module (``templates/page.txt``
and ``templates/page.html``); HTML autoescaping is on, so a summary or custom detail holding
``<script>`` is shown, not run, and only http(s)/mailto links become clickable.

Headers: ``Subject`` says action, severity and summary (``[TRIGGERED] CRITICAL: disk full on db1``);
``References`` names the incident, so mail clients thread trigger, acknowledge and resolve of one
incident together; ``Auto-Submitted: auto-generated`` (RFC 3834) keeps vacation responders quiet.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from alerter.clock import to_datetime
from alerter.notify.pager import PageAction, PageRequest, PageSeverity

MAX_SUBJECT_CHARS = 200
ELLIPSIS = "…"
CLICKABLE_SCHEMES = ("http", "https", "mailto")
TEMPLATES = Path(__file__).parent / "templates"

_LABELS = {
    PageAction.TRIGGER: "TRIGGERED",
    PageAction.ACKNOWLEDGE: "ACKNOWLEDGED",
    PageAction.RESOLVE: "RESOLVED",
}
_COLOURS = {
    PageSeverity.CRITICAL: "#b00020",
    PageSeverity.ERROR: "#d14900",
    PageSeverity.WARNING: "#b58900",
    PageSeverity.INFO: "#1d63c4",
}


@dataclass(frozen=True, slots=True)
class _Link:
    href: str
    text: str
    clickable: bool


def subject(page: PageRequest) -> str:
    """One line: ``[TRIGGERED] CRITICAL: <summary>``, or ``[RESOLVED] <summary or key>``.

    Severity is shown for triggers only (an acknowledge or resolve page carries none of its own).
    Line breaks are folded to spaces (a header cannot hold them) and long subjects are cut.
    """
    text = page.summary or page.dedup_key
    if page.action is PageAction.TRIGGER:
        text = f"{page.severity.value.upper()}: {text}"
    return _cut(" ".join(f"[{_LABELS[page.action]}] {text}".split()), MAX_SUBJECT_CHARS)


def page_message(page: PageRequest, *, sender: str, recipients: Sequence[str], now: float) -> EmailMessage:
    """The multipart/alternative (plain text + HTML) message for ``page``, dated ``now``."""
    context = _context(page)
    message = _envelope(subject(page), sender=sender, recipients=recipients, now=now)
    thread = hashlib.sha256(page.dedup_key.encode()).hexdigest()[:32]
    message["References"] = f"<incident-{thread}@alerter>"
    message["X-Alerter-Action"] = page.action.value
    message["X-Alerter-Dedup-Key"] = " ".join(page.dedup_key.split())
    message.set_content(_render("page.txt", context))
    message.add_alternative(_render("page.html", context), subtype="html")
    return message


def digest_message(
    title: str, text: str, html: str | None, *, sender: str, recipients: Sequence[str], now: float
) -> EmailMessage:
    """A digest or report mail: ``text``, plus ``html`` as the alternative if given.

    ``html`` is used as is: the caller rendered it (with escaping) from its own template.
    """
    message = _envelope(
        _cut(" ".join(title.split()), MAX_SUBJECT_CHARS), sender=sender, recipients=recipients, now=now
    )
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _envelope(title: str, *, sender: str, recipients: Sequence[str], now: float) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(to_datetime(now))
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "alerter.local")
    message["Auto-Submitted"] = "auto-generated"
    return message


def _context(page: PageRequest) -> dict[str, object]:
    optional = {"Component": page.component, "Group": page.group, "Class": page.class_}
    return {
        "page": page,
        "title": subject(page),
        "triggered": page.action is PageAction.TRIGGER,
        "colour": _COLOURS[page.severity] if page.action is PageAction.TRIGGER else "#2e7d32",
        "facts": [(name, value) for name, value in optional.items() if value],
        "details": [(name, _show(value)) for name, value in page.custom_details.items()],
        "links": [
            _Link(link.href, link.text, urlsplit(link.href).scheme.lower() in CLICKABLE_SCHEMES)
            for link in page.links
        ],
    }


def _show(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


@functools.cache
def _environment() -> jinja2.Environment:
    # Our own templates, not user input: a plain (unsandboxed) environment; autoescape for .html.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _render(name: str, context: dict[str, object]) -> str:
    return _environment().get_template(name).render(context)

"""Generic and Slack webhook bodies for a :class:`PageRequest`, and their signature. Pure.

Place in the flow: ``notify`` hands a page to :class:`~integrations.webhook.pager.WebhookPager`,
which builds the body here, signs it and POSTs it. Two shapes:

* generic (:func:`build_generic`): every ``PageRequest`` field as flat JSON, ``"version": 1``, for
  receivers we or a team write (chat bridges, ticketing glue);
* Slack incoming webhook (:func:`build_slack`): ``{"text": fallback, "blocks": [...]}``; also read by
  Mattermost and Rocket.Chat. Slack's limits are applied here: header text <= 150 characters,
  section text <= 3000, at most 10 fields per section
  (https://api.slack.com/reference/block-kit/blocks).

Signature (:func:`signature`): ``X-Alerter-Signature: v1=<hex HMAC-SHA256 of the raw body>``, the
same scheme PagerDuty uses for its webhooks, so a receiver verifies exactly the bytes it received.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

from alerter.notify.pager import PageAction, PageLink, PageRequest

SIGNATURE_HEADER = "X-Alerter-Signature"
BODY_VERSION = 1
SLACK_HEADER_CHARS = 150
SLACK_TEXT_CHARS = 3000
SLACK_FIELD_CHARS = 2000
SLACK_MAX_FIELDS = 10
ELLIPSIS = "…"
LINK_SCHEMES = ("http", "https", "mailto")

_TITLES = {
    PageAction.TRIGGER: (":rotating_light:", "Triggered"),
    PageAction.ACKNOWLEDGE: (":eyes:", "Acknowledged"),
    PageAction.RESOLVE: (":white_check_mark:", "Resolved"),
}


def build_generic(page: PageRequest) -> dict[str, Any]:
    """The generic JSON body: every page field under its ``PageRequest`` name (``class_`` is ``class``)."""
    return {"version": BODY_VERSION, **page.to_dict()}


def build_slack(page: PageRequest) -> dict[str, Any]:
    """Slack's incoming-webhook body: ``text`` (notification fallback) and Block Kit ``blocks``."""
    emoji, title = _TITLES[page.action]
    headline = f"{title}: {page.summary or page.dedup_key}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"{emoji} {headline}", SLACK_HEADER_CHARS)},
        {"type": "section", "fields": _fields(page)},
    ]
    if page.custom_details:
        lines = [f"*{_escape(name)}*: {_escape(_show(value))}" for name, value in page.custom_details.items()]
        blocks.append({"type": "section", "text": _mrkdwn("\n".join(lines), SLACK_TEXT_CHARS)})
    links = [_slack_link(link) for link in page.links]
    if links:
        blocks.append({"type": "section", "text": _mrkdwn(" · ".join(links), SLACK_TEXT_CHARS)})
    return {"text": _escape(f"{headline} ({page.severity.value}, {page.dedup_key})"), "blocks": blocks}


def encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON; ``default=str`` so a datetime in custom_details is shown, not fatal."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def signature(raw_body: bytes, secret: str) -> str:
    """The ``X-Alerter-Signature`` value for ``raw_body``: ``v1=`` + hex HMAC-SHA256 keyed by ``secret``."""
    return "v1=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def _fields(page: PageRequest) -> list[dict[str, Any]]:
    facts = {
        "Severity": page.severity.value,
        "Key": page.dedup_key,
        "Source": page.source,
        "Component": page.component,
        "Group": page.group,
        "Class": page.class_,
    }
    shown = [f"*{name}*\n{_escape(value)}" for name, value in facts.items() if value]
    return [_mrkdwn(text, SLACK_FIELD_CHARS) for text in shown[:SLACK_MAX_FIELDS]]


def _slack_link(link: PageLink) -> str:
    """``<href|text>`` for a web/mail link; any other scheme (``javascript:``) is shown as text only."""
    text = _escape(link.text or link.href).replace("|", "¦")
    if urlsplit(link.href).scheme.lower() not in LINK_SCHEMES:
        return text
    return f"<{link.href.replace('>', '%3E').replace('|', '%7C')}|{text}>"


def _show(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _escape(text: str) -> str:
    """Slack mrkdwn control characters (&, <, >) as entities, so user text cannot forge links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, limit)}

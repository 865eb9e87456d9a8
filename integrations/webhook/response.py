"""Webhook answers -> a classified :class:`Delivery`. Pure.

Place in the flow: :class:`~integrations.webhook.pager.WebhookPager` POSTs a page and calls
:func:`classify_response` (or :func:`classify_transport_error` when no answer came); the outbox
retries recoverable deliveries and reports permanent ones.

=========  ==========================================================  ============
 status     meaning                                                     outcome
=========  ==========================================================  ============
 2xx        delivered (Slack answers ``200 ok``)                        ok
 429        throttled; ``Retry-After`` seconds if sent (Slack does)     recoverable
 5xx        the receiver failed                                         recoverable
 network    refused, reset, timeout                                     recoverable
 other      3xx/4xx: wrong URL, revoked or archived channel, bad body   permanent
=========  ==========================================================  ============

Slack's codes: https://api.slack.com/messaging/webhooks#handling_errors (``400 invalid_payload``,
``403 action_prohibited``, ``404 no_service``, ``410 channel_is_archived``, ``500 rollup_error``)
and https://api.slack.com/apis/rate-limits (``429`` + ``Retry-After``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from alerter.notify.pager import Delivery, Outcome

MAX_DETAIL_CHARS = 300


def classify_response(status: int, body: bytes, headers: Mapping[str, str]) -> Delivery:
    """Classify one HTTP answer (``headers`` keys lower-case, as httpx gives them)."""
    detail = f"{status}: {_describe(body)}"
    if 200 <= status < 300:
        return Delivery(Outcome.OK, detail)
    if status == 429 or status >= 500:
        return Delivery(Outcome.RECOVERABLE, detail, _seconds(headers.get("retry-after")))
    return Delivery(Outcome.PERMANENT, detail)


def classify_transport_error(kind: str, error: BaseException) -> Delivery:
    """No HTTP answer (timeout, refused, dropped): always recoverable."""
    return Delivery(Outcome.RECOVERABLE, f"{kind}: {type(error).__name__}: {error}"[:MAX_DETAIL_CHARS])


def _describe(body: bytes) -> str:
    text = body[:MAX_DETAIL_CHARS].decode("utf-8", "replace").strip()
    return " ".join(text.split()) or "(empty body)"


def _seconds(value: str | None) -> float | None:
    """Retry-After as delta-seconds; the HTTP-date form is ignored (the outbox's backoff applies)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) and seconds >= 0 else None

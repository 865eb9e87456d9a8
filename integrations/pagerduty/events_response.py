"""PagerDuty Events API v2: an HTTP answer -> a classified :class:`Delivery`. Pure.

Place in the flow: :class:`~integrations.pagerduty.events.PagerDutyPager` sends an event and calls
:func:`classify_response` (or :func:`classify_transport_error` when no answer came). The outbox
then retries recoverable deliveries and reports permanent ones; it never sees a status code.

The table is PagerDuty's own ("API Response Codes & Retry Logic"):
https://developer.pagerduty.com/docs/events-api-v2/overview/#response-codes--retry-logic

=========  ===========================================  ============
 status     meaning                                      outcome
=========  ===========================================  ============
 202        accepted for asynchronous processing          ok
 400        invalid event: retrying cannot help          permanent
 429        throttled (~120 events/min per key)           recoverable
 5xx        PagerDuty failed                              recoverable
 network    error or timeout talking to PagerDuty        recoverable
 other 4xx  not in the table: the request is wrong       permanent
=========  ===========================================  ============
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from alerter.notify.pager import Delivery, Outcome

# https://developer.pagerduty.com/docs/events-api-v2/rate-limits/ advises retrying a 429
# "3 times with each request being 30 seconds apart"; the Events API sends no Retry-After.
DEFAULT_THROTTLE_RETRY_AFTER = 30.0
MAX_DETAIL_CHARS = 300


def classify_response(status: int, body: bytes, headers: Mapping[str, str]) -> Delivery:
    """Classify one HTTP answer from ``/v2/enqueue`` (``headers`` keys lower-case)."""
    if 200 <= status < 300:
        return Delivery(Outcome.OK, f"{status}: {_describe(body)}")
    if status == 429:
        wait = _retry_after(headers.get("retry-after"))
        return Delivery(Outcome.RECOVERABLE, f"429: throttled; retry in {wait:g}s", retry_after=wait)
    if status >= 500:
        return Delivery(Outcome.RECOVERABLE, f"{status}: {_describe(body)}", _retry_after_or_none(headers))
    return Delivery(Outcome.PERMANENT, f"{status}: {_describe(body)}")


def classify_transport_error(kind: str, error: BaseException) -> Delivery:
    """A request that got no HTTP answer (timeout, refused, dropped) is always recoverable."""
    return Delivery(Outcome.RECOVERABLE, f"{kind}: {type(error).__name__}: {error}"[:MAX_DETAIL_CHARS])


def _describe(body: bytes) -> str:
    """PagerDuty's own words: ``message`` (+ ``errors``), or the start of a non-JSON body."""
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return body[:MAX_DETAIL_CHARS].decode("utf-8", "replace") or "(empty body)"
    if not isinstance(data, dict):
        return str(data)[:MAX_DETAIL_CHARS]
    text = str(data.get("message") or data.get("status") or "(empty body)")
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        text += ": " + "; ".join(str(e) for e in errors)
    if data.get("dedup_key"):
        text += f" (dedup_key={data['dedup_key']})"
    return text[:MAX_DETAIL_CHARS]


def _retry_after(value: str | None) -> float:
    parsed = _seconds(value)
    return DEFAULT_THROTTLE_RETRY_AFTER if parsed is None else parsed


def _retry_after_or_none(headers: Mapping[str, str]) -> float | None:
    return _seconds(headers.get("retry-after"))


def _seconds(value: str | None) -> float | None:
    """Retry-After in delta-seconds; an HTTP-date form is ignored (the caller has a default)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None

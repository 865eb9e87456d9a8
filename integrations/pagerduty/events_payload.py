"""PagerDuty Events API v2: a :class:`PageRequest` -> the JSON body PagerDuty expects. Pure.

Place in the flow: ``notify`` hands a page to :class:`~integrations.pagerduty.events.PagerDutyPager`,
which calls :func:`build_event` here and sends the result. Everything that depends on PagerDuty's
documented limits lives here so it can be tested without a network:

* ``payload.summary`` <= 1024 characters: longer summaries are cut, ending in an ellipsis;
* ``dedup_key`` <= 255 characters: a longer incident key is replaced by a stable digest, so the
  trigger, acknowledge and resolve of one incident still share one key;
* whole body <= 512 KB: an oversized ``custom_details`` is replaced by a short note rather than
  losing the page.

Acknowledge and resolve carry only ``routing_key``, ``event_action`` and ``dedup_key``: PagerDuty
needs no payload for them (pypd wrongly demanded one).
Docs: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from alerter.notify.pager import PageAction, PageRequest

MAX_SUMMARY_CHARS = 1024
MAX_DEDUP_KEY_CHARS = 255
MAX_BODY_BYTES = 512 * 1024
ELLIPSIS = "…"
OVERSIZE_NOTE = "custom_details dropped: the event exceeded PagerDuty's 512 KB limit"


def truncate_summary(summary: str, limit: int = MAX_SUMMARY_CHARS) -> str:
    """``summary`` if it fits ``limit`` characters, else its first ``limit - 1`` characters + "…".

    Python strings index code points, so the cut never splits a UTF-8 sequence; trailing
    whitespace before the ellipsis is dropped so the cut reads cleanly.
    """
    if len(summary) <= limit:
        return summary
    return summary[: limit - 1].rstrip() + ELLIPSIS


def fit_dedup_key(key: str, limit: int = MAX_DEDUP_KEY_CHARS) -> str:
    """``key`` if it fits ``limit`` characters, else a readable prefix + its SHA-256 (stable)."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: limit - len(digest) - 1]}~{digest}"


def build_event(page: PageRequest, routing_key: str) -> dict[str, Any]:
    """The ``/v2/enqueue`` body for ``page``. ``routing_key`` is the integration key (a secret)."""
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": page.action.value,
        "dedup_key": fit_dedup_key(page.dedup_key),
    }
    if page.action is PageAction.TRIGGER:
        body["payload"] = _payload(page)
        if page.links:
            body["links"] = [_link(link.href, link.text) for link in page.links]
    return body


def encode_event(body: dict[str, Any]) -> bytes:
    """JSON bytes of ``body`` within 512 KB, dropping ``custom_details`` if that is what it takes."""
    data = _dumps(body)
    if len(data) <= MAX_BODY_BYTES or "payload" not in body:
        return data
    slim = {**body, "payload": {**body["payload"], "custom_details": {"note": OVERSIZE_NOTE}}}
    return _dumps(slim)


def _payload(page: PageRequest) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "summary": truncate_summary(page.summary),
        "source": page.source,
        "severity": page.severity.value,
    }
    optional = {"component": page.component, "group": page.group, "class": page.class_}
    payload.update({name: value for name, value in optional.items() if value})
    if page.custom_details:
        payload["custom_details"] = dict(page.custom_details)
    return payload


def _link(href: str, text: str) -> dict[str, str]:
    return {"href": href, "text": text} if text else {"href": href}


def _dumps(body: dict[str, Any]) -> bytes:
    # default=str: a datetime or Decimal in custom_details is shown, not a reason to lose the page.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()

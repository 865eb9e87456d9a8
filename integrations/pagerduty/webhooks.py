"""PagerDuty webhooks v3 in: verify, parse and de-duplicate the callbacks PagerDuty sends.

Place in the flow: when the person on call acknowledges, resolves or reopens an incident in
PagerDuty, PagerDuty POSTs a webhook to alerter. The web app (a later step) passes the raw body and
headers to :func:`handle_pagerduty_webhook`, which verifies the signature, drops redeliveries,
parses the event into the notify stage's :class:`~alerter.notify.inbound.IncidentUpdate` and hands
it to the ``apply`` callable the composition root wired to the incidents stage. Framework-free:
no Starlette here, and everything but ``apply`` is pure or in-memory.

Contract (``PagerDuty/developer-docs`` ``docs/webhooks/0{1,2,4}-*.md``, written out in
``../shared/pagerduty/README.md``):

* ``X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]``: HMAC-SHA256 of the **raw body** keyed by the
  subscription's secret, one value per active secret while secrets rotate. Accept if any matches.
* ``X-Webhook-Id``: unique per webhook, repeated on every redelivery (delivery is at-least-once).
* Body ``{"event": {"id", "event_type", "resource_type", "occurred_at", "agent", "client", "data"}}``.

Which field carries our key: alerter pages with Events API v2 ``dedup_key``; PagerDuty stores it as
the alert's ``alert_key`` and, for the incident that event opened, as the incident's
``incident_key`` ("the incident's de-duplication key"). So ``event.data.incident_key`` is our key;
``event.data.id`` (e.g. ``PGR0VU2``) is PagerDuty's own incident id and means nothing to alerter.
Caveats: :func:`~integrations.pagerduty.events_payload.fit_dedup_key` shortens keys over 255
characters before sending, so a consumer with such keys compares against ``fit_dedup_key(key)``;
incidents opened by hand in PagerDuty carry a key PagerDuty generated, which the sink will not know
and should ignore.

Answers follow PagerDuty's retry rules: 2xx = done; 401/400 = dropped, never retried (a bad
signature or a body that will never parse); an exception from ``apply`` propagates so the web
layer answers 5xx and PagerDuty redelivers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import SecretStr

from alerter.clock import Clock, from_datetime
from alerter.notify.inbound import IncidentUpdate, UpdateKind, UpdateSink

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-pagerduty-signature"
WEBHOOK_ID_HEADER = "x-webhook-id"
SIGNATURE_SCHEME = "v1="

# The event types that change an incident's state in alerter; every other type is acknowledged
# with 200 and ignored (PagerDuty disables a subscription after 3 dropped webhooks in a row).
EVENT_KINDS: Mapping[str, UpdateKind] = {
    "incident.acknowledged": UpdateKind.ACKNOWLEDGED,
    "incident.resolved": UpdateKind.RESOLVED,
    "incident.reopened": UpdateKind.REOPENED,
}

# PagerDuty redelivers for up to 48 h, so remembering an id longer than that drops nothing more.
DEFAULT_SEEN_TTL = 48 * 3600.0
DEFAULT_SEEN_CAPACITY = 10_000


class MalformedWebhook(ValueError):
    """The body is not a webhooks v3 event alerter can read (message says which part)."""


def verify_signature(raw_body: bytes, header: str, secrets: Sequence[SecretStr]) -> bool:
    """True if any ``v1=`` value in ``header`` is the HMAC-SHA256 of ``raw_body`` under any secret.

    Several secrets support rotation (old and new both valid for a while); several ``v1=`` values
    are PagerDuty's side of the same rotation. Every comparison is constant-time. No secret, no
    header or no well-formed value means False: the receiver fails closed. Empty secrets are
    skipped (an empty HMAC key would accept anyone who knows that it is empty).
    """
    candidates = [
        part.strip()[len(SIGNATURE_SCHEME) :].lower().encode("utf-8", "replace")
        for part in header.split(",")
        if part.strip().startswith(SIGNATURE_SCHEME)
    ]
    expected = [
        hmac.new(key.encode(), raw_body, hashlib.sha256).hexdigest().encode()
        for key in (secret.get_secret_value() for secret in secrets)
        if key
    ]
    # No early exit: the time taken does not tell which secret or value matched.
    matched = False
    for good in expected:
        for candidate in candidates:
            matched |= hmac.compare_digest(good, candidate)
    return matched


def parse_webhook(raw_body: bytes, *, webhook_id: str = "") -> IncidentUpdate | None:
    """The :class:`IncidentUpdate` a webhook body reports, or ``None`` when alerter ignores it.

    ``None``: an event type other than ``incident.acknowledged``/``resolved``/``reopened``, or an
    incident without an ``incident_key``. Raises :class:`MalformedWebhook` if the body is not JSON
    or lacks the fields the contract promises for a handled type.
    """
    event = _event(raw_body)
    event_type = event.get("event_type")
    if not isinstance(event_type, str):
        raise MalformedWebhook("event.event_type: missing or not a string")
    kind = EVENT_KINDS.get(event_type)
    if kind is None:
        return None
    data = event.get("data")
    if not isinstance(data, dict):
        raise MalformedWebhook(f"{event_type}: event.data: missing or not an object")
    incident_key = data.get("incident_key")
    if not isinstance(incident_key, str) or not incident_key:
        return None
    at = _occurred_at(event.get("occurred_at"), event_type)
    return IncidentUpdate(kind, incident_key, _actor(event.get("agent")), at, webhook_id)


def _event(raw_body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedWebhook(f"body is not JSON: {error}") from None
    event = document.get("event") if isinstance(document, dict) else None
    if not isinstance(event, dict):
        raise MalformedWebhook('body: expected {"event": {...}}')
    return event


def _occurred_at(value: object, event_type: str) -> float:
    """``occurred_at`` (ISO 8601 with offset, e.g. ``2026-11-28T05:21:00.169Z``) as POSIX seconds."""
    try:
        return from_datetime(datetime.fromisoformat(str(value)))
    except ValueError:
        raise MalformedWebhook(
            f"{event_type}: event.occurred_at: {value!r} is not an ISO 8601 time with a timezone"
        ) from None


def _actor(agent: object) -> str | None:
    """Who acted: the agent reference's display name (``summary``), else its id; ``None`` if absent."""
    if not isinstance(agent, dict):
        return None
    for field in ("summary", "id"):
        value = agent.get(field)
        if isinstance(value, str) and value:
            return value
    return None


class SeenWebhooks:
    """The ``X-Webhook-Id`` values already handled, so a redelivery is dropped; bounded memory.

    An id is remembered for ``ttl`` seconds of ``clock`` time, and at most ``capacity`` ids are kept
    (the oldest go first). Forgetting early is safe, only wasteful: a late redelivery is applied
    again, and acknowledging an acknowledged incident changes nothing. Memory is lost on restart
    for the same reason.
    """

    def __init__(
        self, clock: Clock, *, capacity: int = DEFAULT_SEEN_CAPACITY, ttl: float = DEFAULT_SEEN_TTL
    ) -> None:
        if capacity < 1 or ttl <= 0:
            raise ValueError(f"SeenWebhooks needs capacity >= 1 and ttl > 0 (got {capacity}, {ttl})")
        self._clock = clock
        self._capacity = capacity
        self._ttl = ttl
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __contains__(self, webhook_id: object) -> bool:
        self._forget_expired()
        return webhook_id in self._expiry

    def __len__(self) -> int:
        self._forget_expired()
        return len(self._expiry)

    def add(self, webhook_id: str) -> None:
        """Remember ``webhook_id`` for ``ttl`` from now, evicting the oldest ids beyond capacity."""
        self._forget_expired()
        self._expiry[webhook_id] = self._clock.now() + self._ttl
        self._expiry.move_to_end(webhook_id)
        while len(self._expiry) > self._capacity:
            self._expiry.popitem(last=False)

    def _forget_expired(self) -> None:
        # Insertion order is expiry order (one ttl, a clock that does not go back), so only the
        # front can be expired.
        now = self._clock.now()
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)


class WebhookResult(StrEnum):
    """What the receiver did with one delivery (logged, and the ``result`` of the answer body)."""

    APPLIED = "applied"
    IGNORED = "ignored"  # authentic, but not an event alerter acts on
    DUPLICATE = "duplicate"  # a redelivery of an X-Webhook-Id already handled
    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"


class WebhookReply(NamedTuple):
    """The HTTP answer for the web layer: ``status_code`` and a small JSON ``body``."""

    status_code: int
    body: str


_STATUS = {
    WebhookResult.APPLIED: 200,
    WebhookResult.IGNORED: 200,
    WebhookResult.DUPLICATE: 200,
    WebhookResult.BAD_SIGNATURE: 401,
    WebhookResult.MALFORMED: 400,
}


def handle_pagerduty_webhook(
    raw_body: bytes,
    headers: Mapping[str, str],
    secrets: Sequence[SecretStr],
    seen: SeenWebhooks,
    apply: UpdateSink,
) -> WebhookReply:
    """Handle one webhooks v3 POST: verify, de-duplicate, parse, ``apply``; return the answer.

    401 for a bad or missing signature and 400 for an unreadable body, both changing nothing;
    200 for applied, ignored and duplicate deliveries. ``headers`` may use any case. An exception
    from ``apply`` propagates and the id is not remembered, so PagerDuty's redelivery retries it.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    webhook_id = lowered.get(WEBHOOK_ID_HEADER, "")
    if not verify_signature(raw_body, lowered.get(SIGNATURE_HEADER, ""), secrets):
        return _reply(WebhookResult.BAD_SIGNATURE, webhook_id, "signature does not match")
    if webhook_id and webhook_id in seen:
        return _reply(WebhookResult.DUPLICATE, webhook_id, "already handled")
    try:
        update = parse_webhook(raw_body, webhook_id=webhook_id)
    except MalformedWebhook as error:
        return _reply(WebhookResult.MALFORMED, webhook_id, str(error))
    if update is not None:
        apply(update)
    if webhook_id:
        seen.add(webhook_id)
    if update is None:
        return _reply(WebhookResult.IGNORED, webhook_id, "not an event alerter acts on")
    return _reply(WebhookResult.APPLIED, webhook_id, f"{update.kind.value} {update.incident_key}")


def _reply(result: WebhookResult, webhook_id: str, detail: str) -> WebhookReply:
    level = logging.WARNING if _STATUS[result] >= 400 else logging.INFO
    log.log(level, "pagerduty webhook %s: %s: %s", webhook_id or "(no id)", result.value, detail)
    return WebhookReply(_STATUS[result], json.dumps({"result": result.value, "detail": detail}))

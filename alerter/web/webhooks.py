"""``POST /webhooks/pagerduty``: PagerDuty's webhooks v3 in, passed on as the RAW body.

Place in the flow: PagerDuty -> **here** (size cap, raw bytes) -> the handler the composition root
wired (``integrations.pagerduty.webhooks.handle_pagerduty_webhook`` with the subscription secrets,
a ``SeenWebhooks`` and an update sink) -> the incidents stage. The web stage never imports
``integrations``: it gets the handler as a callable. The signature is an HMAC of the exact bytes
PagerDuty sent, so the body is never parsed or re-encoded before the handler has checked it.

No session or token: the signature is the credential (a bad one is 401 and changes nothing).
A body over :data:`MAX_BODY` bytes is refused with 413 before it is read to the end.

:func:`incident_store_sink` is the default update sink: an acknowledge or resolve done in
PagerDuty is applied to the incident with the same key (PagerDuty's ``incident_key`` is our
dedup key); a reopen is left to the next evaluation, which reopens it if its alerts still fire.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response

from alerter.incidents.lifecycle import IncidentStateError
from alerter.incidents.store import IncidentStore
from alerter.incidents.unit import UnknownIncident
from alerter.notify.inbound import IncidentUpdate, UpdateKind, UpdateSink

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
DEFAULT_ACTOR = "pagerduty"

WebhookHandler = Callable[[bytes, Mapping[str, str]], tuple[int, str]]
"""``(raw_body, headers) -> (status_code, json_body)``; ``WebhookReply`` is such a tuple."""


class BodyTooLarge(ValueError):
    """The request body is over the cap."""


async def read_capped(request: Request, cap: int = MAX_BODY) -> bytes:
    """The raw body, or BodyTooLarge as soon as it passes ``cap`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise BodyTooLarge(f"body of {declared} bytes is over the {cap}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge(f"body is over the {cap}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def webhook_router(handler: WebhookHandler | None) -> APIRouter:
    """The ``/webhooks/pagerduty`` route; without a handler it answers 404 (not configured)."""
    router = APIRouter(include_in_schema=False)

    @router.post("/webhooks/pagerduty")
    async def pagerduty(request: Request) -> Response:
        if handler is None:
            return _json(404, '{"result": "not_configured", "detail": "no PagerDuty webhook is configured"}')
        try:
            raw = await read_capped(request)
        except BodyTooLarge as exc:
            log.warning("pagerduty webhook: %s", exc)
            return _json(413, '{"result": "too_large", "detail": "body over 256 KiB"}')
        code, body = handler(raw, dict(request.headers))
        return _json(code, body)

    return router


def incident_store_sink(store: IncidentStore) -> UpdateSink:
    """An update sink applying PagerDuty acks and resolves to ``store`` (see the module doc).

    An unknown key (an incident opened by hand in PagerDuty) and an ack of an incident already
    resolved here are logged and dropped: redelivering them would never succeed.
    """

    def apply(update: IncidentUpdate) -> None:
        who = update.actor or DEFAULT_ACTOR
        try:
            if update.kind is UpdateKind.ACKNOWLEDGED:
                store.acknowledge(update.incident_key, who, update.at, "acknowledged in PagerDuty")
            elif update.kind is UpdateKind.RESOLVED:
                store.resolve(update.incident_key, who, update.at, "resolved in PagerDuty")
        except (UnknownIncident, IncidentStateError) as exc:
            log.info(
                "pagerduty webhook %s: %s %s ignored: %s",
                update.webhook_id,
                update.kind.value,
                update.incident_key,
                exc,
            )

    return apply


def _json(code: int, body: str) -> Response:
    return Response(body, status_code=code, media_type="application/json")


__all__ = [
    "MAX_BODY",
    "BodyTooLarge",
    "WebhookHandler",
    "incident_store_sink",
    "read_capped",
    "webhook_router",
]

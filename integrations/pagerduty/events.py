"""``PagerDutyPager``: the :class:`~alerter.notify.pager.Pager` that talks to PagerDuty Events API v2.

Place in the flow: the composition root (``alerter/app.py``) builds one per routing key and hands
it to the notify stage's outbox. This module is the only I/O: body building is in
:mod:`.events_payload`, classification in :mod:`.events_response`. One :meth:`send` is one POST;
the outbox owns retries and backoff, so this adapter never retries or sleeps.

The routing key is a secret: it travels only in the request body, and is scrubbed from every
``Delivery.detail`` and log line (PagerDuty or a proxy could echo it back in an error).
"""

from __future__ import annotations

import logging
from types import TracebackType

import httpx
from pydantic import SecretStr

from alerter.notify.pager import Delivery, PageRequest
from integrations.pagerduty.events_payload import build_event, encode_event
from integrations.pagerduty.events_response import classify_response, classify_transport_error

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://events.pagerduty.com"
ENQUEUE_PATH = "/v2/enqueue"  # no trailing slash: "/v2/enqueue/" is a 404 (pypd's bug)
REDACTED = "[routing_key]"


class PagerDutyPager:
    """Deliver pages through PagerDuty Events API v2 (``POST {base_url}/v2/enqueue``).

    ``client`` is the transport; pass one to share a connection pool (the caller closes it). If
    omitted, the pager makes its own client with ``timeout`` seconds and closes it in
    :meth:`aclose`. Either way every request carries ``timeout``.
    """

    def __init__(
        self,
        routing_key: SecretStr,
        *,
        base_url: str = DEFAULT_BASE_URL,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not routing_key.get_secret_value():
            raise ValueError("pagerduty: empty routing key")
        if httpx.URL(base_url).scheme not in ("http", "https"):
            raise ValueError(f"pagerduty: base_url {base_url!r} is not an http(s) URL")
        self._routing_key = routing_key
        self._url = base_url.rstrip("/") + ENQUEUE_PATH
        self._timeout = httpx.Timeout(timeout)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=self._timeout)

    def __repr__(self) -> str:
        return f"PagerDutyPager(url={self._url!r}, routing_key=SecretStr('**********'))"

    async def send(self, page: PageRequest) -> Delivery:
        """POST one event for ``page``; return its classified :class:`Delivery` (never raises for I/O)."""
        body = encode_event(build_event(page, self._routing_key.get_secret_value()))
        delivery = self._scrub(await self._post(body))
        log.info(
            "pagerduty: %s dedup_key=%s: %s %s",
            page.action.value,
            page.dedup_key,
            delivery.outcome.value,
            delivery.detail,
        )
        return delivery

    async def _post(self, body: bytes) -> Delivery:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        try:
            response = await self._client.post(
                self._url, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as error:
            return classify_transport_error("timeout", error)
        except httpx.RequestError as error:  # refused, reset, dropped, DNS, TLS, garbled answer
            return classify_transport_error("network error", error)
        return classify_response(response.status_code, response.content, response.headers)

    def _scrub(self, delivery: Delivery) -> Delivery:
        secret = self._routing_key.get_secret_value()
        if secret not in delivery.detail:
            return delivery
        return Delivery(delivery.outcome, delivery.detail.replace(secret, REDACTED), delivery.retry_after)

    async def aclose(self) -> None:
        """Close the HTTP client if this pager made it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> PagerDutyPager:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

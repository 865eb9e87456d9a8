"""``WebhookPager``: the :class:`~alerter.notify.pager.Pager` that POSTs pages to a webhook URL.

Place in the flow: the composition root (``alerter/app.py``) builds one per configured webhook
(a chat channel, a ticketing bridge) and hands it to the notify stage's outbox. Bodies and the
signature are built in :mod:`.payload`, answers classified in :mod:`.response`; this module is
the only I/O. One :meth:`send` is one POST; the outbox owns retries.

Two secrets: the optional HMAC ``secret``, and the URL itself (a Slack incoming-webhook URL is
its own credential, ``https://hooks.slack.com/services/T…/B…/<token>``). Neither appears in
``repr``, logs (httpx's request log included, see :mod:`.redact`) or ``Delivery.detail``: only
the URL's origin is ever shown.
"""

from __future__ import annotations

import logging
from types import TracebackType

import httpx
from pydantic import SecretStr

from alerter.notify.pager import Delivery, PageRequest
from integrations.webhook.payload import SIGNATURE_HEADER, build_generic, build_slack, encode, signature
from integrations.webhook.redact import redact_from_httpx_log
from integrations.webhook.response import classify_response, classify_transport_error

log = logging.getLogger(__name__)

REDACTED_SECRET = "[secret]"


class WebhookPager:
    """Deliver pages as a JSON POST to ``url``; ``slack=True`` sends Slack's incoming-webhook shape.

    With a ``secret`` every request carries ``X-Alerter-Signature: v1=<hex HMAC-SHA256 of the
    body>``. ``client`` is the transport; pass one to share a pool (the caller closes it), else the
    pager makes its own and closes it in :meth:`aclose`. Every request carries ``timeout``.
    """

    def __init__(
        self,
        url: str,
        *,
        secret: SecretStr | None = None,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        slack: bool = False,
    ) -> None:
        parsed = httpx.URL(url)
        self._origin = f"{parsed.scheme}://{parsed.netloc.decode('ascii', 'replace')}"
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"webhook: URL {self._origin}/… is not an http(s) URL")
        self._url = url
        self._path = parsed.raw_path.decode("ascii", "replace")
        redact_from_httpx_log(str(parsed), f"{self._origin}/…")
        self._secret = secret if secret is not None and secret.get_secret_value() else None
        self._slack = slack
        self._timeout = httpx.Timeout(timeout)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=self._timeout)

    def __repr__(self) -> str:
        secret = "SecretStr('**********')" if self._secret else "None"
        return f"WebhookPager(url='{self._origin}/…', secret={secret}, slack={self._slack})"

    async def send(self, page: PageRequest) -> Delivery:
        """POST ``page``; return its classified :class:`Delivery` (never raises for I/O)."""
        body = encode(build_slack(page) if self._slack else build_generic(page))
        headers = {"Content-Type": "application/json"}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = signature(body, self._secret.get_secret_value())
        delivery = self._scrub(await self._post(body, headers))
        log.info(
            "webhook %s: %s dedup_key=%s: %s %s",
            self._origin,
            page.action.value,
            page.dedup_key,
            delivery.outcome.value,
            delivery.detail,
        )
        return delivery

    async def _post(self, body: bytes, headers: dict[str, str]) -> Delivery:
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
        """Remove the URL (a credential for Slack) and the HMAC secret if a receiver echoed them."""
        detail = delivery.detail.replace(self._url, f"{self._origin}/…")
        if len(self._path) > 1:
            detail = detail.replace(self._path, "/…")
        if self._secret is not None:
            detail = detail.replace(self._secret.get_secret_value(), REDACTED_SECRET)
        if detail == delivery.detail:
            return delivery
        return Delivery(delivery.outcome, detail, delivery.retry_after)

    async def aclose(self) -> None:
        """Close the HTTP client if this pager made it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> WebhookPager:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

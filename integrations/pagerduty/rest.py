"""``PagerDutyRest``: a small client for PagerDuty's REST API v2 (the part ``alerter oncall sync`` uses).

Place in the flow: integrations; only :mod:`integrations.pagerduty.sync` (and through it the CLI)
uses it. It knows HTTP, not rotations: auth, headers, JSON, classic pagination, and waiting out
rate limits. What to read and write is decided by the sync's pure plan.

* Auth is an API key sent as ``Authorization: Token token=<key>``; the key is a ``SecretStr`` and
  never appears in ``repr``, errors or logs. Every request sends
  ``Accept: application/vnd.pagerduty+json;version=2``
  (https://developer.pagerduty.com/docs/rest-api-v2/authentication/).
* ``From: <email>`` (a user of the account) goes with every write when configured: PagerDuty
  requires it for account-level keys on some writes and uses it for change tracking on
  ``POST /escalation_policies``; endpoints that do not declare it ignore it.
* Lists use classic pagination (``limit``/``offset``/``more``); PagerDuty refuses
  ``offset + limit`` beyond 10,000, so :meth:`PagerDutyRest.paginate` stops there with an error
  instead of silently returning a partial list
  (https://developer.pagerduty.com/docs/rest-api-v2/pagination/).
* 429 means the request was not processed, so it is retried for every method, after
  ``Retry-After`` or PagerDuty's ``ratelimit-reset`` seconds when given (else 1, 2, 4 ... s), each
  wait capped at ``max_wait``, at most ``max_retries`` times
  (https://support.pagerduty.com/docs/rest-api-rate-limits). 5xx and network errors are retried
  only for GET: a POST that may have been applied must not be repeated blindly (the next sync
  reads the state and converges instead). Other 4xx are permanent and raised at once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from alerter.errors import AlerterError

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"
MAX_OFFSET_PLUS_LIMIT = 10_000
JSON = dict[str, Any]
Params = Mapping[str, str | int]


class PagerDutyApiError(AlerterError):
    """PagerDuty refused a request, or could not be reached after the retries.

    ``status`` is the HTTP status (None for a network error); the message names the request and
    PagerDuty's own error text, never the API key.
    """

    def __init__(self, method: str, path: str, status: int | None, detail: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        shown = "" if status is None else f"{status}: "
        super().__init__(f"pagerduty: {method} {path}: {shown}{detail}")


class PagerDutyRest:
    """Blocking REST API v2 client. ``client`` may be shared (the caller closes it); else one is
    made with ``timeout`` seconds and closed by :meth:`close`. ``sleep`` is how waits happen
    (tests pass a recorder)."""

    def __init__(
        self,
        token: SecretStr,
        *,
        base_url: str = DEFAULT_API_URL,
        from_email: str | None = None,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
        page_size: int = 100,
        max_retries: int = 5,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token.get_secret_value():
            raise ValueError("pagerduty: empty API token")
        if httpx.URL(base_url).scheme not in ("http", "https"):
            raise ValueError(f"pagerduty: base_url {base_url!r} is not an http(s) URL")
        if not 1 <= page_size <= 100:
            raise ValueError(f"pagerduty: page_size {page_size} is not in 1..100 (PagerDuty's maximum)")
        self._token = token
        self._base = base_url.rstrip("/")
        self._from = from_email
        self._timeout = httpx.Timeout(timeout)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=self._timeout)
        self.page_size = page_size
        self._max_retries = max_retries
        self._max_wait = max_wait
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"PagerDutyRest(base_url={self._base!r}, token=SecretStr('**********'))"

    # -- verbs -------------------------------------------------------------------------------
    def get(self, path: str, params: Params | None = None) -> JSON:
        """GET ``path``; the decoded JSON object. Raises :class:`PagerDutyApiError`."""
        answer: JSON = self._request("GET", path, params=params)
        return answer

    def post(self, path: str, body: JSON) -> Any:
        """POST ``body``; the decoded answer (an object, or a list for ``POST .../overrides``)."""
        return self._request("POST", path, body=body)

    def put(self, path: str, body: JSON) -> JSON:
        """PUT ``body`` (a whole object: PagerDuty replaces it); the decoded answer."""
        answer: JSON = self._request("PUT", path, body=body)
        return answer

    def delete(self, path: str) -> int:
        """DELETE ``path``; the status (204 deleted, or 200 for an override in progress: truncated)."""
        status: int = self._request("DELETE", path, want_status=True)
        return status

    def paginate(self, path: str, key: str, params: Params | None = None) -> Iterator[JSON]:
        """Every item of the list ``key`` at ``path``, page by page (classic offset pagination)."""
        offset = 0
        while True:
            if offset + self.page_size > MAX_OFFSET_PLUS_LIMIT:
                raise PagerDutyApiError(
                    "GET",
                    path,
                    None,
                    f"more than {offset} {key}; PagerDuty lists at most 10,000 (filter with query)",
                )
            page = self.get(path, {**(params or {}), "limit": self.page_size, "offset": offset})
            items = page.get(key) or []
            yield from items
            if not page.get("more") or not items:
                return
            offset += len(items)

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> PagerDutyRest:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- one request, with retries -------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: JSON | None = None,
        want_status: bool = False,
    ) -> Any:
        for attempt in range(1, self._max_retries + 2):
            try:
                response = self._send(method, path, params, body)
            except httpx.RequestError as error:  # refused, reset, timeout, garbled answer
                if method != "GET" or attempt > self._max_retries:
                    raise PagerDutyApiError(
                        method, path, None, f"network error: {type(error).__name__}"
                    ) from None
                self._wait(method, path, "network error", self._backoff(attempt), attempt)
                continue
            status = response.status_code
            retryable = status == 429 or (status >= 500 and method == "GET")
            if retryable and attempt <= self._max_retries:
                self._wait(method, path, str(status), self._retry_after(response, attempt), attempt)
                continue
            if status >= 400:
                raise PagerDutyApiError(method, path, status, _error_text(response))
            if want_status:
                return status
            return response.json() if response.content else {}
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _send(self, method: str, path: str, params: Params | None, body: JSON | None) -> httpx.Response:
        headers = {"Authorization": f"Token token={self._token.get_secret_value()}", "Accept": ACCEPT}
        if method != "GET" and self._from:
            headers["From"] = self._from
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body).encode()
        return self._client.request(
            method,
            self._base + path,
            params=dict(params) if params else None,
            content=content,
            headers=headers,
            timeout=self._timeout,
        )

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        for header in ("Retry-After", "ratelimit-reset"):
            value = response.headers.get(header, "").strip()
            try:
                return min(max(float(value), 0.0), self._max_wait)
            except ValueError:
                continue  # absent, or an HTTP date: fall back to backoff
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        return float(min(2.0 ** (attempt - 1), self._max_wait))

    def _wait(self, method: str, path: str, why: str, seconds: float, attempt: int) -> None:
        log.warning(
            "pagerduty: %s %s: %s; retry in %gs (attempt %d/%d)",
            method,
            path,
            why,
            seconds,
            attempt,
            self._max_retries,
        )
        self._sleep(seconds)


def _error_text(response: httpx.Response) -> str:
    """PagerDuty's ``{"error": {"code", "message", "errors"}}`` as one line, else the raw text."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return response.text[:300] or response.reason_phrase
    text = str(error.get("message") or response.reason_phrase)
    if "code" in error:
        text += f" (code {error['code']})"
    details = error.get("errors") or []
    return text + (": " + "; ".join(str(d) for d in details) if details else "")


__all__ = ["ACCEPT", "DEFAULT_API_URL", "PagerDutyApiError", "PagerDutyRest"]

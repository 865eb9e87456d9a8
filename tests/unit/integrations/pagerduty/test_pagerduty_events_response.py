"""Classification of Events API v2 answers (pure): PagerDuty's retry table."""

from __future__ import annotations

import httpx
import pytest

from alerter.notify import Outcome
from integrations.pagerduty.events_response import (
    DEFAULT_THROTTLE_RETRY_AFTER,
    classify_response,
    classify_transport_error,
)

OK_BODY = b'{"status":"success","message":"Event processed","dedup_key":"inc-1"}'
INVALID_BODY = (
    b'{"status":"invalid event","message":"Event object is invalid","errors":["payload.severity: bad"]}'
)
ERROR_BODY = b'{"status":"Internal Server Error","message":"Internal Server Error","errors":["boom"]}'


@pytest.mark.parametrize(
    ("status", "body", "headers", "outcome", "retry_after", "detail"),
    [
        (202, OK_BODY, {}, Outcome.OK, None, "202: Event processed (dedup_key=inc-1)"),
        (
            400,
            INVALID_BODY,
            {},
            Outcome.PERMANENT,
            None,
            "400: Event object is invalid: payload.severity: bad",
        ),
        (404, b"", {}, Outcome.PERMANENT, None, "404: (empty body)"),
        (413, b"<html>too big</html>", {}, Outcome.PERMANENT, None, "413: <html>too big</html>"),
        (429, b"", {}, Outcome.RECOVERABLE, DEFAULT_THROTTLE_RETRY_AFTER, "429: throttled; retry in 30s"),
        (429, b"", {"retry-after": "7"}, Outcome.RECOVERABLE, 7.0, "429: throttled; retry in 7s"),
        (
            429,
            b"",
            {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"},
            Outcome.RECOVERABLE,
            30.0,
            "429: throttled; retry in 30s",
        ),
        (500, ERROR_BODY, {}, Outcome.RECOVERABLE, None, "500: Internal Server Error: boom"),
        (502, b"bad gateway", {}, Outcome.RECOVERABLE, None, "502: bad gateway"),
        (503, b"", {"retry-after": "12"}, Outcome.RECOVERABLE, 12.0, "503: (empty body)"),
    ],
)
def test_classify_response(
    status: int,
    body: bytes,
    headers: dict[str, str],
    outcome: Outcome,
    retry_after: float | None,
    detail: str,
) -> None:
    delivery = classify_response(status, body, headers)
    assert (delivery.outcome, delivery.retry_after, delivery.detail) == (outcome, retry_after, detail)


def test_detail_is_bounded() -> None:
    delivery = classify_response(500, b"x" * 10_000, {})
    assert len(delivery.detail) < 400


def test_transport_errors_are_recoverable() -> None:
    delivery = classify_transport_error("timeout", httpx.ReadTimeout("timed out"))
    assert delivery.outcome is Outcome.RECOVERABLE
    assert delivery.detail == "timeout: ReadTimeout: timed out"
    assert delivery.retry_after is None

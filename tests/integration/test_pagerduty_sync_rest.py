"""``PagerDutyRest`` edge behaviour the fake cannot produce: rate-limit headers, retry bounds,
5xx and network errors per method, the 10,000-offset limit, and the key kept secret.

Each test scripts PagerDuty's answers with an ``httpx.MockTransport`` handler that records every
request, so the assertions are about what went over the wire; waits go to a recorder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from integrations.pagerduty.rest import ACCEPT, PagerDutyApiError, PagerDutyRest

TOKEN = "s3cret-api-key-value"
Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers in order (the last one repeats); remembers requests and waits."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self, **options: object) -> PagerDutyRest:
        transport = httpx.Client(transport=httpx.MockTransport(self))
        return PagerDutyRest(
            SecretStr(TOKEN),
            base_url="https://api.pagerduty.test",
            client=transport,
            sleep=self.sleeps.append,
            **options,  # type: ignore[arg-type]
        )


OK = httpx.Response(200, json={"users": [], "more": False})
PD_ERROR = {"error": {"code": 2001, "message": "Invalid Input Provided", "errors": ["Name is taken"]}}


@pytest.mark.parametrize(
    ("headers", "waited"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"ratelimit-reset": "12"}, 12.0),  # PagerDuty's own header
        ({"Retry-After": "3600"}, 60.0),  # bounded by max_wait
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, 1.0),  # a date: backoff instead
        ({}, 1.0),
    ],
)
def test_429_waits_as_told_within_bounds(headers: dict[str, str], waited: float) -> None:
    script = Script(httpx.Response(429, headers=headers), OK)
    assert script.client().get("/users") == {"users": [], "more": False}
    assert script.sleeps == [waited]
    assert len(script.requests) == 2


def test_429_gives_up_after_max_retries_with_growing_waits() -> None:
    script = Script(httpx.Response(429))
    with pytest.raises(PagerDutyApiError, match=r"^pagerduty: PUT /schedules/P1: 429: ") as caught:
        script.client(max_retries=3).put("/schedules/P1", {"schedule": {}})
    assert caught.value.status == 429
    assert script.sleeps == [1.0, 2.0, 4.0]
    assert len(script.requests) == 4


def test_5xx_is_retried_for_get_only() -> None:
    get = Script(httpx.Response(503), OK)
    assert get.client().get("/users")["more"] is False
    post = Script(httpx.Response(500, json={"error": {"message": "Internal Server Error"}}), OK)
    with pytest.raises(PagerDutyApiError, match="POST /schedules: 500: Internal Server Error"):
        post.client().post("/schedules", {"schedule": {}})
    assert len(post.requests) == 1  # a POST that may have been applied is not repeated


def test_network_error_is_retried_for_get_only() -> None:
    get = Script(httpx.ConnectError("refused"), OK)
    assert get.client().get("/users")["more"] is False
    assert get.sleeps == [1.0]
    post = Script(httpx.ReadTimeout("slow"), OK)
    with pytest.raises(PagerDutyApiError, match="POST /escalation_policies: network error: ReadTimeout"):
        post.client().post("/escalation_policies", {})
    assert len(post.requests) == 1


def test_4xx_is_raised_at_once_with_pagerdutys_words() -> None:
    script = Script(httpx.Response(400, json=PD_ERROR))
    with pytest.raises(PagerDutyApiError) as caught:
        script.client().post("/schedules", {"schedule": {}})
    assert str(caught.value) == (
        "pagerduty: POST /schedules: 400: Invalid Input Provided (code 2001): Name is taken"
    )
    assert script.sleeps == []


def test_headers_auth_accept_from_and_json_body() -> None:
    script = Script(httpx.Response(201, json={"schedule": {"id": "P1"}}))
    client = script.client(from_email="bot@example.com")
    client.post("/schedules", {"schedule": {"name": "x"}})
    client.get("/users")
    post, get = script.requests
    assert post.headers["authorization"] == f"Token token={TOKEN}"
    assert (post.headers["accept"], post.headers["from"]) == (ACCEPT, "bot@example.com")
    assert post.headers["content-type"] == "application/json"
    assert post.content == b'{"schedule": {"name": "x"}}'
    assert "from" not in get.headers and "content-type" not in get.headers


def test_delete_returns_the_status() -> None:
    assert Script(httpx.Response(204)).client().delete("/schedules/P1/overrides/Q1") == 204
    assert Script(httpx.Response(200)).client().delete("/schedules/P1/overrides/Q1") == 200


def test_paginate_follows_more_and_offsets() -> None:
    pages = [
        httpx.Response(200, json={"users": [{"id": "A"}, {"id": "B"}], "more": True}),
        httpx.Response(200, json={"users": [{"id": "C"}], "more": False}),
    ]
    script = Script(*pages)
    found = list(script.client(page_size=2).paginate("/users", "users", {"query": "x"}))
    assert [u["id"] for u in found] == ["A", "B", "C"]
    assert [dict(r.url.params) for r in script.requests] == [
        {"query": "x", "limit": "2", "offset": "0"},
        {"query": "x", "limit": "2", "offset": "2"},
    ]


def test_paginate_stops_at_pagerdutys_10000_offset_limit() -> None:
    script = Script(httpx.Response(200, json={"users": [{"id": "U"}] * 100, "more": True}))
    with pytest.raises(
        PagerDutyApiError,
        match=r"^pagerduty: GET /users: more than 10000 users; PagerDuty lists at most 10,000",
    ):
        list(script.client().paginate("/users", "users"))
    assert len(script.requests) == 100


def test_the_key_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    script = Script(
        httpx.Response(429),
        httpx.Response(401, json={"error": {"code": 2006, "message": "Authentication failed"}}),
    )
    client = script.client()
    with pytest.raises(PagerDutyApiError) as caught:
        client.get("/users")
    assert TOKEN not in repr(client)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caplog.text
    assert "429; retry in 1s (attempt 1/5)" in caplog.text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"base_url": "ftp://x"}, r"not an http\(s\) URL"),
        ({"page_size": 101}, "page_size 101 is not in 1..100"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PagerDutyRest(SecretStr(TOKEN), **options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty API token"):
        PagerDutyRest(SecretStr(""))

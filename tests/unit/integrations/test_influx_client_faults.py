"""InfluxMetricSource under injected faults: retries, give-up errors, auth headers, secrets.

``httpx.MockTransport`` is used only to inject faults a real influxd will not produce on demand
(503s, dropped connections, a v2-compat server ignoring ``epoch``); behaviour against the real
server is in tests/integration/test_influx_source.py. Sleeps are recorded, never taken.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

import anyio.lowlevel
import httpx
import pytest
from pydantic import SecretStr

from alerter.errors import SourceUnavailable
from alerter.source import Series, StatementResult
from integrations.influxdb import Backoff, InfluxMetricSource

URL = "http://127.0.0.1:1"
PASSWORD = "pw-s3cr3t-do-not-leak"
TOKEN = "tok-s3cr3t-do-not-leak"
EMPTY = {"results": [{"statement_id": 0}]}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """Answers requests from a script of responses/exceptions and records what was sent."""

    def __init__(self, *script: httpx.Response | Exception) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return step

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def source(self, **kwargs: object) -> InfluxMetricSource:
        return InfluxMetricSource(
            URL,
            "db",
            transport=httpx.MockTransport(self.handle),
            backoff=Backoff(base=0.1, cap=1.0, jitter=0.0),
            sleep=self.sleep,
            **kwargs,  # type: ignore[arg-type]
        )


def json_response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body)


@pytest.mark.anyio
async def test_5xx_is_retried_with_backoff_then_succeeds() -> None:
    rec = Recorder(
        json_response(503, {"error": "busy"}), json_response(500, {"error": "x"}), json_response(200, EMPTY)
    )
    source = rec.source(retries=3)
    assert await source.query(["SELECT v FROM m"], now=100) == [StatementResult()]
    assert len(rec.requests) == 3
    assert rec.sleeps == [0.1, 0.2]
    await source.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            "ConnectError: [Errno 111] Connection refused",
        ),
        (httpx.ReadTimeout("timed out"), "ReadTimeout: timed out"),
        (json_response(503, {"error": "overloaded"}), "HTTP 503 overloaded"),
    ],
)
async def test_gives_up_after_retries_naming_server_and_cause(
    fault: httpx.Response | Exception, cause: str
) -> None:
    rec = Recorder(fault)
    source = rec.source(retries=2)
    with pytest.raises(SourceUnavailable) as info:
        await source.query(["SELECT v FROM m"], now=100)
    assert str(info.value) == f"influxdb {URL}: query db: {cause} (gave up after 3 attempts)"
    assert len(rec.requests) == 3
    assert rec.sleeps == [0.1, 0.2]
    await source.aclose()


@pytest.mark.anyio
async def test_4xx_is_not_retried() -> None:
    rec = Recorder(json_response(400, {"error": "error parsing query: boom"}))
    source = rec.source(retries=3)
    [result] = await source.query(["SELECT v FROM m"], now=100)
    assert result.error is not None and result.error.startswith("error parsing query: boom")
    assert len(rec.requests) == 1 and rec.sleeps == []
    await source.aclose()


@pytest.mark.anyio
async def test_unreadable_answer_is_source_unavailable() -> None:
    rec = Recorder(httpx.Response(200, text="<html>proxy</html>"))
    source = rec.source()
    with pytest.raises(SourceUnavailable, match="unreadable answer"):
        await source.query(["SELECT v FROM m"], now=100)
    await source.aclose()


@pytest.mark.anyio
async def test_request_carries_database_epoch_and_pinned_statement() -> None:
    rec = Recorder(json_response(200, EMPTY))
    source = rec.source()
    await source.query(["SELECT v FROM m WHERE time > now() - 1m"], now=1_700_000_000)
    [request] = rec.requests
    assert request.method == "POST" and request.url.path == "/query"
    assert dict(request.url.params) == {"db": "db", "epoch": "s"}
    form = httpx.QueryParams(request.content.decode())
    assert form["q"] == "SELECT v FROM m WHERE time <= 1700000000s AND (time > 1700000000s - 1m)"
    await source.aclose()


@pytest.mark.anyio
async def test_nanosecond_times_from_a_server_ignoring_epoch_are_converted() -> None:
    body = {
        "results": [
            {
                "statement_id": 0,
                "series": [
                    {"name": "m", "columns": ["time", "v"], "values": [[1_700_000_000_000_000_000, 1]]}
                ],
            }
        ]
    }
    rec = Recorder(json_response(200, body))
    source = rec.source()
    assert await source.query(["SELECT v FROM m"], now=1_700_000_000) == [
        StatementResult(series=(Series("m", ("time", "v"), [[1_700_000_000, 1]]),))
    ]
    await source.aclose()


def _authorization(rec: Recorder) -> str:
    return rec.requests[-1].headers["Authorization"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kwargs", "header"),
    [
        (
            {"username": "admin", "password": SecretStr(PASSWORD)},
            "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode(),
        ),
        ({"token": SecretStr(TOKEN)}, f"Token {TOKEN}"),
        (
            {"username": "admin", "password": PASSWORD},
            "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode(),
        ),
    ],
)
async def test_auth_header(kwargs: dict[str, object], header: str) -> None:
    rec = Recorder(httpx.Response(204))
    source = rec.source(**kwargs)
    await source.ping()
    assert _authorization(rec) == header
    assert PASSWORD not in str(rec.requests[-1].url) and TOKEN not in str(rec.requests[-1].url)
    await source.aclose()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"username": "admin"},
        {"password": SecretStr("x")},
        {"token": SecretStr("t"), "username": "u", "password": SecretStr("p")},
    ],
)
def test_inconsistent_credentials_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="influxdb:"):
        InfluxMetricSource(URL, "db", **kwargs)  # type: ignore[arg-type]


Scenario = Callable[[], httpx.Response | Exception]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "fault",
    [
        json_response(401, {"error": "authorization failed"}),
        json_response(503, {"error": "busy"}),
        httpx.ConnectError("refused"),
    ],
)
@pytest.mark.parametrize(
    "credentials", [{"username": "admin", "password": SecretStr(PASSWORD)}, {"token": SecretStr(TOKEN)}]
)
async def test_secrets_never_in_repr_errors_or_logs(
    fault: httpx.Response | Exception, credentials: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder(fault)
    source = rec.source(retries=1, **credentials)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SourceUnavailable) as info:
        await source.query(["SELECT v FROM m"], now=1)
    texts = [repr(source), str(info.value), repr(info.value), caplog.text, repr(source._client.auth)]
    encoded = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    for text in texts:
        for secret in (PASSWORD, TOKEN, encoded):
            assert secret not in text
    await source.aclose()


@pytest.mark.anyio
async def test_401_says_what_to_check() -> None:
    rec = Recorder(json_response(401, {"error": "authorization failed"}))
    source = rec.source(username="admin", password=SecretStr(PASSWORD))
    with pytest.raises(SourceUnavailable) as info:
        await source.ping()
    assert str(info.value) == (
        f"influxdb {URL}: ping: HTTP 401 authorization failed (check the username/password or token)"
    )
    assert len(rec.requests) == 1
    await source.aclose()


@pytest.mark.anyio
async def test_statement_with_two_statements_is_refused_without_sending() -> None:
    rec = Recorder(json_response(200, EMPTY))
    source = rec.source()
    results = await source.query(["SELECT a FROM m; SELECT b FROM m", "", "SELECT c FROM m"], now=1)
    assert (
        results[0].error
        == "2 statements in one query string ('SELECT a FROM m; SELECT b FROM m'); give each rule one statement"
    )
    assert results[1].error == "empty statement"
    assert results[2] == StatementResult()
    assert len(rec.requests) == 1
    await source.aclose()


@pytest.mark.anyio
async def test_statements_are_batched() -> None:
    body = {"results": [{"statement_id": i} for i in range(3)]}
    rec = Recorder(
        json_response(200, body), json_response(200, {"results": [{"statement_id": i} for i in range(2)]})
    )
    source = rec.source(batch_size=3)
    results = await source.query([f"SELECT v FROM m{i}" for i in range(5)], now=1)
    assert results == [StatementResult()] * 5
    assert sorted(httpx.QueryParams(r.content.decode())["q"].count("SELECT") for r in rec.requests) == [2, 3]
    await source.aclose()


@pytest.mark.anyio
async def test_unknown_precision_is_refused_before_sending() -> None:
    rec = Recorder(httpx.Response(204))
    source = rec.source()
    with pytest.raises(ValueError, match="unknown write precision 'us'"):
        await source.write(["m v=1 1"], precision="us")
    assert rec.requests == []
    await source.aclose()


@pytest.mark.anyio
async def test_in_flight_requests_are_bounded_by_max_concurrency() -> None:
    in_flight = peak = 0

    async def handle(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(5):  # yield to the other tasks so they can pile up if unbounded
            await anyio.lowlevel.checkpoint()
        in_flight -= 1
        return json_response(200, EMPTY)

    async with InfluxMetricSource(
        URL, "db", transport=httpx.MockTransport(handle), max_concurrency=3, batch_size=1
    ) as src:
        results = await src.query([f"SELECT v FROM m{i}" for i in range(20)], now=1)
    assert results == [StatementResult()] * 20
    assert peak == 3

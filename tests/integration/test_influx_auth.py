"""InfluxMetricSource against an auth-enabled influxd: credentials work, failures say so, secrets stay secret."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from alerter.errors import SourceUnavailable
from alerter.source import Series, StatementResult
from integrations.influxdb import InfluxMetricSource
from integrations.influxdb.server import InfluxServer

pytestmark = [pytest.mark.influx, pytest.mark.timeout(60)]

ADMIN_PASSWORD = "adm1n-pw-never-print"
READER_PASSWORD = "r3ader-pw-never-print"
T0 = 1_700_000_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    """An auth-enabled influxd with an admin, a database "metrics" and a read-only user."""
    with InfluxServer(tmp_path_factory.mktemp("influxd-auth"), auth=True) as server:
        # influxd 1.x lets the very first user be created without credentials
        first = httpx.post(
            f"{server.url}/query",
            data={"q": f"CREATE USER admin WITH PASSWORD '{ADMIN_PASSWORD}' WITH ALL PRIVILEGES"},
        )
        assert first.json() == {"results": [{"statement_id": 0}]}, first.text
        for statement in (
            "CREATE DATABASE metrics",
            f"CREATE USER reader WITH PASSWORD '{READER_PASSWORD}'",
            "GRANT READ ON metrics TO reader",
        ):
            answer = httpx.post(f"{server.url}/query", data={"q": statement}, auth=("admin", ADMIN_PASSWORD))
            assert "error" not in answer.text, answer.text
        yield server


def assert_no_secret(text: str) -> None:
    for secret in (ADMIN_PASSWORD, READER_PASSWORD):
        assert secret not in text


@pytest.mark.anyio
async def test_username_password_can_write_and_query(auth_server: InfluxServer) -> None:
    password = SecretStr(ADMIN_PASSWORD)
    async with InfluxMetricSource(auth_server.url, "metrics", username="admin", password=password) as src:
        assert (await src.write([f"cpu,host=a v=1 {T0}"])).ok
        assert await src.query(["SELECT v FROM cpu"], now=T0 + 1) == [
            StatementResult(series=(Series("cpu", ("time", "v"), [[T0, 1.0]]),))
        ]
        assert_no_secret(repr(src))


@pytest.mark.anyio
async def test_read_only_user_queries_but_cannot_write(auth_server: InfluxServer) -> None:
    async with InfluxMetricSource(
        auth_server.url, "metrics", username="reader", password=SecretStr(READER_PASSWORD)
    ) as src:
        [result] = await src.query(["SELECT count(v) FROM cpu"], now=T0 + 1)
        assert result.error is None
        with pytest.raises(SourceUnavailable) as info:
            await src.write([f"cpu,host=b v=2 {T0}"])
    assert str(info.value).startswith(f"influxdb {auth_server.url}: write to metrics: HTTP 403 ")
    assert_no_secret(str(info.value))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("credentials", "cause"),
    [
        ({"username": "admin", "password": SecretStr("wrong-" + ADMIN_PASSWORD)}, "authorization failed"),
        ({}, "unable to parse authentication credentials"),
        # influxd 1.6 predates the "Token user:password" v2-compat scheme and refuses it
        ({"token": SecretStr(f"admin:{ADMIN_PASSWORD}")}, "unable to parse authentication credentials"),
    ],
)
async def test_refused_credentials_are_reported_without_the_secret(
    auth_server: InfluxServer, credentials: dict[str, object], cause: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with InfluxMetricSource(auth_server.url, "metrics", retries=0, **credentials) as src:  # type: ignore[arg-type]
        with pytest.raises(SourceUnavailable) as info:
            await src.query(["SELECT v FROM cpu"], now=T0)
    assert str(info.value) == (
        f"influxdb {auth_server.url}: query metrics: HTTP 401 {cause} (check the username/password or token)"
    )
    for text in (str(info.value), repr(info.value), caplog.text, repr(src)):
        assert_no_secret(text)

"""``/api/v1/maintenance`` over ASGI (httpx.ASGITransport) on a real database, time from a FakeClock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from alerter.clock import FakeClock
from alerter.incidents.maintenance_store import MaintenanceAction, MaintenanceStore
from alerter.web.api.maintenance import maintenance_router

pytestmark = [pytest.mark.timeout(60), pytest.mark.anyio]

T0 = 1_795_000_000.0  # 2026-11-18T11:06:40Z
TOKEN = "s3cret-deploy-token"
BOT = {"Authorization": f"Bearer {TOKEN}"}
URL = "/api/v1/maintenance"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def store(store_url: str) -> Iterator[MaintenanceStore]:
    with MaintenanceStore(store_url) as s:
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def client(store: MaintenanceStore, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    tokens = {"deploy-pipeline": SecretStr(TOKEN), "ops": SecretStr("another-token")}
    app.include_router(maintenance_router(store, clock, tokens))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://alerter.test") as c:
        yield c


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}],
)
async def test_every_route_needs_a_known_bearer_token(
    client: httpx.AsyncClient, store: MaintenanceStore, headers: dict[str, str]
) -> None:
    body = {"hosts": ["web1"], "for": "10m", "reason": "release 42"}
    for response in (
        await client.post(URL, json=body, headers=headers),
        await client.get(URL, headers=headers),
        await client.delete(f"{URL}/1", headers=headers),
        await client.get(f"{URL}/1/audit", headers=headers),
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert TOKEN not in response.text
    assert store.windows() == []


async def test_start_now_for_a_duration_and_the_token_name_is_the_actor(
    client: httpx.AsyncClient, store: MaintenanceStore
) -> None:
    response = await client.post(
        URL, json={"hosts": ["web1", "web2"], "for": "10m", "reason": "release 42"}, headers=BOT
    )
    assert response.status_code == 201
    assert response.json() == {
        "id": 1,
        "hosts": ["web1", "web2"],
        "match": [],
        "start": T0,
        "end": T0 + 600,
        "cron": None,
        "owner": "",
        "reason": "release 42",
        "created_by": "deploy-pipeline",
        "expires_at": None,
        "ended_at": None,
        "active": True,
    }
    [entry] = store.audit()
    assert (entry.actor, entry.action, entry.at) == ("deploy-pipeline", MaintenanceAction.START, T0)


async def test_announce_list_and_end(
    client: httpx.AsyncClient, store: MaintenanceStore, clock: FakeClock
) -> None:
    announced = await client.post(
        URL,
        json={
            "match": ['role=~"db|cache"'],
            "start": "2026-11-18T13:00:00+01:00",  # 12:00Z, an hour ahead
            "end": "2026-11-18T14:00:00+01:00",
            "reason": "release 43",
            "owner": "dba",
        },
        headers=BOT,
    )
    assert announced.status_code == 201
    assert (announced.json()["start"], announced.json()["end"], announced.json()["active"]) == (
        T0 + 3200,
        T0 + 6800,
        False,
    )
    now = await client.post(URL, json={"hosts": ["web1"], "for": "2h", "reason": "release 42"}, headers=BOT)
    assert now.status_code == 201

    listed = (await client.get(URL, headers=BOT)).json()
    assert [(w["id"], w["active"]) for w in listed] == [(1, False), (2, True)]
    assert [w["id"] for w in (await client.get(URL, params={"active": "true"}, headers=BOT)).json()] == [2]

    clock.advance(3600)
    assert [w["id"] for w in (await client.get(URL, params={"active": "true"}, headers=BOT)).json()] == [1, 2]
    ended = await client.delete(f"{URL}/1", headers={"Authorization": "Bearer another-token"})
    assert ended.status_code == 200
    assert (ended.json()["ended_at"], ended.json()["active"]) == (T0 + 3600, False)
    assert [w["id"] for w in (await client.get(URL, params={"active": "true"}, headers=BOT)).json()] == [2]
    assert [(e.window_id, e.actor, e.action) for e in store.audit()] == [
        (1, "deploy-pipeline", MaintenanceAction.ANNOUNCE),
        (2, "deploy-pipeline", MaintenanceAction.START),
        (1, "ops", MaintenanceAction.END),
    ]
    audit = (await client.get(f"{URL}/1/audit", headers=BOT)).json()
    assert [(a["at"], a["actor"], a["action"]) for a in audit] == [
        (T0, "deploy-pipeline", "announce"),
        (T0 + 3600, "ops", "end"),
    ]
    assert audit[-1]["window"]["ended_at"] == T0 + 3600
    assert (await client.get(f"{URL}/9/audit", headers=BOT)).status_code == 404


async def test_ending_twice_or_an_unknown_window(client: httpx.AsyncClient) -> None:
    await client.post(URL, json={"hosts": ["web1"], "for": "10m", "reason": "r"}, headers=BOT)
    assert (await client.delete(f"{URL}/1", headers=BOT)).status_code == 200
    again = await client.delete(f"{URL}/1", headers=BOT)
    assert (again.status_code, again.json()) == (409, {"detail": "maintenance window 1: already over"})
    unknown = await client.delete(f"{URL}/42", headers=BOT)
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "maintenance window 42: no such window"})


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"hosts": ["web1"], "reason": "r"}, 'give either \\"for\\" or \\"end\\"'),
        ({"for": "10m", "reason": "r"}, "a window needs hosts or label matchers"),
        ({"hosts": ["web1"], "for": "10", "reason": "r"}, "is not a duration"),
        ({"hosts": ["web1"], "for": "10m", "reason": ""}, "reason"),
        ({"hosts": ["web1"], "for": "10m", "reason": "r", "colour": "red"}, "colour"),
        (
            {"hosts": ["web1"], "start": "2026-11-20T10:00:00", "end": "2026-11-20T11:00:00Z", "reason": "r"},
            "timezone",
        ),
        (
            {
                "hosts": ["web1"],
                "start": "2026-11-01T10:00:00Z",
                "end": "2026-11-01T11:00:00Z",
                "reason": "r",
            },
            "already be over",
        ),
        ({"match": ["env"], "for": "10m", "reason": "r"}, "is not a label matcher"),
    ],
)
async def test_bad_requests_are_422_with_the_reason(
    client: httpx.AsyncClient, store: MaintenanceStore, body: dict[str, object], fragment: str
) -> None:
    response = await client.post(URL, json=body, headers=BOT)
    assert response.status_code == 422
    assert fragment in response.text
    assert store.windows() == []

"""``POST /webhooks/pagerduty`` on a real database: a signed acknowledge or resolve from PagerDuty
changes the incident; a bad signature, an oversized body or a missing configuration change nothing.

The handler is wired as ``alerter web`` wires it (:func:`alerter.cli.web.pagerduty_webhook_handler`):
the real ``handle_pagerduty_webhook`` with the configured secret and the incident-store sink.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlmodel import select

from alerter.cli.web import pagerduty_webhook_handler
from alerter.clock import FakeClock
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import Incident
from alerter.web.app import create_app
from alerter.web.webhooks import MAX_BODY
from tests.integration.test_web_app import T0, WEBHOOK_SECRET, Seeded, context, seed_all, web_settings

pytestmark = [pytest.mark.timeout(120), pytest.mark.anyio]

URL = "/webhooks/pagerduty"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def stores(store_url: str) -> Iterator[tuple[IncidentStore, MaintenanceStore]]:
    with IncidentStore(store_url) as incidents, MaintenanceStore(store_url) as maintenance:
        yield incidents, maintenance


@pytest.fixture
def seeded(stores: tuple[IncidentStore, MaintenanceStore]) -> Seeded:
    return seed_all(*stores)


def event(event_type: str, key: str, *, agent: str = "Anna Becker") -> bytes:
    body = {
        "event": {
            "id": "01DEN4HPBQAAAG05V5QQYBRZMF",
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": "2026-03-08T20:01:00.000Z",
            "agent": {"id": "PANNA01", "summary": agent, "type": "user_reference"},
            "client": None,
            "data": {"id": "PGR0VU2", "type": "incident", "incident_key": key, "status": "acknowledged"},
        }
    }
    return json.dumps(body).encode()


def signed(body: bytes, secret: str = WEBHOOK_SECRET, webhook_id: str = "wh-1") -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-PagerDuty-Signature": f"v1={digest}",
        "X-Webhook-Id": webhook_id,
        "Content-Type": "application/json",
    }


def state(store: IncidentStore, key: str) -> tuple[str, str | None, str | None]:
    with store.transaction() as tx:
        row = tx.session.exec(select(Incident).where(Incident.key == key)).one()
        return row.status, row.acked_by, row.resolved_by


@pytest.fixture
async def client(
    stores: tuple[IncidentStore, MaintenanceStore], clock: FakeClock, seeded: Seeded
) -> AsyncIterator[httpx.AsyncClient]:
    ctx = context(stores, clock, web_settings())
    ctx.pagerduty_webhook = pagerduty_webhook_handler(ctx.settings, stores[0], clock)
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://alerter.test") as c:
        yield c


async def test_a_signed_acknowledge_acks_the_incident(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore], seeded: Seeded
) -> None:
    body = event("incident.acknowledged", seeded.web)
    r = await client.post(URL, content=body, headers=signed(body))
    assert r.status_code == 200 and r.json()["result"] == "applied"
    assert state(stores[0], seeded.web) == ("acknowledged", "Anna Becker", None)
    with stores[0].transaction() as tx:
        last = tx.timeline(seeded.web)[-1]
    assert (last.kind, last.actor, last.detail) == (
        "acknowledged",
        "Anna Becker",
        "acknowledged in PagerDuty",
    )
    again = await client.post(URL, content=body, headers=signed(body))
    assert again.status_code == 200 and again.json()["result"] == "duplicate"


async def test_a_signed_resolve_resolves_and_unknown_keys_are_dropped(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore], seeded: Seeded
) -> None:
    body = event("incident.resolved", seeded.db)
    assert (await client.post(URL, content=body, headers=signed(body, webhook_id="wh-2"))).status_code == 200
    assert state(stores[0], seeded.db)[0] == "resolved"
    other = event("incident.acknowledged", "opened-by-hand-in-pagerduty")
    r = await client.post(URL, content=other, headers=signed(other, webhook_id="wh-3"))
    assert r.status_code == 200  # nothing to redeliver: the key is not ours


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-PagerDuty-Signature": "v1=00"},
        signed(b"another body"),
        signed(event("incident.acknowledged", "x"), secret="not-the-secret"),
    ],
)
async def test_a_bad_signature_is_401_and_changes_nothing(
    client: httpx.AsyncClient,
    stores: tuple[IncidentStore, MaintenanceStore],
    seeded: Seeded,
    headers: dict[str, str],
) -> None:
    body = event("incident.acknowledged", seeded.web)
    r = await client.post(URL, content=body, headers=headers)
    assert r.status_code == 401 and r.json()["result"] == "bad_signature"
    assert state(stores[0], seeded.web) == ("triggered", None, None)
    assert WEBHOOK_SECRET not in r.text


async def test_an_oversized_body_is_413_and_changes_nothing(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore], seeded: Seeded
) -> None:
    base = json.loads(event("incident.acknowledged", seeded.web))
    base["padding"] = "x" * MAX_BODY
    body = json.dumps(base).encode()
    assert (await client.post(URL, content=body, headers=signed(body))).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the cap holds while streaming
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    assert (await client.post(URL, content=chunks(), headers=signed(body))).status_code == 413
    assert state(stores[0], seeded.web) == ("triggered", None, None)


async def test_without_a_secret_the_route_answers_404(
    stores: tuple[IncidentStore, MaintenanceStore], clock: FakeClock, seeded: Seeded
) -> None:
    settings = web_settings().model_copy(update={"pagerduty_webhook_secrets": ()})
    ctx = context(stores, clock, settings)
    ctx.pagerduty_webhook = pagerduty_webhook_handler(settings, stores[0], clock)
    assert ctx.pagerduty_webhook is None
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(ctx)), base_url="http://t"
    ) as c:
        body = event("incident.acknowledged", seeded.web)
        assert (await c.post(URL, content=body, headers=signed(body))).status_code == 404
    assert state(stores[0], seeded.web) == ("triggered", None, None)

"""PagerDutyPager against the fake PagerDuty over real HTTP: flows, state, fault classification, secrets."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr

from alerter.clock import FakeClock
from alerter.notify import Outcome, PageAction, PageLink, Pager, PageRequest, PageSeverity
from integrations.pagerduty import PagerDutyPager
from integrations.pagerduty.fake import AlertStatus, FakePagerDuty, Fault

SECRET = "c0ffee00c0ffee00c0ffee00c0ffee00"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_000.0)


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakePagerDuty]:
    with FakePagerDuty(clock=clock, hold_seconds=5.0) as pd:
        yield pd
        assert pd.violations == []


@pytest.fixture
async def pager(fake: FakePagerDuty) -> AsyncIterator[PagerDutyPager]:
    async with PagerDutyPager(SecretStr(SECRET), base_url=fake.url, timeout=0.5) as p:
        yield p


def trigger(key: str = "inc-4f2a", summary: str = "disk full on db1") -> PageRequest:
    return PageRequest(
        PageAction.TRIGGER,
        key,
        summary=summary,
        source="db1.example.com",
        severity=PageSeverity.CRITICAL,
        component="disk",
        group="prod-db",
        class_="disk_full",
        custom_details={
            "affected_hosts": ["db1", "db2"],
            "alert_count": 2,
            "root_cause": "db1 /var full",
            "primary": "alice",
            "secondary": "bob",
        },
        links=(
            PageLink("https://alerter.example.com/incidents/4f2a", "Incident"),
            PageLink("https://wiki.example.com/runbooks/disk-full", "Runbook"),
        ),
    )


def test_pagerdutypager_is_a_pager() -> None:
    pager: Pager = PagerDutyPager(SecretStr(SECRET))
    assert isinstance(pager, PagerDutyPager)


@pytest.mark.anyio
async def test_trigger_ack_resolve_flow(pager: PagerDutyPager, fake: FakePagerDuty) -> None:
    delivery = await pager.send(trigger())
    assert (delivery.outcome, delivery.retry_after) == (Outcome.OK, None)
    assert delivery.detail == "202: Event processed (dedup_key=inc-4f2a)"
    alert = fake.alert("inc-4f2a")
    assert alert is not None and alert.status is AlertStatus.TRIGGERED
    assert alert.routing_key == SECRET
    assert alert.payload["custom_details"]["primary"] == "alice"
    assert [link["text"] for link in alert.links] == ["Incident", "Runbook"]

    assert (await pager.send(PageRequest(PageAction.ACKNOWLEDGE, "inc-4f2a"))).ok
    assert alert.status is AlertStatus.ACKNOWLEDGED
    assert (await pager.send(PageRequest(PageAction.RESOLVE, "inc-4f2a"))).ok
    assert alert.status is AlertStatus.RESOLVED
    assert [r.path for r in fake.received] == ["/v2/enqueue"] * 3


@pytest.mark.anyio
async def test_ack_and_resolve_are_sent_without_payload(pager: PagerDutyPager, fake: FakePagerDuty) -> None:
    await pager.send(PageRequest(PageAction.RESOLVE, "inc-unknown"))
    assert fake.received[0].json() == {
        "routing_key": SECRET,
        "event_action": "resolve",
        "dedup_key": "inc-unknown",
    }
    assert fake.alerts == []  # resolve of an unknown key is accepted and dropped


@pytest.mark.anyio
async def test_trigger_after_resolve_opens_a_new_alert(pager: PagerDutyPager, fake: FakePagerDuty) -> None:
    for page in (trigger(), PageRequest(PageAction.RESOLVE, "inc-4f2a"), trigger()):
        assert (await pager.send(page)).ok
    assert [a.status for a in fake.alerts] == [AlertStatus.RESOLVED, AlertStatus.TRIGGERED]


@pytest.mark.anyio
async def test_long_summary_is_truncated_to_1024_and_accepted(
    pager: PagerDutyPager, fake: FakePagerDuty
) -> None:
    delivery = await pager.send(trigger(summary="disk full on " + "db1, " * 1000))
    assert delivery.ok
    alert = fake.alert("inc-4f2a")
    assert alert is not None
    assert len(alert.payload["summary"]) <= 1024 and alert.payload["summary"].endswith("db1,…")


@pytest.mark.anyio
async def test_long_incident_key_is_fitted_consistently(pager: PagerDutyPager, fake: FakePagerDuty) -> None:
    key = "incident/" + "x" * 400
    assert (await pager.send(trigger(key=key))).ok
    assert (await pager.send(PageRequest(PageAction.ACKNOWLEDGE, key))).ok
    (alert,) = fake.alerts
    assert len(alert.dedup_key) == 255 and alert.status is AlertStatus.ACKNOWLEDGED


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fault", "retry_after", "detail_start"),
    [
        (Fault.THROTTLE, 30.0, "429: throttled; retry in 30s"),
        (Fault.SERVER_ERROR, None, "500: Internal Server Error"),
        (Fault.UNAVAILABLE, None, "503: Service Unavailable"),
        (Fault.TIMEOUT, None, "timeout: ReadTimeout"),
        (Fault.DROP, None, "network error: RemoteProtocolError"),
    ],
)
async def test_faults_are_recoverable(
    pager: PagerDutyPager, fake: FakePagerDuty, fault: Fault, retry_after: float | None, detail_start: str
) -> None:
    fake.inject(fault)
    delivery = await pager.send(trigger())
    assert (delivery.outcome, delivery.retry_after) == (Outcome.RECOVERABLE, retry_after)
    assert delivery.detail.startswith(detail_start), delivery.detail
    assert fake.alerts == []
    assert (await pager.send(trigger())).ok  # the next attempt (the outbox's retry) goes through


@pytest.mark.anyio
async def test_rate_limit_past_120_is_recoverable_until_the_window_moves(
    pager: PagerDutyPager, fake: FakePagerDuty, clock: FakeClock
) -> None:
    for i in range(120):
        assert (await pager.send(trigger(key=f"inc-{i}"))).ok
    throttled = await pager.send(trigger(key="inc-late"))
    assert (throttled.outcome, throttled.retry_after) == (Outcome.RECOVERABLE, 30.0)
    clock.advance(60.0)
    assert (await pager.send(trigger(key="inc-late"))).ok


@pytest.mark.anyio
async def test_connection_refused_is_recoverable() -> None:
    with FakePagerDuty() as gone:
        url = gone.url
    async with PagerDutyPager(SecretStr(SECRET), base_url=url, timeout=0.5) as pager:
        delivery = await pager.send(trigger())
    assert delivery.outcome is Outcome.RECOVERABLE
    assert delivery.detail.startswith("network error: ConnectError")


@pytest.mark.anyio
async def test_rejected_event_is_permanent(fake: FakePagerDuty) -> None:
    async with PagerDutyPager(SecretStr("too-short"), base_url=fake.url) as pager:
        delivery = await pager.send(trigger())
    assert delivery.outcome is Outcome.PERMANENT
    assert delivery.detail.startswith("400: Event object is invalid: routing_key: must be a 32-character")
    assert delivery.retry_after is None


@pytest.mark.anyio
async def test_wrong_path_is_permanent(fake: FakePagerDuty) -> None:
    async with PagerDutyPager(SecretStr(SECRET), base_url=fake.url + "/v2/enqueue/x") as pager:
        delivery = await pager.send(trigger())
    assert (delivery.outcome, delivery.detail[:4]) == (Outcome.PERMANENT, "404:")


@pytest.mark.anyio
async def test_shared_client_is_used_and_left_open(fake: FakePagerDuty) -> None:
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(str(request.url))

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        async with PagerDutyPager(SecretStr(SECRET), base_url=fake.url + "/", client=client) as pager:
            assert (await pager.send(trigger())).ok
        assert not client.is_closed
    assert seen == [fake.url + "/v2/enqueue"]


@pytest.mark.anyio
async def test_secret_never_in_repr_detail_or_logs(
    fake: FakePagerDuty, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # A proxy or PagerDuty may echo the body back; the pager must scrub the key from detail.
    fake.inject(Fault.THROTTLE)
    async with PagerDutyPager(SecretStr(SECRET), base_url=fake.url, timeout=0.5) as pager:
        deliveries = [await pager.send(trigger()), await pager.send(trigger())]
        fake.inject(Fault.DROP)
        deliveries.append(await pager.send(trigger()))
        text = repr(pager) + str(pager)
    async with PagerDutyPager(SecretStr(SECRET[:-1]), base_url=fake.url) as short:
        deliveries.append(await short.send(trigger()))
    text += "".join(d.detail + repr(d) for d in deliveries) + caplog.text
    assert SECRET not in text and SECRET[:-1] not in text
    assert "inc-4f2a" in caplog.text  # the logs do say which page


@pytest.mark.anyio
async def test_echoed_secret_is_scrubbed_from_detail() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"status": "invalid event", "message": request.content.decode()})

    async with httpx.AsyncClient(transport=httpx.MockTransport(echo)) as client:
        pager = PagerDutyPager(SecretStr(SECRET), client=client)
        delivery = await pager.send(trigger())
    assert delivery.outcome is Outcome.PERMANENT
    assert SECRET not in delivery.detail and "[routing_key]" in delivery.detail


def test_empty_routing_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty routing key"):
        PagerDutyPager(SecretStr(""))


def test_non_http_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        PagerDutyPager(SecretStr(SECRET), base_url="events.pagerduty.com")

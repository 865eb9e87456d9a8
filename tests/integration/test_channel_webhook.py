"""WebhookPager against a real HTTP receiver on loopback: bodies, signature, Slack shape, faults, secrets."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from alerter.notify import Outcome, PageAction, PageLink, Pager, PageRequest, PageSeverity
from integrations.webhook import SIGNATURE_HEADER, WebhookPager, signature
from integrations.webhook.payload import SLACK_HEADER_CHARS, build_slack
from integrations.webhook.response import classify_response

SECRET = "hmac-5ecret-do-not-log"
TOKEN = "xoxo-T0KEN-in-the-url"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Answer:
    """What the receiver answers next; ``hold`` makes it wait (for timeouts) until released."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A real HTTP server on 127.0.0.1 that records every POST and answers from a script."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[Answer] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append(Received(self.path, headers, body))
                answer = receiver.script.pop(0) if receiver.script else Answer()
                if answer.hold is not None:
                    answer.hold.wait(5.0)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T01/B02/{TOKEN}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5.0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
async def pager(receiver: Receiver) -> AsyncIterator[WebhookPager]:
    async with WebhookPager(receiver.url, secret=SecretStr(SECRET), timeout=2.0) as p:
        yield p


@pytest.fixture
async def slack_pager(receiver: Receiver) -> AsyncIterator[WebhookPager]:
    async with WebhookPager(receiver.url, timeout=2.0, slack=True) as p:
        yield p


def trigger(summary: str = "disk full on db1") -> PageRequest:
    return PageRequest(
        PageAction.TRIGGER,
        "inc-4f2a",
        summary=summary,
        source="db1.example.com",
        severity=PageSeverity.CRITICAL,
        component="disk",
        group="prod-db",
        class_="disk_full",
        custom_details={"affected_hosts": ["db1", "db2"], "alert_count": 2, "primary": "alice"},
        links=(
            PageLink("https://alerter.example.com/incidents/4f2a", "Incident"),
            PageLink("https://wiki.example.com/runbooks/disk-full", "Runbook"),
        ),
    )


def test_webhookpager_is_a_pager() -> None:
    pager: Pager = WebhookPager("https://hooks.example.com/x")
    assert isinstance(pager, WebhookPager)


# -- generic body and signature ------------------------------------------------------------------


@pytest.mark.anyio
async def test_generic_body_is_every_page_field(pager: WebhookPager, receiver: Receiver) -> None:
    delivery = await pager.send(trigger())
    assert (delivery.outcome, delivery.detail, delivery.retry_after) == (Outcome.OK, "200: ok", None)
    [request] = receiver.received
    assert request.path == f"/services/T01/B02/{TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "version": 1,
        "action": "trigger",
        "dedup_key": "inc-4f2a",
        "summary": "disk full on db1",
        "source": "db1.example.com",
        "severity": "critical",
        "component": "disk",
        "group": "prod-db",
        "class": "disk_full",
        "custom_details": {"affected_hosts": ["db1", "db2"], "alert_count": 2, "primary": "alice"},
        "links": [
            {"href": "https://alerter.example.com/incidents/4f2a", "text": "Incident"},
            {"href": "https://wiki.example.com/runbooks/disk-full", "text": "Runbook"},
        ],
    }


@pytest.mark.anyio
async def test_signature_is_hmac_sha256_of_the_received_bytes(
    pager: WebhookPager, receiver: Receiver
) -> None:
    await pager.send(trigger())
    [request] = receiver.received
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER.lower()] == f"v1={expected}"
    assert signature(request.body, SECRET) == f"v1={expected}"


@pytest.mark.anyio
async def test_no_signature_header_without_secret(receiver: Receiver) -> None:
    async with WebhookPager(receiver.url, timeout=2.0) as pager:
        await pager.send(PageRequest(PageAction.RESOLVE, "inc-4f2a"))
    [request] = receiver.received
    assert SIGNATURE_HEADER.lower() not in request.headers
    assert (request.json()["action"], request.json()["dedup_key"]) == ("resolve", "inc-4f2a")


# -- Slack shape -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_slack_shape(slack_pager: WebhookPager, receiver: Receiver) -> None:
    assert (await slack_pager.send(trigger())).ok
    body = receiver.received[0].json()
    assert set(body) == {"text", "blocks"}
    assert body["text"] == "Triggered: disk full on db1 (critical, inc-4f2a)"
    header, facts, details, links = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": ":rotating_light: Triggered: disk full on db1", "emoji": True},
    }
    assert [f["text"] for f in facts["fields"]] == [
        "*Severity*\ncritical",
        "*Key*\ninc-4f2a",
        "*Source*\ndb1.example.com",
        "*Component*\ndisk",
        "*Group*\nprod-db",
        "*Class*\ndisk_full",
    ]
    assert details["text"] == {
        "type": "mrkdwn",
        "text": '*affected_hosts*: ["db1", "db2"]\n*alert_count*: 2\n*primary*: alice',
    }
    assert links["text"]["text"] == (
        "<https://alerter.example.com/incidents/4f2a|Incident> · <https://wiki.example.com/runbooks/disk-full|Runbook>"
    )


@pytest.mark.anyio
async def test_slack_resolve_has_no_details(slack_pager: WebhookPager, receiver: Receiver) -> None:
    await slack_pager.send(PageRequest(PageAction.RESOLVE, "inc-4f2a"))
    body = receiver.received[0].json()
    assert body["text"] == "Resolved: inc-4f2a (critical, inc-4f2a)"
    assert [block["type"] for block in body["blocks"]] == ["header", "section"]
    assert body["blocks"][0]["text"]["text"] == ":white_check_mark: Resolved: inc-4f2a"


def test_slack_escapes_user_text_and_refuses_script_links() -> None:
    page = PageRequest(
        PageAction.TRIGGER,
        "inc-1",
        summary="<!channel> 5 > 3 & <http://evil|click>",
        source="db1",
        custom_details={"note": "<b>x</b>"},
        links=(PageLink("javascript:alert(1)", "run me"), PageLink("https://ok.example.com/a|b>c", "x|y")),
    )
    body = build_slack(page)
    assert body["text"].startswith("Triggered: &lt;!channel&gt; 5 &gt; 3 &amp; &lt;http://evil|click&gt;")
    assert body["blocks"][2]["text"]["text"] == "*note*: &lt;b&gt;x&lt;/b&gt;"
    assert body["blocks"][3]["text"]["text"] == "run me · <https://ok.example.com/a%7Cb%3Ec|x¦y>"


def test_slack_limits_are_applied() -> None:
    page = PageRequest(
        PageAction.TRIGGER, "inc-1", summary="s" * 500, source="db1", custom_details={"k": "v" * 5000}
    )
    body = build_slack(page)
    header = body["blocks"][0]["text"]["text"]
    assert len(header) == SLACK_HEADER_CHARS and header.endswith("…")
    assert len(body["blocks"][2]["text"]["text"]) == 3000


# -- classification over real HTTP -------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("answer", "outcome", "retry_after", "detail"),
    [
        (Answer(204, b""), Outcome.OK, None, "204: (empty body)"),
        (Answer(500, b"rollup_error"), Outcome.RECOVERABLE, None, "500: rollup_error"),
        (Answer(503, b"", {"Retry-After": "5"}), Outcome.RECOVERABLE, 5.0, "503: (empty body)"),
        (Answer(429, b"rate limited", {"Retry-After": "7"}), Outcome.RECOVERABLE, 7.0, "429: rate limited"),
        (Answer(429, b""), Outcome.RECOVERABLE, None, "429: (empty body)"),
        (Answer(400, b"invalid_payload"), Outcome.PERMANENT, None, "400: invalid_payload"),
        (Answer(403, b"action_prohibited"), Outcome.PERMANENT, None, "403: action_prohibited"),
        (Answer(404, b"no_service"), Outcome.PERMANENT, None, "404: no_service"),
        (Answer(410, b"channel_is_archived"), Outcome.PERMANENT, None, "410: channel_is_archived"),
        (Answer(301, b"", {"Location": "http://127.0.0.1:1/"}), Outcome.PERMANENT, None, "301: (empty body)"),
    ],
)
async def test_answers_are_classified(
    pager: WebhookPager,
    receiver: Receiver,
    answer: Answer,
    outcome: Outcome,
    retry_after: float | None,
    detail: str,
) -> None:
    receiver.script.append(answer)
    delivery = await pager.send(trigger())
    assert (delivery.outcome, delivery.retry_after, delivery.detail) == (outcome, retry_after, detail)


@pytest.mark.parametrize(
    ("value", "retry_after"), [("12", 12.0), ("0.5", 0.5), ("-1", None), ("nan", None), ("inf", None)]
)
def test_retry_after_values(value: str, retry_after: float | None) -> None:
    assert classify_response(429, b"", {"retry-after": value}).retry_after == retry_after


@pytest.mark.anyio
async def test_connection_refused_is_recoverable() -> None:
    with socket.socket() as bound:  # bound but not listening: the kernel refuses connections
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/hook"
        async with WebhookPager(url, timeout=2.0) as pager:
            delivery = await pager.send(trigger())
    assert delivery.outcome is Outcome.RECOVERABLE
    assert delivery.detail.startswith("network error: ConnectError")


@pytest.mark.anyio
async def test_timeout_is_recoverable(receiver: Receiver) -> None:
    receiver.script.append(Answer(hold=receiver.release))
    async with WebhookPager(receiver.url, timeout=0.2) as pager:
        delivery = await pager.send(trigger())
    assert delivery.outcome is Outcome.RECOVERABLE
    assert delivery.detail.startswith("timeout: ReadTimeout")


@pytest.mark.anyio
async def test_shared_client_is_used_and_left_open(receiver: Receiver) -> None:
    async with httpx.AsyncClient() as client:
        async with WebhookPager(receiver.url, client=client, timeout=2.0) as pager:
            assert (await pager.send(trigger())).ok
        assert not client.is_closed
    assert len(receiver.received) == 1


# -- secrets -----------------------------------------------------------------------------------


def test_rejects_non_http_url_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="is not an http") as raised:
        WebhookPager(f"ftp://hooks.example.com/services/{TOKEN}")
    assert TOKEN not in str(raised.value)


@pytest.mark.anyio
async def test_secrets_never_in_repr_logs_or_detail(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # A receiver that echoes what it was sent, as some proxies do in error pages.
    echo = f"bad request to {receiver.url} with key {SECRET}".encode()
    receiver.script += [Answer(500, echo), Answer(400, echo)]
    async with WebhookPager(receiver.url, secret=SecretStr(SECRET), timeout=2.0) as pager:
        deliveries = [await pager.send(trigger()), await pager.send(trigger())]
        shown = repr(pager) + caplog.text + " ".join(d.detail for d in deliveries)
    assert [d.outcome for d in deliveries] == [Outcome.RECOVERABLE, Outcome.PERMANENT]
    port = receiver.server.server_address[1]
    assert deliveries[0].detail == f"500: bad request to http://127.0.0.1:{port}/… with key [secret]"
    assert "127.0.0.1" in repr(pager)
    # httpx's own INFO request log is redacted too (a Slack URL is a credential).
    assert f'HTTP Request: POST http://127.0.0.1:{port}/… "HTTP/1.0 500' in caplog.text
    assert TOKEN not in shown and SECRET not in shown

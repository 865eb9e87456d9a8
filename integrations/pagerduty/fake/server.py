"""``FakePagerDuty``: a real HTTP server on 127.0.0.1 that behaves like PagerDuty (Events v2 + REST).

Place in the flow: test-only. Integration tests point
:class:`~integrations.pagerduty.events.PagerDutyPager` at :attr:`FakePagerDuty.url` and check what
arrived (:attr:`~FakePagerDuty.received`), what state it produced (:attr:`~FakePagerDuty.alerts`),
and how the pager classifies faults injected on demand (:meth:`~FakePagerDuty.inject`).
Paths under ``/v2/`` are the Events API (:mod:`.events_api`); every other path is the REST
subset the rotation sync uses (:mod:`.rest_api`, state in :attr:`FakePagerDuty.rest`).

The server is the standard library's threading HTTP server on a free port in a background
thread: it speaks HTTP/1.1 with keep-alive, so "dropped connection" and "timeout" faults act
on a real socket exactly as a broken PagerDuty or proxy would. Usage::

    with FakePagerDuty(clock=FakeClock(0)) as pd:
        pd.inject(Fault.THROTTLE, count=2)
        ...  # send to pd.url + "/v2/enqueue"
        assert pd.alert("incident-42").status is AlertStatus.ACKNOWLEDGED
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from alerter.clock import Clock, SystemClock
from integrations.pagerduty.fake.events_api import Answer, EventsEndpoint, json_answer
from integrations.pagerduty.fake.rest_api import RestEndpoint
from integrations.pagerduty.fake.state import (
    DEFAULT_RATE_LIMIT,
    RATE_WINDOW_SECONDS,
    Applied,
    FakeAlert,
    RateWindow,
)

DEFAULT_API_TOKEN = "fake-pagerduty-rest-token"


class Fault(StrEnum):
    """A failure the next request(s) get instead of normal processing (the event is not applied)."""

    THROTTLE = "throttle"  # 429, empty body
    SERVER_ERROR = "server_error"  # 500 with PagerDuty's error body
    UNAVAILABLE = "unavailable"  # 503 with PagerDuty's error body
    TIMEOUT = "timeout"  # read the request, never answer until the client gives up
    DROP = "drop"  # read the request, close the connection without a byte of answer


@dataclass(frozen=True)
class Received:
    """One request as it arrived, and how the fake answered (``status`` None: no answer)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    fault: Fault | None
    applied: Applied | None = None  # what an accepted event did (e.g. DROPPED for an unknown ack)

    def json(self) -> Any:
        return json.loads(self.body)


_FAULT_ANSWERS = {
    Fault.THROTTLE: Answer(429),
    Fault.SERVER_ERROR: json_answer(
        500, {"status": "Internal Server Error", "message": "Internal Server Error", "errors": ["injected"]}
    ),
    Fault.UNAVAILABLE: json_answer(
        503, {"status": "Service Unavailable", "message": "Service Unavailable", "errors": ["injected"]}
    ),
}


class FakePagerDuty:
    """PagerDuty Events API v2 on loopback, with state, request log and fault injection.

    ``clock`` drives the rate window (default: system clock); ``rate_limit`` events per
    ``rate_window`` seconds per routing key. ``hold_seconds`` bounds how long a TIMEOUT fault
    holds a request (closing the fake releases it at once).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        rate_window: float = RATE_WINDOW_SECONDS,
        hold_seconds: float = 30.0,
        new_key: Callable[[], str] | None = None,
        api_token: str = DEFAULT_API_TOKEN,
    ) -> None:
        self.events = EventsEndpoint(clock or SystemClock(), RateWindow(rate_limit, rate_window), new_key)
        self.rest = RestEndpoint(api_token, clock or SystemClock())
        self.received: list[Received] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._hold_seconds = hold_seconds
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakePagerDuty:
        """Listen on a free 127.0.0.1 port and serve in a daemon thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="fake-pagerduty", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Release held requests, stop serving and free the port."""
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakePagerDuty:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (use it as the pager's ``base_url``)."""
        if self._server is None:
            raise RuntimeError("FakePagerDuty is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- test controls and observations ----------------------------------------------------
    def inject(self, fault: Fault, count: int = 1) -> None:
        """Make the next ``count`` requests fail with ``fault`` (queued after earlier injections)."""
        with self._lock:
            self._faults.extend([fault] * count)

    @property
    def alerts(self) -> list[FakeAlert]:
        """Every alert ever opened, oldest first (a re-trigger after resolve is a new one)."""
        with self._lock:
            return list(self.events.book.alerts)

    def alert(self, dedup_key: str) -> FakeAlert | None:
        """The newest alert with ``dedup_key`` (any routing key), or None."""
        matching = [a for a in self.alerts if a.dedup_key == dedup_key]
        return matching[-1] if matching else None

    @property
    def violations(self) -> list[str]:
        """Answers of the fake that broke PagerDuty's response schemas (a fake bug; expect [])."""
        with self._lock:
            return list(self.events.violations) + list(self.rest.violations)

    # -- request handling (called on server threads) ---------------------------------------
    def _take_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _process(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer | Fault:
        fault = self._take_fault()
        url = urlsplit(target)
        path = url.path
        with self._lock:
            if fault is None:
                answer: Answer | Fault = self._route(method, path, url.query, headers, body)
            else:
                answer = _FAULT_ANSWERS.get(fault, fault)
            status, applied = (answer.status, answer.applied) if isinstance(answer, Answer) else (None, None)
            self.received.append(Received(method, path, headers, body, status, fault, applied))
        return answer

    def _route(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        # One port serves both hosts: events.pagerduty.com paths all start with /v2/, REST ones never do.
        if path.startswith("/v2/"):
            return self.events.handle(method, path, headers.get("content-type", "application/json"), body)
        return self.rest.handle(method, path, parse_qs(query, keep_blank_values=True), headers, body)

    def _hold(self) -> None:
        self._release.wait(self._hold_seconds)


def _handler_for(fake: FakePagerDuty) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as PagerDuty's load balancers do
        server_version = "fake-pagerduty"
        disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls

        def do_POST(self) -> None:
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = fake._process(method, self.path, headers, body)
            if answer is Fault.TIMEOUT:
                fake._hold()
            if isinstance(answer, Fault):
                self._drop()
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def _drop(self) -> None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client already went away (it timed out first)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: tests read ``fake.received`` instead of stderr."""

    return Handler

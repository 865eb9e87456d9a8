"""The web app served by uvicorn inside the test's own event loop, on a real loopback socket:
what ``alerter run`` does beside the engine. No signal handlers are taken from the host."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import anyio
import httpx
import pytest
from pydantic import SecretStr

from alerter.clock import FakeClock
from alerter.config.web import WebRole, WebSettings, WebToken
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.incidents.store import IncidentStore
from alerter.web.app import create_app
from alerter.web.context import WebContext
from alerter.web.server import WebServer

pytestmark = [pytest.mark.timeout(60), pytest.mark.anyio]

TOKEN = "loopback-token-0123456789"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)  # connections queue here until uvicorn accepts them: no waiting for start-up
    return sock


async def test_served_on_loopback_beside_other_tasks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'alerter.db'}"
    settings = WebSettings(tokens=(WebToken(name="probe", role=WebRole.VIEWER, token=SecretStr(TOKEN)),))
    before = signal.getsignal(signal.SIGINT)
    with IncidentStore(url) as incidents, MaintenanceStore(url) as maintenance, listening_socket() as sock:
        app = create_app(WebContext(incidents, maintenance, FakeClock(1_795_000_000.0), settings))
        server = WebServer(app, sock=sock, log_level="warning")
        port = sock.getsockname()[1]
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                assert (await client.get("/healthz")).json() == {"status": "ok"}
                assert signal.getsignal(signal.SIGINT) is before
                listed = await client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {TOKEN}"})
                assert listed.status_code == 200 and listed.json()["open"] == []
                assert (await client.get("/api/v1/incidents")).status_code == 401
            server.stop()
    assert signal.getsignal(signal.SIGINT) is before

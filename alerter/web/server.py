"""Serving the web app inside a running asyncio loop, beside the engine (``alerter run``).

Place in the flow: the composition root builds ``create_app(ctx)`` and runs
:meth:`WebServer.serve` as one more task of its event loop; :meth:`WebServer.stop` ends it
gracefully. Unlike ``uvicorn.run`` it leaves signal handling to the engine (uvicorn would
otherwise take SIGINT/SIGTERM for itself and the engine would not hear them)::

    server = WebServer(create_app(ctx), host="127.0.0.1", port=8080)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        await run_engine(...)
        server.stop()

``sock`` serves on a socket the caller already bound and put into listening state (tests bind a
free loopback port first, so a client can connect without waiting for the server to start).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that does not install signal handlers (the host process owns them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebServer:
    """``app`` on ``host:port`` (or on ``sock``), served by uvicorn in the current event loop."""

    def __init__(
        self,
        app: FastAPI,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        sock: socket.socket | None = None,
        log_level: str = "info",
    ) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level=log_level, lifespan="off", proxy_headers=False
        )
        self._server = _EmbeddedServer(config)
        self._sock = sock

    async def serve(self) -> None:
        """Serve until :meth:`stop`; returns once open connections are finished."""
        await self._server.serve(sockets=None if self._sock is None else [self._sock])

    def stop(self) -> None:
        """Ask the server to finish (it stops accepting, then drains)."""
        self._server.should_exit = True


__all__ = ["WebServer"]

"""A private ``influxd`` process on loopback: what tests, the demo and the benchmark query.

Not part of the alert flow itself. It writes a config file under ``data_dir`` and runs
``influxd run -config FILE -pidfile FILE`` directly (no systemd, no root), bound to 127.0.0.1 on
free ports, with usage reporting and the ``_internal`` monitor database switched off so it stays
quiet and small. Debian's 1.6.7 build spells the reporting switch ``reporting-enabled = false``.

    with InfluxServer(tmp_path) as server:
        print(server.url)            # http://127.0.0.1:PORT
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx

#: How long start() waits for ``/ping`` to answer 204 (influxd 1.6 is ready in ~0.3 s).
READY_TIMEOUT_S = 15.0
#: Attempts with fresh ports when another process grabbed the chosen port between pick and bind.
PORT_ATTEMPTS = 3
_LOG_TAIL_LINES = 20


class InfluxServerError(RuntimeError):
    """influxd could not be started; the message carries the tail of its log."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago.

    The kernel picks it (bind to port 0). A small race remains until influxd binds it, which
    :meth:`InfluxServer.start` covers by retrying with fresh ports when the bind fails.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _toml_str(path: Path) -> str:
    """A TOML basic string; JSON string escaping is valid TOML for paths."""
    return json.dumps(str(path))


def render_config(
    data_dir: Path, http_port: int, rpc_port: int, *, auth: bool = False, max_row_limit: int = 0
) -> str:
    """Return the influxd TOML config for a private instance rooted at ``data_dir``."""
    return f"""\
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = {_toml_str(data_dir / "meta")}
  logging-enabled = false

[data]
  dir = {_toml_str(data_dir / "data")}
  wal-dir = {_toml_str(data_dir / "wal")}
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = {str(auth).lower()}
  log-enabled = false
  max-row-limit = {max_row_limit}

[logging]
  level = "warn"
  suppress-logo = true
"""


class InfluxServer:
    """One influxd process with its own data directory on free loopback ports.

    ``port=None`` picks a free port. ``auth=True`` enables ``auth-enabled`` (create the first
    admin user with ``CREATE USER ... WITH ALL PRIVILEGES``, which 1.x allows without
    credentials while no user exists). ``max_row_limit`` caps non-chunked results so tests can
    see ``partial: true``.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        auth: bool = False,
        *,
        max_row_limit: int = 0,
        binary: str = "influxd",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.auth = auth
        self.max_row_limit = max_row_limit
        self._fixed_port = port
        self._port: int | None = None
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the HTTP API, e.g. ``http://127.0.0.1:41234``; only valid once started."""
        if self._port is None:
            raise InfluxServerError("influxd is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "influxd.log"

    def start(self) -> None:
        """Start influxd and return once ``/ping`` answers 204.

        Raises :class:`InfluxServerError` (with the log tail) if influxd exits or is not ready
        within :data:`READY_TIMEOUT_S`.
        """
        if shutil.which(self._binary) is None:
            raise InfluxServerError(f"{self._binary} not found on PATH (Debian package 'influxdb')")
        attempts = 1 if self._fixed_port is not None else PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                self._start_once()
                return
            except InfluxServerError as exc:
                if attempt == attempts or "address already in use" not in str(exc):
                    raise

    def _start_once(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = self._fixed_port if self._fixed_port is not None else free_port()
        config = self.data_dir / "influxd.toml"
        config.write_text(
            render_config(self.data_dir, port, free_port(), auth=self.auth, max_row_limit=self.max_row_limit)
        )
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self._binary, "run", "-config", str(config), "-pidfile", str(self.data_dir / "influxd.pid")],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._port = port
        try:
            self._wait_ready()
        except InfluxServerError:
            self.stop()
            self._port = None
            raise

    def _wait_ready(self) -> None:
        # Real waiting for a real subprocess: the one place here that reads the wall clock.
        deadline = time.monotonic() + READY_TIMEOUT_S
        assert self._process is not None
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise InfluxServerError(
                        f"influxd exited with code {self._process.returncode} at start:\n{self.log_tail()}"
                    )
                try:
                    if client.get(f"{self.url}/ping").status_code == 204:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise InfluxServerError(
            f"influxd not ready at {self.url}/ping after {READY_TIMEOUT_S:.0f}s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """Return the last ``lines`` lines of influxd's log (empty if there is none)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate influxd and wait for it; kill it if it does not exit within ``timeout``."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def __enter__(self) -> InfluxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

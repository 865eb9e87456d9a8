"""InfluxDB 1.x HTTP API as a :class:`alerter.source.MetricSource` (plus write, ping, create db).

Place in the flow: evaluator -> ``InfluxMetricSource.query`` (here) -> ``/query`` -> parsed
:class:`~alerter.source.StatementResult` per statement. Only I/O and orchestration live here;
the decisions are pure functions in sibling modules: :mod:`.statements` (``now()`` pinning),
:mod:`.results` (answer parsing and its traps), :mod:`.writes` (partial writes),
:mod:`.lineprotocol` (precision), :mod:`.retry` (what to retry, how long to wait).

Round trips: statements go ``;``-joined in batches. When a batch has a failing statement influxd
reports it as "not executed" and drops the rest, so those statements are re-run one by one and
one broken rule never hides the others.

Auth: ``username`` + ``password`` (1.x, sent as HTTP basic auth so it never lands in a URL) or
``token`` (``Authorization: Token ...`` for the v1-compatible API of InfluxDB 2.x/3.x). Secrets
are :class:`pydantic.SecretStr`, read only while signing a request; they never appear in repr,
logs or error text.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Generator, Iterable, Iterator, Sequence
from functools import partial
from types import TracebackType
from typing import Any

import anyio
import httpx
from pydantic import SecretStr

from alerter.errors import QueryError, SourceUnavailable
from alerter.source import StatementResult

from .lineprotocol import has_timestamp, wire_precision
from .results import NOT_EXECUTED, ResponseFormatError, parse_query_body
from .retry import Backoff, Retry, classify_status
from .statements import pin_now, split_statements
from .writes import FailedLine, WriteResult, is_point_refusal, parse_partial_write

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

#: Statements per ``/query`` request; keeps request bodies small and lets batches run in parallel.
BATCH_SIZE = 50


class _SecretAuth(httpx.Auth):
    """Sets the Authorization header from a secret at send time; its repr shows no secret."""

    def __init__(self, scheme: str, secret: Callable[[], str]) -> None:
        self._scheme = scheme
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"{self._scheme} {self._secret()}"
        yield request

    def __repr__(self) -> str:
        return f"<{self._scheme} auth>"


def _make_auth(
    username: str | None, password: SecretStr | None, token: SecretStr | None
) -> httpx.Auth | None:
    if token is not None and (username is not None or password is not None):
        raise ValueError("influxdb: give either a token or username/password, not both")
    if token is not None:
        return _SecretAuth("Token", token.get_secret_value)
    if (username is None) != (password is None):
        raise ValueError("influxdb: username and password go together")
    if username is not None and password is not None:
        user = username

        def basic() -> str:
            pair = f"{user}:{password.get_secret_value()}".encode()
            return base64.b64encode(pair).decode("ascii")

        return _SecretAuth("Basic", basic)
    return None


def _as_secret(value: SecretStr | str | None) -> SecretStr | None:
    return SecretStr(value) if isinstance(value, str) else value


def quote_identifier(name: str) -> str:
    """Return ``name`` as a double-quoted InfluxQL identifier."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class InfluxMetricSource:
    """Queries and writes one InfluxDB database over HTTP.

    ``timeout`` (seconds) bounds every request; at most ``max_concurrency`` requests are in flight;
    a request failing with a connection error, timeout, 5xx or 429 is retried ``retries`` times
    with :class:`~.retry.Backoff` waits (``sleep`` injectable so tests do not wait) and then
    :class:`~alerter.errors.SourceUnavailable` is raised naming the server and the last cause.
    """

    def __init__(
        self,
        url: str,
        database: str,
        *,
        username: str | None = None,
        password: SecretStr | str | None = None,
        token: SecretStr | str | None = None,
        timeout: float = 10.0,
        max_concurrency: int = 8,
        retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: Backoff | None = None,
        sleep: Sleep | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        if max_concurrency < 1 or retries < 0 or timeout <= 0 or batch_size < 1:
            raise ValueError("influxdb: max_concurrency, batch_size >= 1, retries >= 0, timeout > 0")
        self.url = url.rstrip("/")
        self.database = database
        self.username = username
        self._retries = retries
        self._batch_size = batch_size
        self._backoff = backoff or Backoff()
        self._sleep: Sleep = sleep or anyio.sleep
        self._limit = anyio.Semaphore(max_concurrency)
        self._client = httpx.AsyncClient(
            base_url=self.url,
            auth=_make_auth(username, _as_secret(password), _as_secret(token)),
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_concurrency, max_keepalive_connections=max_concurrency),
            transport=transport,
        )

    def __repr__(self) -> str:
        who = f", username={self.username!r}" if self.username else ""
        return f"InfluxMetricSource(url={self.url!r}, database={self.database!r}{who})"

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()

    async def __aenter__(self) -> InfluxMetricSource:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- transport ---------------------------------------------------------------------------

    async def _send(self, what: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with retries; return the first final answer or raise SourceUnavailable."""
        cause = ""
        for attempt in range(self._retries + 1):
            if attempt:
                delay = self._backoff.delay(attempt - 1)
                log.warning(
                    "influxdb %s: %s: %s; retry %d/%d in %.2fs",
                    self.url,
                    what,
                    cause,
                    attempt,
                    self._retries,
                    delay,
                )
                await self._sleep(delay)
            try:
                async with self._limit:
                    response = await self._client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                cause = f"{type(exc).__name__}: {exc}".rstrip(": ")
                continue
            if classify_status(response.status_code) is Retry.FINAL:
                self._raise_for_auth(what, response)
                return response
            cause = f"HTTP {response.status_code} {_error_text(response)}".rstrip()
        raise SourceUnavailable(
            f"influxdb {self.url}: {what}: {cause} (gave up after {self._retries + 1} attempts)"
        )

    def _raise_for_auth(self, what: str, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise SourceUnavailable(
                f"influxdb {self.url}: {what}: HTTP {response.status_code} {_error_text(response)} "
                f"(check the username/password or token)"
            )

    # -- health --------------------------------------------------------------------------------

    async def ping(self) -> str:
        """Return the server's version (``X-Influxdb-Version``); raise SourceUnavailable if down."""
        response = await self._send("ping", "GET", "/ping")
        if response.status_code != 204:
            raise SourceUnavailable(f"influxdb {self.url}: ping: HTTP {response.status_code}")
        return str(response.headers.get("X-Influxdb-Version", ""))

    # -- query ---------------------------------------------------------------------------------

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]:
        """Return one result per statement, in order, with ``now()`` pinned to ``now``.

        A statement the server rejects carries the server's message in ``error``; several
        statements in one string are refused without sending. Raises SourceUnavailable when the
        server cannot be reached after retries (or refuses our credentials).
        """
        results: list[StatementResult | None] = [None] * len(statements)
        to_send: list[tuple[int, str]] = []
        for index, statement in enumerate(statements):
            pieces = split_statements(statement)
            if len(pieces) != 1:
                results[index] = StatementResult(error=_count_error(statement, len(pieces)))
            else:
                to_send.append((index, pin_now(pieces[0], now)))
        batches = [to_send[i : i + self._batch_size] for i in range(0, len(to_send), self._batch_size)]
        await _concurrently([partial(self._run_batch, batch, results) for batch in batches])
        return [r if r is not None else StatementResult(error=NOT_EXECUTED) for r in results]

    async def _run_batch(self, batch: list[tuple[int, str]], results: list[StatementResult | None]) -> None:
        answers = await self._query_raw([sent for _, sent in batch])
        if isinstance(answers, str):
            answers = [StatementResult(error=answers)] if len(batch) == 1 else [None] * len(batch)
        retry: list[tuple[int, str]] = []
        for (index, sent), answer in zip(batch, answers, strict=True):
            if answer is None and len(batch) > 1:
                retry.append((index, sent))
            else:
                results[index] = _explain(answer, sent)
        await _concurrently([partial(self._run_batch, [item], results) for item in retry])

    async def _query_raw(self, statements: list[str]) -> list[StatementResult | None] | str:
        response = await self._send(
            f"query {self.database}",
            "POST",
            "/query",
            params={"db": self.database, "epoch": "s"},
            data={"q": ";\n".join(statements)},
        )
        try:
            with _no_gc():
                return parse_query_body(response.json(), len(statements))
        except (ValueError, ResponseFormatError) as exc:
            raise SourceUnavailable(
                f"influxdb {self.url}: query {self.database}: HTTP {response.status_code}, "
                f"unreadable answer ({exc}): {response.text[:200]!r}"
            ) from None

    async def create_database(self, name: str) -> None:
        """Create database ``name`` (no-op if it exists); raise QueryError if refused."""
        response = await self._send(
            f"create database {name}",
            "POST",
            "/query",
            data={"q": f"CREATE DATABASE {quote_identifier(name)}"},
        )
        answer = parse_query_body(response.json(), 1)
        error = answer if isinstance(answer, str) else (answer[0].error if answer[0] else NOT_EXECUTED)
        if error:
            raise QueryError(f"influxdb {self.url}: create database {name}: {error}")

    # -- write ---------------------------------------------------------------------------------

    async def write(self, lines: Iterable[str], precision: str = "s") -> WriteResult:
        """Write line protocol ``lines`` (timestamps in ``precision``: s, ms, u or ns).

        Returns a :class:`~.writes.WriteResult` listing exactly which lines the server refused
        (a partial write keeps the good lines). Raises ValueError for an unknown precision (the
        server would silently read it as ns), QueryError when the whole write is refused (e.g.
        database not found), SourceUnavailable when the server cannot be reached.

        Writes are retried like queries, which is idempotent for lines carrying a timestamp; a
        line without one may be stored twice if influxd kept it but its answer was lost.
        """
        wire = wire_precision(precision)
        batch = [line for line in lines if line.strip()]
        local = [
            # no space at all: no fields section (cheap check; the server names subtler errors)
            FailedLine(i, line, "missing fields")
            for i, line in enumerate(batch)
            if " " not in line.strip()
        ]
        refused = {f.index for f in local}
        sendable = [i for i in range(len(batch)) if i not in refused]
        if not sendable:
            return WriteResult(written=0, failed=tuple(local))
        status, error = await self._write_raw([batch[i] for i in sendable], wire)
        if status == 204:
            return WriteResult(written=len(sendable), failed=tuple(local))
        if status != 400 or not is_point_refusal(error):
            raise QueryError(f"influxdb {self.url}: write to {self.database}: HTTP {status} {error}")
        partial = parse_partial_write(error, batch)
        if partial is None:
            # Whole batch refused, nothing kept (influxd 1.6 does this for a type conflict inside
            # one batch): every line is a candidate and re-sending cannot duplicate anything.
            found = await self._find_dropped(batch, sendable, wire, split_first=True)
            return WriteResult(
                written=len(sendable) - len(found), failed=tuple(sorted([*local, *found], key=_index))
            )
        known = refused | {f.index for f in partial.unparsable}
        candidates = [i for i in sendable if i not in known and has_timestamp(batch[i])]
        found = await self._find_dropped(batch, candidates, wire, split_first=True) if partial.dropped else []
        failed = tuple(sorted({*local, *partial.unparsable, *found}, key=_index))
        unattributed = max(0, partial.dropped - len(found))
        return WriteResult(
            written=len(batch) - len(failed) - unattributed, failed=failed, unattributed=unattributed
        )

    async def _write_raw(self, lines: Sequence[str], wire_precision_: str) -> tuple[int, str]:
        response = await self._send(
            f"write to {self.database}",
            "POST",
            "/write",
            params={"db": self.database, "precision": wire_precision_},
            content="\n".join(lines).encode(),
        )
        return response.status_code, _error_text(response)

    async def _find_dropped(
        self, batch: Sequence[str], candidates: list[int], wire: str, *, split_first: bool = False
    ) -> list[FailedLine]:
        """Bisect: re-write halves (idempotent: each has its timestamp) to find refused lines."""
        if not candidates:
            return []
        if not split_first or len(candidates) == 1:
            status, error = await self._write_raw([batch[i] for i in candidates], wire)
            if status == 204:
                return []
            if len(candidates) == 1:
                partial = parse_partial_write(error, [batch[candidates[0]]])
                reason = partial.message if partial else error
                return [FailedLine(candidates[0], batch[candidates[0]], reason)]
        middle = len(candidates) // 2
        return [
            *await self._find_dropped(batch, candidates[:middle], wire),
            *await self._find_dropped(batch, candidates[middle:], wire),
        ]


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while an answer is decoded and parsed.

    Decoding 70,000 series allocates ~10 objects each and no cycles; with the collector on, those
    allocations trigger collections that rescan every long-lived per-series state object, which
    measured as half the engine's time in ``bench/eval_cycle.py``. No ``await`` happens inside.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _concurrently(calls: list[Callable[[], Awaitable[None]]]) -> None:
    """Run ``calls`` concurrently; on the first failure cancel the rest and raise it as itself.

    (A bare task group would wrap it in an ExceptionGroup, and callers catch SourceUnavailable.)
    """
    if len(calls) <= 1:
        for call in calls:
            await call()
        return
    failures: list[Exception] = []
    async with anyio.create_task_group() as tg:

        async def run(call: Callable[[], Awaitable[None]]) -> None:
            try:
                await call()
            except Exception as exc:  # re-raised below, unwrapped
                failures.append(exc)
                tg.cancel_scope.cancel()

        for call in calls:
            tg.start_soon(run, call)
    if failures:
        raise failures[0]


def _index(failed: FailedLine) -> int:
    return failed.index


def _explain(answer: StatementResult | None, sent: str) -> StatementResult:
    """Attach the statement as sent to parse errors, whose char positions refer to it."""
    if answer is None:
        return StatementResult(error=NOT_EXECUTED)
    if answer.error and answer.error.startswith("error parsing query"):
        return StatementResult(error=f"{answer.error} (statement as sent: {sent})")
    return answer


def _count_error(statement: str, count: int) -> str:
    if count == 0:
        return "empty statement"
    return f"{count} statements in one query string ({statement!r}); give each rule one statement"


def _error_text(response: httpx.Response) -> str:
    """The server's ``error`` field if the body is InfluxDB JSON, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return error
    return response.text[:200].strip()

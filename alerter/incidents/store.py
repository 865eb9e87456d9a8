"""The incident store: SQLite (embedded default) or PostgreSQL behind one API.

Place in the flow: streams -> correlation -> **store** -> route -> notify. Opening a store
migrates the database to the newest Alembic revision. All work happens in a unit of work::

    store = IncidentStore("sqlite:///var/lib/alerter/alerter.db")
    with store.transaction() as tx:           # one transaction, several tables
        applied = tx.observe(observation, policy)
        # ... later stages write their outbox rows through tx.session here ...

or, retried on a lost race with another writer (see :mod:`.unit`)::

    applied = store.run(lambda tx: tx.observe(observation, policy))

After a restart, :meth:`IncidentStore.restart_state` returns the open incidents with their
alerts and the saved per-series states, so nothing is opened twice: the database itself refuses a
second open incident for one group key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from alerter.incidents.engine import make_engine
from alerter.incidents.lifecycle import LifecyclePolicy
from alerter.incidents.records import AlertObservation, Applied, RestartState
from alerter.incidents.unit import IncidentRef, StoreTransaction
from alerter.migrations import upgrade_to_head

T = TypeVar("T")

# PostgreSQL SQLSTATEs worth a retry: serialization_failure, deadlock_detected.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})


class IncidentStore:
    """Incidents, alerts, their history and per-series state in one database.

    ``url``: ``sqlite:///path/alerter.db`` or ``postgresql+psycopg://user@host:port/db``.
    ``migrate``: bring the schema to head on open (default; turn off for read-only tools).
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.engine: Engine = make_engine(url)
        self.races_retried = 0
        """How many units of work :meth:`run` restarted after losing a race (a metric)."""
        if migrate:
            upgrade_to_head(self.engine)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[StoreTransaction]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield StoreTransaction(session)

    def run(self, work: Callable[[StoreTransaction], T], *, attempts: int = 5) -> T:
        """Run ``work`` in a transaction, retrying it from scratch when it lost a race.

        A race is a unique-index conflict (another writer opened the same group's incident
        first) or a PostgreSQL serialization failure/deadlock. ``work`` must therefore only
        touch the database through its argument. Re-raises after ``attempts``.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as tx:
                    return work(tx)
            except DBAPIError as exc:
                if attempt == attempts or not _is_race(exc):
                    raise
                self.races_retried += 1
        raise AssertionError("unreachable")  # the loop returns or raises

    def observe(self, obs: AlertObservation, policy: LifecyclePolicy) -> Applied:
        """:meth:`StoreTransaction.observe` in its own (retried) transaction."""
        return self.run(lambda tx: tx.observe(obs, policy))

    def tick(self, now: float, policy: LifecyclePolicy) -> list[Applied]:
        """:meth:`StoreTransaction.tick` in its own (retried) transaction."""
        return self.run(lambda tx: tx.tick(now, policy))

    def acknowledge(self, ref: IncidentRef, who: str, now: float, note: str | None = None) -> Applied:
        """Acknowledge by id or key. Raises UnknownIncident, IncidentStateError."""
        return self.run(lambda tx: tx.acknowledge(ref, who, now, note))

    def resolve(self, ref: IncidentRef, who: str, now: float, note: str | None = None) -> Applied:
        """Resolve by id or key. Raises UnknownIncident."""
        return self.run(lambda tx: tx.resolve(ref, who, now, note))

    def restart_state(self) -> RestartState:
        """Open incidents with their alerts, and every saved per-series state."""
        with self.transaction() as tx:
            return RestartState(tuple(tx.open_incidents()), tx.series_states())

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> IncidentStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _is_race(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return "unique" in str(exc.orig).lower()
    return getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES

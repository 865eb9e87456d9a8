"""Database engines for the incident store: SQLite (embedded default) and PostgreSQL.

Place in the flow: used only by :mod:`alerter.incidents.store`. SQLite is made durable and safe
for two writers here:

* ``journal_mode=WAL`` + ``synchronous=FULL``: a committed transaction survives ``kill -9`` (and
  power loss), readers do not block the writer;
* every transaction starts with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two
  writers queue on ``busy_timeout`` instead of failing half-way with "database is locked" when a
  read lock cannot be upgraded (pysqlite's default deferred BEGIN);
* ``foreign_keys=ON`` (SQLite ignores FOREIGN KEY clauses otherwise).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

BUSY_TIMEOUT_S = 30.0


def normalize_url(url: str) -> str:
    """Pick the driver alerter ships with: ``postgresql://`` means psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).

    Raises ValueError for other databases: only these two are tested.
    """
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise ValueError(
        f"incident store: unsupported database {backend!r} in {make_url(url)!r} (use sqlite or postgresql)"
    )


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we send BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        _switch_to_wal(cursor)
        for pragma in (
            "synchronous=FULL",
            "foreign_keys=ON",
            f"busy_timeout={int(BUSY_TIMEOUT_S * 1000)}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


WAL_SWITCH_ATTEMPTS = 60


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, waiting out a concurrent switch.

    Turning a brand-new database file to WAL takes an exclusive lock, and SQLite answers
    "database is locked" at once there instead of calling the busy handler; so when several
    processes open a fresh database together (tested), all but one retry here briefly. Once the
    file is in WAL mode the pragma is a no-op that needs no lock.
    """
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(min(0.5, 0.01 * 2**attempt))  # a real lock wait, not a test's poll

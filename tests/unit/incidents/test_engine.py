"""Engine set-up: SQLite durability pragmas, write locking, URL normalisation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from alerter.incidents.engine import make_engine, normalize_url


def test_sqlite_is_wal_with_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with engine.connect() as conn:
            pragmas = {
                p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30000}


def test_sqlite_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: a second writer cannot even start while the first holds its transaction."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    first, second = make_engine(url), make_engine(url)
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with first.begin() as held:
            held.execute(text("SELECT 1"))  # a read only: a deferred BEGIN would not lock yet
            raw = second.raw_connection()
            try:
                raw.execute("PRAGMA busy_timeout=0")  # type: ignore[attr-defined]
                with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                    raw.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
            finally:
                raw.close()
    finally:
        first.dispose()
        second.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@127.0.0.1:5/db", "postgresql+psycopg://u@127.0.0.1:5/db"),
        ("postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("sqlite:////var/lib/alerter.db", "sqlite:////var/lib/alerter.db"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_other_databases_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        make_engine("mysql://u@h/db")

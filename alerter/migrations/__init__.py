"""Alembic migrations of the store's schema, runnable without an ``alembic.ini``.

Place in the flow: ``incidents.store`` calls :func:`upgrade_to_head` when it opens a database, so
an empty database gets the schema and an old one is brought forward. Revisions live in
``versions/``; write one for every change to :mod:`alerter.incidents.tables` (the test
``test_models_match_migrations`` fails otherwise). To draft one against a database at head::

    python -m alerter.migrations revision "add outbox" sqlite:////tmp/x.db
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text

HERE = Path(__file__).resolve().parent
MIGRATION_LOCK_KEY = 0x616C6572  # "aler": the PostgreSQL advisory lock held while migrating


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at this package (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(target: str | Engine | Connection) -> None:
    """Bring the database at ``target`` (URL, engine or connection) to the newest revision.

    With a connection, the caller owns it and its transaction handling; with an engine or a URL,
    one connection is opened, migrated and committed. Raises SQLAlchemy/Alembic errors as is.
    """
    if isinstance(target, Connection):
        if target.dialect.name == "postgresql":
            # two engines starting at once must not both create the tables; SQLite's
            # BEGIN IMMEDIATE (see incidents.engine) already serialises them
            target.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        config = alembic_config()
        config.attributes["connection"] = target
        command.upgrade(config, "head")
        return
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as conn:
            upgrade_to_head(conn)
    finally:
        if isinstance(target, str):
            engine.dispose()


def head_revision() -> str:
    """The newest revision id in ``versions/``."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"alembic: no revisions in {HERE / 'versions'}")
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision the database behind ``conn`` is at (None when never migrated)."""
    return MigrationContext.configure(conn).get_current_revision()


def revision_cli(argv: list[str]) -> None:
    """``python -m alerter.migrations revision MESSAGE URL``: autogenerate a draft revision."""
    if len(argv) != 3 or argv[0] != "revision":
        raise SystemExit("usage: python -m alerter.migrations revision MESSAGE DATABASE_URL")
    config = alembic_config(argv[2])
    command.revision(config, message=argv[1], autogenerate=True)

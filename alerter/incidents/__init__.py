"""Incidents: dedup + lifecycle + the store. Stage after ``streams``, before ``route``.

* :mod:`.lifecycle` pure transitions (no I/O): what happens to an incident when an alert changes,
  time passes, or a person acts;
* :mod:`.tables` every SQLModel table of alerter (the one place tables live);
* :mod:`.store` :class:`~alerter.incidents.store.IncidentStore`: SQLite (embedded default) or
  PostgreSQL, Alembic-migrated, one unit of work spanning several tables.
"""

"""``alerter outbox``: pages still to deliver and pages given up on, with their last error.

Thin: the rows come from :class:`alerter.notify.outbox.Outbox` in the engine's database (``--db``
or ``ALERTER_DATABASE_URL``). By default it lists ``pending``/``sending`` rows (still to go) and
``failed``/``dead`` ones (a person must look); ``--all`` adds the delivered ones. Read only: it
never migrates or changes the database.

    alerter outbox                        # table
    alerter outbox --all --format json
"""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from alerter.clock import Clock, SystemClock, to_datetime
from alerter.incidents.outbox_tables import OutboxStatus
from alerter.incidents.store import IncidentStore
from alerter.notify.outbox import Outbox, OutboxEntry

DEFAULT_DB = "sqlite:///var/alerter.db"
UNDELIVERED = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED, OutboxStatus.DEAD)
MAX_ERROR_CHARS = 160


def outbox_command(clock: Clock | None = None) -> click.Command:
    """The ``outbox`` command, reading "now" (for "next attempt in ...") from ``clock``."""

    @click.command(name="outbox")
    @click.option(
        "--db",
        default=DEFAULT_DB,
        show_default=True,
        envvar="ALERTER_DATABASE_URL",
        help="Database URL of the engine (sqlite:///... or postgresql://...).",
    )
    @click.option("--all", "show_all", is_flag=True, help="Include delivered pages.")
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
    )
    def outbox(db: str, show_all: bool, output_format: str) -> None:
        """Show pages waiting for delivery, and failed/dead ones with their last error."""
        now = (clock or SystemClock()).now()
        try:
            with IncidentStore(db, migrate=False) as store:
                box = Outbox(store)
                entries = box.entries(None if show_all else UNDELIVERED)
                counts = box.counts()
        except SQLAlchemyError as exc:
            cause = " ".join(str(getattr(exc, "orig", None) or exc).split())  # one line
            raise click.ClickException(f"outbox: cannot read the outbox in {_safe(db)}: {cause}") from None
        if output_format == "json":
            data = {"counts": {s.value: n for s, n in counts.items()}, "pages": [_json(e) for e in entries]}
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            click.echo(_table(entries, counts, now))

    return outbox


outbox = outbox_command()


def _safe(url: str) -> str:
    """The URL without its password (it goes into an error message)."""
    return make_url(url).render_as_string(hide_password=True)


def _iso(t: float | None) -> str | None:
    return None if t is None else to_datetime(t).isoformat()


def _json(e: OutboxEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "status": e.status.value,
        "channel": e.channel,
        "target": e.target,
        "incident_key": e.incident_key,
        "transition": e.transition,
        "action": None if e.request is None else e.request.action.value,
        "attempts": e.attempts,
        "created_at": _iso(e.created_at),
        "next_attempt_at": None
        if e.status not in (OutboxStatus.PENDING, OutboxStatus.SENDING)
        else _iso(e.next_attempt_at),
        "last_attempt_at": _iso(e.last_attempt_at),
        "delivered_at": _iso(e.delivered_at),
        "last_error": e.last_error or e.request_error,
    }


def _next(e: OutboxEntry, now: float) -> str:
    if e.status is OutboxStatus.SENDING:
        return "in flight"
    if e.status is not OutboxStatus.PENDING:
        return "-"
    wait = e.next_attempt_at - now
    return "due" if wait <= 0 else f"in {wait:.0f}s"


def _table(entries: list[OutboxEntry], counts: dict[OutboxStatus, int], now: float) -> str:
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    if not entries:
        return f"no undelivered pages ({summary or 'outbox empty'})"
    header = ("ID", "STATUS", "CHANNEL", "TARGET", "INCIDENT", "TRANSITION", "ATTEMPTS", "NEXT", "LAST ERROR")
    rows = [
        (
            str(e.id),
            e.status.value,
            e.channel,
            e.target or "-",
            e.incident_key,
            e.transition,
            str(e.attempts),
            _next(e, now),
            _short(e.last_error or e.request_error or ""),
        )
        for e in entries
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)), r[-1]]).rstrip()
        for r in [header, *rows]
    ]
    return "\n".join([*lines, f"({summary})"])


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= MAX_ERROR_CHARS else one_line[: MAX_ERROR_CHARS - 3] + "..."

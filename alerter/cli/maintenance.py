"""``alerter maintenance``: start, end, extend and list maintenance windows; show the audit log.

Place in the flow: a thin command over :class:`alerter.incidents.maintenance_store.MaintenanceStore`
(same database as the engine, ``--db`` or ``ALERTER_DATABASE_URL``); the running engine reads
the windows into its maintenance book, so alerts of the hosts never page. Examples::

    alerter maintenance start --host web1 --for 10m --reason "release 42"
    alerter maintenance start --match 'role=~"db|cache"' --start 2026-11-20T22:00:00+01:00 \\
        --end 2026-11-20T23:00:00+01:00 --reason "DB failover test" --owner dba
    alerter maintenance end --host web1
    alerter maintenance list --all
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from alerter.clock import Clock, SystemClock
from alerter.config.maintenance import MaintenanceWindow, Matcher, parse_for, parse_instant
from alerter.incidents.maintenance_store import (
    AuditEntry,
    MaintenanceStore,
    UnknownWindow,
    WindowClosed,
)
from alerter.route.maintenance import active_at, schedule_text

DEFAULT_DB = "sqlite:///var/alerter.db"


def _who() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "unknown"


def _db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        "db",
        default=DEFAULT_DB,
        show_default=True,
        envvar="ALERTER_DATABASE_URL",
        help="Database URL of the engine (sqlite:///... or postgresql://...).",
    )(f)


def _by_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--by", default=_who, help="Who does this (audit log; default: your login).")(f)


def _instant(_ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    try:
        return None if value is None else parse_instant(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


def _duration(_ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    try:
        return None if value is None else parse_for(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


def _matchers(_ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[Matcher, ...]:
    try:
        return tuple(Matcher.parse(v) for v in value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


@contextmanager
def _open(db: str) -> Iterator[MaintenanceStore]:
    """The store at ``db``; a database that cannot be opened is a one-line error naming it
    (password hidden), not a traceback."""
    try:
        store = MaintenanceStore(db)
    except (DBAPIError, ValueError) as exc:
        shown = make_url(db).render_as_string(hide_password=True) if "://" in db else db
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        raise click.ClickException(f"maintenance: cannot open database {shown}: {cause}") from None
    with store:
        yield store


def maintenance_group(clock: Clock | None = None) -> click.Group:
    """The ``maintenance`` group reading time from ``clock`` (default: the system clock)."""
    now = (clock or SystemClock()).now

    @click.group("maintenance")
    def group() -> None:
        """Maintenance windows: alerts of hosts (or label sets) in one never page."""

    @group.command("start")
    @click.option("--host", "hosts", multiple=True, help="A host in maintenance (repeatable).")
    @click.option(
        "--match",
        "matchers",
        multiple=True,
        callback=_matchers,
        help="Label matcher: k=v, k!=v, k=~re, k!~re.",
    )
    @click.option("--for", "for_", callback=_duration, help="Duration from the start (e.g. 10m).")
    @click.option("--start", callback=_instant, help="Start, ISO time with offset (default: now).")
    @click.option("--end", callback=_instant, help="End, ISO time with offset.")
    @click.option("--reason", required=True, help='Why (e.g. "release 42").')
    @click.option("--owner", default="", help="Team or person responsible.")
    @_by_option
    @_db_option
    def start(
        hosts: tuple[str, ...],
        matchers: tuple[Matcher, ...],
        for_: float | None,
        start: float | None,
        end: float | None,
        reason: str,
        owner: str,
        by: str,
        db: str,
    ) -> None:
        """Start a window now (--for), or announce one (--start/--end)."""
        t = now()
        if (for_ is None) == (end is None):
            raise click.UsageError("give either --for or --end")
        begin = t if start is None else start
        finish = begin + for_ if for_ is not None else end
        try:
            window = MaintenanceWindow(
                "new", hosts, matchers, begin, finish, owner=owner, reason=reason, created_by=by
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        if finish is not None and finish <= t:
            raise click.UsageError("the window would already be over (its end is not in the future)")
        with _open(db) as store:
            stored = store.start(window, by=by, now=t)
        verb = "announced" if begin > t else "started"
        click.echo(f"{verb} maintenance {stored.id}: {_what(stored)} {schedule_text(stored)} ({reason})")

    @group.command("end")
    @click.option("--id", "window_id", type=int, help="The window to end.")
    @click.option("--host", help="End maintenance of this host (in every window naming it).")
    @_by_option
    @_db_option
    def end(window_id: int | None, host: str | None, by: str, db: str) -> None:
        """End a window now (by id), or a host's maintenance."""
        if (window_id is None) == (host is None):
            raise click.UsageError("give either --id or --host")
        with _open(db) as store:
            try:
                changed = (
                    [store.end_window(window_id, by=by, now=now())]
                    if window_id is not None
                    else store.end_host(str(host), by=by, now=now())
                )
            except (UnknownWindow, WindowClosed) as exc:
                raise click.ClickException(str(exc)) from None
        if not changed:
            raise click.ClickException(f"host {host}: in no open maintenance window")
        for w in changed:
            click.echo(
                f"ended maintenance {w.id}"
                if w.ended_at is not None
                else f"maintenance {w.id}: now {_what(w)}"
            )

    @group.command("extend")
    @click.option("--id", "window_id", type=int, required=True, help="The window to extend.")
    @click.option("--for", "for_", callback=_duration, help="New end: this long from now.")
    @click.option("--end", callback=_instant, help="New end, ISO time with offset.")
    @_by_option
    @_db_option
    def extend(window_id: int, for_: float | None, end: float | None, by: str, db: str) -> None:
        """Move a window's end."""
        if (for_ is None) == (end is None):
            raise click.UsageError("give either --for or --end")
        t = now()
        new_end = t + for_ if for_ is not None else end
        assert new_end is not None
        with _open(db) as store:
            try:
                w = store.extend(window_id, end=new_end, by=by, now=t)
            except (UnknownWindow, WindowClosed, ValueError) as exc:
                raise click.ClickException(str(exc)) from None
        click.echo(f"maintenance {w.id}: {schedule_text(w)}")

    @group.command("list")
    @click.option("--all", "show_all", is_flag=True, help="Include windows that are over.")
    @_db_option
    def list_(show_all: bool, db: str) -> None:
        """Windows that are active or announced (with --all: every window)."""
        t = now()
        with _open(db) as store:
            windows = store.windows(now=None if show_all else t)
        if not windows:
            click.echo("no maintenance windows")
        for w in windows:
            click.echo(
                f"{w.id}\t{_state(w, t)}\t{_what(w)}\t{schedule_text(w)}\t{w.owner or '-'}\t{w.created_by}\t{w.reason}"
            )

    @group.command("audit")
    @click.option("--id", "window_id", type=int, help="Only this window.")
    @_db_option
    def audit(window_id: int | None, db: str) -> None:
        """Who started, ended or extended which window, and when."""
        with _open(db) as store:
            entries = store.audit(window_id)
        for e in entries:
            click.echo(_audit_line(e))

    return group


def _what(w: MaintenanceWindow) -> str:
    parts = [f"host {','.join(w.hosts)}"] if w.hosts else []
    parts += [str(m) for m in w.matchers]
    return " ".join(parts)


def _state(w: MaintenanceWindow, t: float) -> str:
    if active_at(w, t):
        return "active"
    stop = w.stops_at
    if stop is not None and stop <= t:
        return "ended" if w.ended_at is not None and w.ended_at <= t else "over"
    return "announced"


def _audit_line(e: AuditEntry) -> str:
    at = datetime.fromtimestamp(e.at, UTC).isoformat().replace("+00:00", "Z")
    return f"{at}\t{e.actor}\t{e.action.value}\twindow {e.window_id}\t{e.snapshot.get('reason', '')}"


maintenance = maintenance_group()
"""The command group the main CLI registers."""

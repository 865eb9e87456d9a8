"""The durable outbox: pages are written to the incident database in the incident change's own
transaction, and leave it only through :mod:`alerter.notify.delivery`.

Place in the flow: ``pipeline`` -> ``route`` decide a page -> :func:`enqueue` writes it through the
batch's ``StoreTransaction.session`` (so the incident change and its pages commit together or not
at all) -> :class:`Outbox` hands due rows to the ``Deliverer`` and records how each attempt ended.
The table is :class:`alerter.incidents.outbox_tables.OutboxPage`.

"Never enqueued twice": one row per (incident key, transition, channel, target), enforced by the
database's unique constraint; :func:`enqueue` returns False for a transition already queued, so a
re-run batch (a lost race) or a restarted engine cannot queue the same page again::

    with store.transaction() as tx:
        applied = tx.observe(observation, policy)
        enqueue(tx.session, page, transition="opened#0", channel="pagerduty", now=now)

Order: each (incident key, channel, target) is a *stream*; only its oldest undelivered row (its
*head*) is ever due, so a resolve never overtakes its trigger. A ``failed`` or ``dead`` row no
longer holds its stream back (the pages behind it may then be dropped by the receiver, e.g.
PagerDuty drops a resolve for a key it never saw; ``alerter outbox`` shows the failed row).

One sender per database: :meth:`Outbox.recover` (run when a sender starts) takes back every row
a dead sender left ``sending``. A claim is also a lease (``next_attempt_at``), so a row whose
sender vanished becomes due again once the lease ends.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Engine, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from alerter.incidents.outbox_tables import ACTIVE_STATUSES, NO_TARGET, OutboxPage, OutboxStatus
from alerter.incidents.store import IncidentStore
from alerter.notify.pager import PageAction, PageLink, PageRequest, PageSeverity

_T = OutboxPage.__table__  # type: ignore[attr-defined]
_TOKEN = ["incident_key", "transition", "channel", "target"]

INTERRUPTED = (
    "interrupted: the sender stopped while this page was in flight (it may have arrived; "
    "re-sent with the same dedup_key, which the receiver treats as the same page)"
)


# -- the stored request ------------------------------------------------------------------------


def page_to_json(page: PageRequest) -> dict[str, Any]:
    """A :class:`PageRequest` as plain JSON data (what the ``request`` column holds)."""
    return page.to_dict()


def page_from_json(data: Mapping[str, Any]) -> PageRequest:
    """Inverse of :func:`page_to_json`. Raises ValueError (or KeyError) for data it did not write."""
    return PageRequest(
        action=PageAction(data["action"]),
        dedup_key=str(data["dedup_key"]),
        summary=str(data.get("summary") or ""),
        source=str(data.get("source") or ""),
        severity=PageSeverity(data.get("severity") or PageSeverity.CRITICAL.value),
        component=data.get("component"),
        group=data.get("group"),
        class_=data.get("class"),
        custom_details=dict(data.get("custom_details") or {}),
        links=tuple(PageLink(str(x["href"]), str(x.get("text") or "")) for x in data.get("links") or ()),
    )


# -- writing, inside the caller's transaction ------------------------------------------------


def enqueue(
    session: Session,
    page: PageRequest,
    *,
    transition: str,
    channel: str,
    now: float,
    target: str | None = None,
) -> bool:
    """Queue ``page`` for ``channel`` (to ``target``) in the caller's open transaction.

    ``transition`` names this page's reason uniquely within the incident, e.g. ``"opened#0"``,
    ``"escalated:critical#0"``, ``"acknowledged#0"``, ``"resolved#0"``, ``"reopened#1"``; the
    incident key is ``page.dedup_key``. Returns True if a row was added, False if that
    transition was already queued for that channel and target (the database refused it without
    aborting the transaction). Raises ValueError if ``page`` is not JSON-serialisable.
    """
    data = page_to_json(page)
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"outbox: page {page.dedup_key} ({transition}) is not JSON: {exc}") from None
    values = {
        "created_at": now,
        "incident_key": page.dedup_key,
        "transition": transition,
        "channel": channel,
        "target": NO_TARGET if target is None else target,
        "request": data,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
    }
    # ON CONFLICT DO NOTHING, not a caught IntegrityError: on PostgreSQL an error aborts the whole
    # transaction, and the incident change it carries must still commit.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(_T).values(**values).on_conflict_do_nothing(index_elements=_TOKEN).returning(_T.c.id)
    )
    return session.connection().execute(statement).first() is not None


def transition_token(transition: str, occurrence: int, level: str | None = None) -> str:
    """The ``transition`` argument of :func:`enqueue`, spelled one way everywhere.

    ``transition``: the lifecycle word (``"opened"``, ``"reopened"``, ``"escalated_severity"``,
    ``"acknowledged"``, ``"resolved_auto"``, ...); ``occurrence``: the incident's
    ``reopened_count`` (each reopen may page, ack and resolve again); ``level``: the severity
    of an escalation (each level pages at most once per occurrence, as severity never drops
    while open).

    >>> transition_token("opened", 0), transition_token("escalated_severity", 1, "critical")
    ('opened#0', 'escalated_severity:critical#1')
    """
    return f"{transition}:{level}#{occurrence}" if level else f"{transition}#{occurrence}"


def enqueue_follow_up(
    session: Session, page: PageRequest, *, transition: str, now: float, skip_channels: Collection[str] = ()
) -> int:
    """Queue an acknowledge or resolve ``page`` to every channel and target that already has a
    page for this incident (``page.dedup_key``); return how many rows were added.

    ``skip_channels`` are left out (the channel the ack or resolve came from). So a resolve goes
    wherever the trigger went, and nowhere else (PagerDuty would drop a
    resolve for a key it never saw, and an e-mail "resolved" for a page nobody got confuses).
    Raises ValueError for a trigger: triggers are routed, not followed up.
    """
    if page.action is PageAction.TRIGGER:
        raise ValueError(f"outbox: follow-up page for {page.dedup_key} must be acknowledge or resolve")
    streams = session.connection().execute(
        select(_T.c.channel, _T.c.target).where(_T.c.incident_key == page.dedup_key).distinct()
    )
    added = 0
    for channel, target in sorted(streams.all()):
        if channel in skip_channels:
            continue  # e.g. an ack that came from PagerDuty itself needs no echo
        stored_target = None if target == NO_TARGET else target
        added += enqueue(session, page, transition=transition, channel=channel, target=stored_target, now=now)
    return added


# -- reading and settling, each in its own short transaction ---------------------------------


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One stored row. ``request`` is None only if the stored JSON is not a page (then
    ``request_error`` says why); ``target`` None means the channel's own recipients."""

    id: int
    created_at: float
    incident_key: str
    transition: str
    channel: str
    target: str | None
    request: PageRequest | None
    status: OutboxStatus
    attempts: int
    next_attempt_at: float
    last_attempt_at: float | None
    last_error: str | None
    delivered_at: float | None
    request_error: str | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """How one claimed row ends this round: its new ``status`` (``pending`` = try again at
    ``next_attempt_at``), the error to keep, and whether it counts as an attempt (a row handed
    back unsent because its channel is paused does not)."""

    id: int
    status: OutboxStatus
    at: float
    error: str | None = None
    next_attempt_at: float | None = None
    attempted: bool = True


class Outbox:
    """The ``outbox`` table seen by senders and by ``alerter outbox``. See the module doc.

    ``store``: the incident store (or its engine); the table must exist (opening an
    :class:`IncidentStore` migrates it).
    """

    def __init__(self, store: IncidentStore | Engine) -> None:
        self.engine: Engine = store.engine if isinstance(store, IncidentStore) else store

    @contextmanager
    def _session(self) -> Iterator[Connection]:
        """One short transaction (SQLite: BEGIN IMMEDIATE, see ``incidents.engine``)."""
        with self.engine.begin() as conn:
            yield conn

    # -- for the sender ------------------------------------------------------------------

    def due(
        self, now: float, limit: int = 100, *, exclude_channels: Collection[str] = ()
    ) -> list[OutboxEntry]:
        """Stream heads whose next attempt is due at ``now``, oldest first (read only)."""
        with self._session() as conn:
            return [_entry(r) for r in conn.execute(_heads(now, limit, exclude_channels)).all()]

    def claim(
        self, now: float, limit: int, *, lease: float, exclude_channels: Collection[str] = ()
    ) -> list[OutboxEntry]:
        """Take up to ``limit`` due heads for sending: they become ``sending`` until ``now + lease``.

        Oldest first, at most one row per stream. A row another sender claimed meanwhile is
        skipped (the UPDATE re-checks that it is still due).
        """
        with self._session() as conn:
            heads = [_entry(r) for r in conn.execute(_heads(now, limit, exclude_channels)).all()]
            if not heads:
                return []
            taken = conn.execute(
                update(_T)
                .where(
                    _T.c.id.in_([h.id for h in heads]),
                    _T.c.status.in_(ACTIVE_STATUSES),
                    _T.c.next_attempt_at <= now,
                )
                .values(status=OutboxStatus.SENDING.value, next_attempt_at=now + lease)
                .returning(_T.c.id)
            ).all()
        ids = {row[0] for row in taken}
        return [_claimed(h, now, lease) for h in heads if h.id in ids]

    def settle(self, settlements: Sequence[Settlement]) -> int:
        """Record how claimed rows ended, in ONE transaction; return how many rows changed.

        Only rows still ``sending`` change: a row :meth:`recover` took back meanwhile stays as
        recover left it.
        """
        changed = 0
        with self._session() as conn:
            for s in settlements:
                result = conn.execute(
                    update(_T)
                    .where(_T.c.id == s.id, _T.c.status == OutboxStatus.SENDING.value)
                    .values(**_settled_values(s))
                )
                changed += result.rowcount
        return changed

    def mark_delivered(self, entry_id: int, now: float) -> bool:
        """The receiver accepted the claimed row ``entry_id``."""
        return self.settle([Settlement(entry_id, OutboxStatus.DELIVERED, now)]) == 1

    def mark_retry(self, entry_id: int, now: float, delay: float, error: str) -> bool:
        """A recoverable failure: try the claimed row again ``delay`` seconds after ``now``."""
        settlement = Settlement(entry_id, OutboxStatus.PENDING, now, error, next_attempt_at=now + delay)
        return self.settle([settlement]) == 1

    def mark_failed(self, entry_id: int, now: float, error: str) -> bool:
        """A permanent failure: the claimed row is never retried; ``error`` is kept for people."""
        return self.settle([Settlement(entry_id, OutboxStatus.FAILED, now, error)]) == 1

    def mark_dead(self, entry_id: int, now: float, error: str) -> bool:
        """The claimed row used up its attempts; ``error`` (the last one) is kept for people."""
        return self.settle([Settlement(entry_id, OutboxStatus.DEAD, now, error)]) == 1

    def recover(self, now: float) -> int:
        """Take back every ``sending`` row (its sender died): due at ``now``, one attempt counted.

        Call once when a sender starts. Returns how many rows were in flight.
        """
        with self._session() as conn:
            result = conn.execute(
                update(_T)
                .where(_T.c.status == OutboxStatus.SENDING.value)
                .values(
                    status=OutboxStatus.PENDING.value,
                    next_attempt_at=now,
                    attempts=_T.c.attempts + 1,
                    last_error=INTERRUPTED,
                )
            )
            return int(result.rowcount)

    # -- for people ----------------------------------------------------------------------

    def entries(self, statuses: Collection[OutboxStatus] | None = None) -> list[OutboxEntry]:
        """Rows with one of ``statuses`` (all rows if None), oldest first."""
        query = select(_T).order_by(_T.c.id)
        if statuses is not None:
            query = query.where(_T.c.status.in_([s.value for s in statuses]))
        with self._session() as conn:
            return [_entry(r) for r in conn.execute(query).all()]

    def pending(self) -> list[OutboxEntry]:
        """Rows still to deliver (``pending`` or ``sending``), oldest first."""
        return self.entries((OutboxStatus.PENDING, OutboxStatus.SENDING))

    def failed(self) -> list[OutboxEntry]:
        """Rows given up on (``failed``: rejected; ``dead``: out of attempts), oldest first."""
        return self.entries((OutboxStatus.FAILED, OutboxStatus.DEAD))

    def counts(self) -> dict[OutboxStatus, int]:
        """How many rows are in each status (every status present, 0 if none)."""
        out = dict.fromkeys(OutboxStatus, 0)
        with self._session() as conn:
            for status, n in conn.execute(select(_T.c.status, func.count()).group_by(_T.c.status)).all():
                out[OutboxStatus(status)] = int(n)
        return out


def _heads(now: float, limit: int, exclude_channels: Collection[str]) -> Any:
    """Due rows with no older active row in their stream (incident key, channel, target)."""
    earlier = _T.alias("earlier")
    older_active = (
        select(literal(1))
        .where(
            earlier.c.incident_key == _T.c.incident_key,
            earlier.c.channel == _T.c.channel,
            earlier.c.target == _T.c.target,
            earlier.c.status.in_(ACTIVE_STATUSES),
            earlier.c.id < _T.c.id,
        )
        .correlate(_T)
    )
    query = (
        select(_T)
        .where(_T.c.status.in_(ACTIVE_STATUSES), _T.c.next_attempt_at <= now, ~exists(older_active))
        .order_by(_T.c.id)
        .limit(limit)
    )
    if exclude_channels:
        query = query.where(_T.c.channel.not_in(list(exclude_channels)))
    return query


def _settled_values(s: Settlement) -> dict[str, Any]:
    values: dict[str, Any] = {"status": s.status.value}
    if s.attempted:
        values["attempts"] = _T.c.attempts + 1
        values["last_attempt_at"] = s.at
    if s.error is not None:
        values["last_error"] = s.error
    if s.status is OutboxStatus.DELIVERED:
        values["delivered_at"] = s.at
    values["next_attempt_at"] = s.next_attempt_at if s.next_attempt_at is not None else s.at
    return values


def _entry(row: Any) -> OutboxEntry:
    m = row._mapping
    try:
        request, problem = page_from_json(m["request"]), None
    except (KeyError, TypeError, ValueError) as exc:
        request, problem = None, f"stored request is not a page: {type(exc).__name__}: {exc}"
    return OutboxEntry(
        id=m["id"],
        created_at=m["created_at"],
        incident_key=m["incident_key"],
        transition=m["transition"],
        channel=m["channel"],
        target=None if m["target"] == NO_TARGET else m["target"],
        request=request,
        status=OutboxStatus(m["status"]),
        attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"],
        last_attempt_at=m["last_attempt_at"],
        last_error=m["last_error"],
        delivered_at=m["delivered_at"],
        request_error=problem,
    )


def _claimed(entry: OutboxEntry, now: float, lease: float) -> OutboxEntry:
    return replace(entry, status=OutboxStatus.SENDING, next_attempt_at=now + lease)

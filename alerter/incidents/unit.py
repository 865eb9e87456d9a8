"""One unit of work on the incident store: queries and writes inside ONE database transaction.

Place in the flow: the correlation stage (and later ``notify``'s outbox, ``route``'s maintenance
and audit log) does everything one tick decides through a single :class:`StoreTransaction`, so an
incident change and the page it causes commit together or not at all. Other stages reach their
own tables through :attr:`StoreTransaction.session`.

Row locks (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already
serialises writers) keep two writers from losing each other's counts. When two writers race to
open an incident for the same group key, the partial unique index rejects the second; the
store's :meth:`~alerter.incidents.store.IncidentStore.run` retries it, and the retry joins the
incident the first one opened.

A batch costs a few statements, not a few per alert (``bench/correlation_throughput.py``): the
pipeline calls :meth:`StoreTransaction.prefetch` with the batch's fingerprints and group keys,
which loads (and locks) their current alerts, incidents, open and latest resolved incidents and
the members the lifecycle will need, in a handful of IN queries; per-transaction caches answer
:meth:`~StoreTransaction.observe` from then on. Updates of loaded rows go out with the next
autoflush, and append-only history rows (timeline, state changes, suppressions) are buffered and
written with one executemany per table before any query that reads them and before the commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, event, func, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session, col, select

from alerter.incidents import lifecycle
from alerter.incidents.lifecycle import AlertSnapshot, Decision, IncidentStatus, LifecyclePolicy, Transition
from alerter.incidents.records import (
    AlertObservation,
    Applied,
    IncidentRecord,
    TimelineEntry,
    alert_snapshot,
    copy_alert,
    copy_incident,
    incident_record,
    incident_snapshot,
    timeline_entry,
)
from alerter.incidents.tables import (
    Alert,
    AlertStateChange,
    Incident,
    IncidentEvent,
    SeriesState,
    Suppression,
    SuppressionReason,
)

IncidentRef = int | str
"""An incident's id (int) or key (str)."""

RESOLVED = IncidentStatus.RESOLVED.value

T = TypeVar("T")

_TIMELINE: Table = IncidentEvent.__table__  # type: ignore[attr-defined]
_STATE_CHANGE: Table = AlertStateChange.__table__  # type: ignore[attr-defined]
_SUPPRESSION: Table = Suppression.__table__  # type: ignore[attr-defined]
_SERIES_STATE: Table = SeriesState.__table__  # type: ignore[attr-defined]
_MEMBER_COLUMNS = tuple(
    col(c)
    for c in (
        Alert.fingerprint,
        Alert.state,
        Alert.first_seen,
        Alert.last_seen,
        Alert.last_state_change,
        Alert.rule,
        Alert.host,
        Alert.service,
        Alert.labels,
        Alert.value,
    )
)


class UnknownIncident(LookupError):
    """No incident has this id or key."""


class StoreTransaction:
    """Queries and writes of one transaction. Obtain from ``IncidentStore.transaction()``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # incident id -> its members, loaded once per transaction and kept up to date by
        # apply(); safe because every path that changes members holds the incident's row lock
        self._members: dict[int, dict[str, AlertSnapshot]] = {}
        # Row caches of this transaction (rows live in the session's identity map anyway; these
        # answer the hot lookups without a SELECT). Only rows read WITH their lock, or written
        # here, enter them, and every write of ``is_current`` goes through _write_alert, which
        # keeps _current exact: fingerprint -> its current alert row, None when it has none.
        self._current: dict[str, Alert | None] = {}
        self._locked: set[int] = set()  # incident ids whose row lock this transaction holds
        self._by_key: dict[str, Incident] = {}  # incident key -> row (a key never changes)
        # group key -> its open incident row (None: none open); kept exact by _apply, the one
        # place a status changes
        self._open: dict[str, Incident | None] = {}
        # group key -> its latest resolved incident (None: none), and how many incidents it has
        # had (for the next key); _apply drops/updates an entry when it changes that group
        self._latest: dict[str, Incident | None] = {}
        self._group_count: dict[str, int] = {}
        # Append-only history rows (timeline, state changes, suppressions) waiting to be written
        # with one executemany per table instead of one ORM flush per row. They are written
        # before any query that reads their table and before the commit, so nobody sees a
        # difference except in the statement count; their order (and so their ids) is kept.
        self._pending: dict[Table, list[dict[str, Any]]] = {}
        event.listen(session, "do_orm_execute", self._before_query)
        event.listen(session, "before_commit", lambda _session: self.write_pending())

    # -- queries ---------------------------------------------------------------------------

    def incident(self, ref: IncidentRef) -> IncidentRecord | None:
        """The incident with this id or key, with its alerts; None if there is none."""
        row = self._incident_row(ref, lock=False)
        return None if row is None else self._record(row)

    def open_incident_by_group(self, group_key: str) -> IncidentRecord | None:
        """The open (triggered or acknowledged) incident for ``group_key``, if any."""
        row = self._open_row(group_key, lock=False)
        return None if row is None else self._record(row)

    def open_incidents(self) -> list[IncidentRecord]:
        """Every open incident with its alerts, oldest first."""
        rows = self.session.exec(
            select(Incident).where(Incident.status != RESOLVED).order_by(col(Incident.id))
        ).all()
        return [self._record(r) for r in rows]

    def current_alert(self, fingerprint: str) -> tuple[int, AlertSnapshot] | None:
        """``(incident_id, alert)`` of the incident ``fingerprint`` currently belongs to."""
        row = self._current_row(fingerprint, lock=False)
        if row is None:
            return None
        return row.incident_id, alert_snapshot(row)

    def timeline(self, ref: IncidentRef) -> list[TimelineEntry]:
        """The incident's timeline, in order. Raises UnknownIncident."""
        row = self._require(ref, lock=False)
        rows = self.session.exec(
            select(IncidentEvent).where(IncidentEvent.incident_id == row.id).order_by(col(IncidentEvent.id))
        ).all()
        return [timeline_entry(r) for r in rows]

    def state_history(self, fingerprint: str) -> list[tuple[float, str | None, str, float | None]]:
        """``(at, from, to, value)`` of every recorded change of ``fingerprint``, in order."""
        rows = self.session.exec(
            select(AlertStateChange)
            .join(Alert, col(Alert.id) == col(AlertStateChange.alert_id))
            .where(Alert.fingerprint == fingerprint)
            .order_by(col(AlertStateChange.id))
        ).all()
        return [(r.at, r.from_state, r.to_state, r.value) for r in rows]

    # -- batching --------------------------------------------------------------------------

    def write_pending(self) -> None:
        """Write the buffered history rows (one INSERT executemany per table).

        A value that is an alert or incident row stands for its id, known once the session
        has flushed that row (so new alert rows need no flush of their own).
        """
        pending, self._pending = self._pending, {}
        if pending:
            self.session.flush()
        for table, rows in pending.items():
            values = [{k: v.id if isinstance(v, Alert | Incident) else v for k, v in r.items()} for r in rows]
            self.session.connection().execute(insert(table), values)

    def _append(self, table: Table, row: dict[str, Any]) -> None:
        self._pending.setdefault(table, []).append(row)

    def _before_query(self, state: ORMExecuteState) -> None:
        if not self._pending:
            return
        statement = state.statement
        read = find_tables(statement, include_joins=True) if isinstance(statement, ClauseElement) else None
        if read is None or not self._pending.keys().isdisjoint(read):
            self.write_pending()

    def prefetch(
        self,
        fingerprints: Iterable[str],
        group_keys: Iterable[str] = (),
        changing: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Load and lock, in a few statements, the current alerts of ``fingerprints``, their
        incidents and the open incidents of ``group_keys``, so the :meth:`observe` calls of one
        batch need no SELECT of their own. ``changing``: ``(fingerprint, group_key)`` of the
        series expected to change state; the members of their incidents (current, or open for
        the group) are loaded too, in one query, since the lifecycle will want them.

        Only an optimisation: :meth:`observe` gives the same answers without it.
        """
        changing = list(changing)
        fingerprints = [*fingerprints, *(fp for fp, _ in changing)]
        group_keys = [*group_keys, *(g for _, g in changing)]
        wanted = [fp for fp in dict.fromkeys(fingerprints) if fp not in self._current]
        for chunk in _chunks(wanted):
            rows = self.session.exec(
                select(Alert)
                .where(col(Alert.fingerprint).in_(chunk), col(Alert.is_current))
                .order_by(col(Alert.id))
                .with_for_update()
            ).all()
            found = {r.fingerprint: r for r in rows}
            self._current.update((fp, found.get(fp)) for fp in chunk)
        groups = [g for g in dict.fromkeys(group_keys) if g not in self._open]
        for group_chunk in _chunks(groups):
            open_rows = self.session.exec(
                select(Incident)
                .where(col(Incident.group_key).in_(group_chunk), Incident.status != RESOLVED)
                .order_by(col(Incident.id))
                .with_for_update()
            ).all()
            self._remember(open_rows)
            opened = {r.group_key: r for r in open_rows}
            self._open.update((g, opened.get(g)) for g in group_chunk)
            self._prefetch_history(group_chunk)
        ids = sorted({a.incident_id for a in self._current.values() if a is not None} - self._locked)
        for id_chunk in _chunks(ids):
            self._remember(
                self.session.exec(
                    select(Incident)
                    .where(col(Incident.id).in_(id_chunk))
                    .order_by(col(Incident.id))
                    .with_for_update()
                ).all()
            )
        homes = {a.incident_id for a in (self._current[fp] for fp, _ in changing) if a is not None}
        homes |= {i.id for i in (self._open[g] for _, g in changing) if i is not None and i.id is not None}
        self._load_members(sorted(homes))

    def _load_members(self, ids: Sequence[int]) -> None:
        """Fill the member cache of incidents ``ids`` with one query (see :meth:`_record`)."""
        wanted = [i for i in ids if i not in self._members]
        for chunk in _chunks(wanted):
            loaded: dict[int, dict[str, AlertSnapshot]] = {i: {} for i in chunk}
            rows = self.session.execute(
                select(col(Alert.incident_id), *_MEMBER_COLUMNS)
                .where(col(Alert.incident_id).in_(chunk))
                .order_by(col(Alert.id))
            ).all()
            for r in rows:
                loaded[r.incident_id][r.fingerprint] = alert_snapshot(r)
            self._members.update(loaded)

    def _prefetch_history(self, group_keys: Sequence[str]) -> None:
        """What opening or reopening needs for ``group_keys``: incident counts and the latest
        resolved incident of each (locked), ranked as :meth:`_reopenable` ranks them."""
        counts = self.session.exec(
            select(Incident.group_key, func.count())
            .where(col(Incident.group_key).in_(group_keys))
            .group_by(col(Incident.group_key))
        ).all()
        self._group_count.update({g: 0 for g in group_keys} | {g: n for g, n in counts})
        newest_first = func.row_number().over(
            partition_by=col(Incident.group_key),
            order_by=(col(Incident.resolved_at).desc(), col(Incident.id).desc()),
        )
        ranked = (
            select(col(Incident.id).label("id"), newest_first.label("n"))
            .where(col(Incident.group_key).in_(group_keys), Incident.status == RESOLVED)
            .subquery()
        )
        ids = self.session.exec(select(ranked.c.id).where(ranked.c.n == 1)).all()
        rows = self.session.exec(
            select(Incident).where(col(Incident.id).in_(ids)).order_by(col(Incident.id)).with_for_update()
        ).all()
        self._remember(rows)
        latest = {r.group_key: r for r in rows}
        self._latest.update((g, latest.get(g)) for g in group_keys)

    def _remember(self, rows: Iterable[Incident]) -> None:
        """Cache incident rows this transaction holds the lock of."""
        for row in rows:
            assert row.id is not None
            self._locked.add(row.id)
            self._by_key[row.key] = row

    # -- lifecycle -------------------------------------------------------------------------

    def observe(self, obs: AlertObservation, policy: LifecyclePolicy) -> Applied:
        """Record one observation of a series and run the lifecycle on its incident.

        Its incident is the one it currently belongs to while that is open; otherwise (it fires
        anew) the open incident of ``obs.group_key``, else a resolved one it may reopen (its own
        or the group's latest), else a new one. An ok series that belongs to nothing is ignored
        (``Applied(None, None, None)``).

        An unchanged state only refreshes the alert row (``last_seen``, value, labels) and
        returns ``decision=None``: the common case costs two indexed statements, not a load of
        the whole incident. Auto-resolve of an incident that went quiet is :meth:`tick`'s job.
        """
        snap = obs.snapshot()
        current = self._current_row(obs.fingerprint, lock=True)
        if current is not None and current.state == snap.state.value:
            return self._refresh(current, obs)
        home = None if current is None else self._require(current.incident_id, lock=True)
        fires = snap.active  # past the refresh above, a non-ok state here is a change
        if home is not None and (home.status != RESOLVED or not fires):
            decision = lifecycle.on_alert_state(*self._parts(home), snap, obs.at, policy)
            return self._apply(decision, home, current)
        if not fires:
            return Applied(None, None, None)
        target = self._open_row(obs.group_key, lock=True) or self._reopenable(home, obs, policy)
        if target is not None:
            decision = lifecycle.on_alert_state(*self._parts(target), snap, obs.at, policy)
            return self._apply(decision, target, current)
        key = self._new_key(obs.group_key)
        return self._apply(
            lifecycle.open_incident(key, obs.group_key, obs.title, snap, obs.at), None, current
        )

    def tick(self, now: float, policy: LifecyclePolicy) -> list[Applied]:
        """Auto-resolve every open incident whose alerts have all been ok for ``resolve_delay``."""
        rows = self.session.exec(
            select(Incident)
            .where(Incident.status != RESOLVED, Incident.active_count == 0)
            .order_by(col(Incident.id))
            .with_for_update()
        ).all()
        due = self._quiet_long_enough(rows, now, policy)
        decisions = (lifecycle.on_tick(*self._parts(r), now, policy) for r in rows if r.id in due)
        return [self.apply(d) for d in decisions if d.changed]

    def _quiet_long_enough(self, rows: Sequence[Incident], now: float, policy: LifecyclePolicy) -> set[int]:
        """Ids of ``rows`` whose members' newest change is ``resolve_delay`` old, by one aggregate
        query: the others cannot auto-resolve yet (nor can a row without members), so their
        members need not be loaded."""
        ids = [r.id for r in rows if r.id is not None]
        due: set[int] = set()
        for chunk in _chunks(ids):
            newest = self.session.exec(
                select(Alert.incident_id, func.max(Alert.last_state_change))
                .where(col(Alert.incident_id).in_(chunk))
                .group_by(col(Alert.incident_id))
            ).all()
            due |= {i for i, since in newest if since is not None and now - since >= policy.resolve_delay}
        return due

    def acknowledge(self, ref: IncidentRef, who: str, now: float, note: str | None = None) -> Applied:
        """A person acknowledges. Raises UnknownIncident, lifecycle.IncidentStateError."""
        row = self._require(ref, lock=True)
        return self.apply(lifecycle.acknowledge(*self._parts(row), who, now, note))

    def resolve(self, ref: IncidentRef, who: str, now: float, note: str | None = None) -> Applied:
        """A person resolves (even while alerts fire). Raises UnknownIncident."""
        row = self._require(ref, lock=True)
        return self.apply(lifecycle.resolve(*self._parts(row), who, now, note))

    def apply(self, decision: Decision) -> Applied:
        """Write a lifecycle decision: incident row, the observed alert, history, timeline.

        An ``OPENED`` decision inserts; any other updates the incident with its key (raises
        UnknownIncident if there is none).
        """
        opened = Transition.OPENED in decision.transitions
        row = None if opened else self._require(decision.incident.key, lock=True)
        before = None if decision.fingerprint is None else self._current_row(decision.fingerprint, lock=True)
        return self._apply(decision, row, before)

    def _apply(self, decision: Decision, row: Incident | None, before: Alert | None) -> Applied:
        """:meth:`apply` with the incident row (None: insert) and the alert's current row known."""
        if row is None:
            # always a new row: if another writer took this key meanwhile, the unique index
            # refuses it and run() retries, instead of this decision overwriting their incident
            row = Incident(
                opened_at=decision.at,
                last_change_at=decision.at,
                title="",
                severity="",
                status="",
                group_key="",
                key=decision.incident.key,
            )
        copy_incident(decision, row)
        if row.id is None:
            # only an insert needs a flush here (for its id); updates of rows this session
            # loaded go out with the next autoflush, batched with the batch's other writes
            self.session.add(row)
            self.session.flush()
            assert row.id is not None
            self._members.setdefault(row.id, {})  # a new incident has no member rows yet
            if row.group_key in self._group_count:
                self._group_count[row.group_key] += 1
        if row.status == RESOLVED or self._latest.get(row.group_key) is row:
            self._latest.pop(row.group_key, None)  # may have a new latest resolved: ask again
        self._remember((row,))
        if row.status != RESOLVED:
            self._open[row.group_key] = row
        elif self._open.get(row.group_key) is row:
            self._open[row.group_key] = None
        if decision.fingerprint is not None:
            self._write_alert(row.id, decision, before)
        for transition in decision.transitions:
            self._event(row, decision.at, transition.value, _detail(transition, decision), decision.actor)
        if decision.fingerprint is not None or row.id not in self._members:
            # a decision without an observed alert (ack, resolve, tick, retitle) wrote no alert
            # row: keep the cache, which may be fresher than the caller's copy of the members
            self._members[row.id] = {a.fingerprint: a for a in decision.alerts}
        return Applied(row.id, row.key, decision)

    # -- annotations -----------------------------------------------------------------------

    def clear_suppression(self, incident: IncidentRef) -> None:
        """The incident pages after all: it no longer shows as suppressed (its suppression
        records stay, for the reports)."""
        inc = self._require(incident, lock=True)
        if inc.suppressed is not None:
            inc.suppressed = None

    def record_suppression(
        self,
        reason: SuppressionReason,
        at: float,
        detail: str = "",
        *,
        incident: IncidentRef | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Record that an incident and/or the current alert of ``fingerprint`` did not page."""
        inc = None if incident is None else self._require(incident, lock=True)
        alert = None if fingerprint is None else self._current_row(fingerprint, lock=True)
        if inc is not None:
            inc.suppressed = reason.value
            self._event(inc, at, "suppressed", f"{reason.value}: {detail}".rstrip(": "), None)
        if alert is not None:
            alert.suppressed = reason.value
        self._append(
            _SUPPRESSION,
            {
                "incident_id": None if inc is None else inc.id,
                "alert_id": alert,
                "reason": reason.value,
                "detail": detail,
                "at": at,
            },
        )

    def annotate(
        self,
        ref: IncidentRef,
        at: float,
        *,
        root_cause: str | None = None,
        flapping: bool | None = None,
        actor: str | None = None,
    ) -> None:
        """Set the root cause and/or the flapping flag, with a timeline entry. Raises UnknownIncident."""
        row = self._require(ref, lock=True)
        if root_cause is not None:
            row.root_cause = root_cause
            self._event(row, at, "root_cause", root_cause, actor)
        if flapping is not None and flapping != row.flapping:
            row.flapping = flapping
            self._event(row, at, "flapping" if flapping else "stable", "", actor)

    # -- per-series evaluation state -------------------------------------------------------

    def save_series_states(self, rule: str, states: Mapping[str, Mapping[str, Any]], at: float) -> None:
        """Upsert ``{fingerprint: data}`` of one rule (data must be JSON-ready)."""
        if not states:
            return
        # one INSERT ... ON CONFLICT DO UPDATE executemany (SQLite and PostgreSQL spell it alike)
        dialect = self.session.get_bind().dialect.name
        upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(_SERIES_STATE)
        statement = upsert.on_conflict_do_update(
            index_elements=["rule", "fingerprint"],
            set_={"data": upsert.excluded.data, "updated_at": upsert.excluded.updated_at},
        )
        rows = [
            {"rule": rule, "fingerprint": fp, "data": dict(d), "updated_at": at} for fp, d in states.items()
        ]
        self.session.flush()
        self.session.connection().execute(statement, rows)
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, SeriesState) and obj.rule == rule and obj.fingerprint in states:
                self.session.expire(obj)  # loaded earlier in this transaction: reload on use

    def delete_series_states(self, rule: str, fingerprints: list[str] | None = None) -> None:
        """Forget one rule's series (all of them when ``fingerprints`` is None)."""
        query = select(SeriesState).where(SeriesState.rule == rule)
        if fingerprints is not None:
            query = query.where(col(SeriesState.fingerprint).in_(fingerprints))
        for row in self.session.exec(query).all():
            self.session.delete(row)
        self.session.flush()

    def series_states(self, rule: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        """``{rule: {fingerprint: data}}`` (only ``rule`` when given)."""
        query = select(SeriesState)
        if rule is not None:
            query = query.where(SeriesState.rule == rule)
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for row in self.session.exec(query).all():
            out.setdefault(row.rule, {})[row.fingerprint] = dict(row.data)
        return out

    # -- internals -------------------------------------------------------------------------

    def _write_alert(self, incident_id: int, decision: Decision, before: Alert | None) -> None:
        """Upsert the decision's alert in ``incident_id``; ``before`` is its current row anywhere."""
        snap = next((a for a in decision.alerts if a.fingerprint == decision.fingerprint), None)
        if snap is None:
            return  # an ok stranger, or an alert moving on to a new incident
        row = self._member_row(incident_id, snap.fingerprint, before)
        if before is not None and before is not row:
            before.is_current = False  # it moves on: the old row keeps the history
            self.session.flush()  # before its successor becomes current (unique index)
        if row is None:
            row = Alert(
                incident_id=incident_id,
                rule="",
                state="",
                first_seen=0.0,
                last_seen=0.0,
                last_state_change=0.0,
                fingerprint=snap.fingerprint,
            )
        from_state = None if before is None else before.state
        copy_alert(snap, row)
        if not row.is_current:
            row.is_current = True
        self._current[snap.fingerprint] = row
        if row.id is None:
            self.session.add(row)  # inserted with the next (batched) flush
        if from_state != row.state:
            self._append(
                _STATE_CHANGE,
                {
                    "alert_id": row,
                    "at": decision.at,
                    "from_state": from_state,
                    "to_state": row.state,
                    "value": snap.value,
                },
            )

    def _member_row(self, incident_id: int, fingerprint: str, before: Alert | None) -> Alert | None:
        if before is not None and before.incident_id == incident_id:
            return before
        known = self._members.get(incident_id)
        if known is not None and fingerprint not in known:
            return None  # the member cache is complete for a loaded incident: no query needed
        query = select(Alert).where(Alert.incident_id == incident_id, Alert.fingerprint == fingerprint)
        return self.session.exec(query).first()

    def _reopenable(
        self, home: Incident | None, obs: AlertObservation, policy: LifecyclePolicy
    ) -> Incident | None:
        if obs.group_key in self._latest:
            latest = self._latest[obs.group_key]
        else:
            latest = self.session.exec(
                select(Incident)
                .where(Incident.group_key == obs.group_key, Incident.status == RESOLVED)
                .order_by(col(Incident.resolved_at).desc(), col(Incident.id).desc())
                .limit(1)
                .with_for_update()
            ).first()
        for candidate in (home, latest):
            if candidate is not None and lifecycle.can_reopen(incident_snapshot(candidate), obs.at, policy):
                if self._open_row(candidate.group_key, lock=False) is None:
                    return candidate
        return None

    def _new_key(self, group_key: str) -> str:
        """``<12 hex of sha256(group_key)>-<n>``: stable, readable, unique per group occurrence."""
        count = self._group_count.get(group_key)
        if count is None:
            count = self.session.exec(
                select(func.count()).select_from(Incident).where(Incident.group_key == group_key)
            ).one()
        return f"{hashlib.sha256(group_key.encode()).hexdigest()[:12]}-{count + 1}"

    def _parts(self, row: Incident) -> tuple[lifecycle.IncidentSnapshot, tuple[AlertSnapshot, ...]]:
        record = self._record(row)
        return record.incident, record.alerts

    def _record(self, row: Incident) -> IncidentRecord:
        assert row.id is not None
        members = self._members.get(row.id)
        if members is None:
            # plain columns, not ORM objects: the lifecycle only needs snapshots, and a big
            # incident's members would otherwise each cost an identity-map entity
            rows = self.session.execute(
                select(*_MEMBER_COLUMNS).where(Alert.incident_id == row.id).order_by(col(Alert.id))
            ).all()
            members = self._members[row.id] = {r.fingerprint: alert_snapshot(r) for r in rows}
        return incident_record(row, tuple(members.values()))

    def _refresh(self, row: Alert, obs: AlertObservation) -> Applied:
        row.last_seen, row.value = obs.at, obs.value
        if (row.host, row.service, row.labels) != (obs.host, obs.service, dict(obs.labels)):
            row.host, row.service, row.labels = obs.host, obs.service, dict(obs.labels)
        members = self._members.get(row.incident_id)
        if members is not None:
            members[row.fingerprint] = alert_snapshot(row)
        home = self.session.get(Incident, row.incident_id)
        return Applied(row.incident_id, None if home is None else home.key, None)

    def note(self, ref: IncidentRef, at: float, kind: str, detail: str, actor: str | None = None) -> None:
        """Add a line to an incident's timeline (e.g. ``paged``: who, on which channel, why).

        Raises :class:`UnknownIncident` for an unknown ``ref``.
        """
        self._event(self._require(ref, lock=False), at, kind[:32], detail, actor)

    def _event(self, row: Incident, at: float, kind: str, detail: str, actor: str | None) -> None:
        assert row.id is not None
        self._append(
            _TIMELINE, {"incident_id": row.id, "at": at, "kind": kind, "detail": detail, "actor": actor}
        )

    def _incident_row(self, ref: IncidentRef, *, lock: bool) -> Incident | None:
        if isinstance(ref, int):
            if ref in self._locked or not lock:
                return self.session.get(Incident, ref)  # the identity map first, then by id
            cond = Incident.id == ref
        else:
            cached = self._by_key.get(ref)
            if cached is not None and (cached.id in self._locked or not lock):
                return cached
            cond = Incident.key == ref
        query = select(Incident).where(cond)
        row = self.session.exec(query.with_for_update() if lock else query).first()
        if row is not None and lock:
            self._remember((row,))
        return row

    def _require(self, ref: IncidentRef, *, lock: bool) -> Incident:
        row = self._incident_row(ref, lock=lock)
        if row is None:
            raise UnknownIncident(
                f"incident store: no incident with {'id' if isinstance(ref, int) else 'key'} {ref!r}"
            )
        return row

    def _open_row(self, group_key: str, *, lock: bool) -> Incident | None:
        if group_key in self._open:
            return self._open[group_key]
        query = select(Incident).where(Incident.group_key == group_key, Incident.status != RESOLVED)
        row = self.session.exec(query.with_for_update() if lock else query).first()
        if lock:
            self._open[group_key] = row
            if row is not None:
                self._remember((row,))
        return row

    def _current_row(self, fingerprint: str, *, lock: bool) -> Alert | None:
        if fingerprint in self._current:
            return self._current[fingerprint]
        query = select(Alert).where(Alert.fingerprint == fingerprint, col(Alert.is_current))
        row = self.session.exec(query.with_for_update() if lock else query).first()
        if lock:
            self._current[fingerprint] = row
        return row


def _chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices small enough for any database's bound-parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _detail(transition: Transition, decision: Decision) -> str:
    if decision.note:
        return decision.note
    alert = next((a for a in decision.alerts if a.fingerprint == decision.fingerprint), None)
    if alert is not None and transition not in (Transition.RESOLVED_AUTO, Transition.ACKNOWLEDGED):
        return f"alert {alert.fingerprint} ({alert.rule}) {alert.state.value}"
    return f"severity {decision.incident.severity.value}, {decision.active_count}/{decision.alert_count} alerts active"

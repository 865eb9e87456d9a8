"""Maintenance: is a window active at an instant, and which window (if any) silences an alert.

Place in the flow: route, called by the correlation stage for every new firing alert through the
``suppressor`` hook (:data:`alerter.incidents.correlate.Suppressor`)::

    book = MaintenanceBook([*file_windows, *maintenance_store.windows()])     # replay, tests
    book = RefreshingBook(lambda now: maintenance_store.windows(now=now), fixed=file_windows)  # live
    pipeline = Pipeline(store, policy, topology, suppressor=book.reason)

Pure: no I/O, no clock; the instant is always an argument, so replay decides as live mode did.

Time rules (each has a test):

* a fixed window is active on ``[start, end)``: start inclusive, end exclusive;
* a recurring window opens at each cron time read as wall-clock time in its IANA timezone and
  stays open for its duration of ELAPSED time (a 2h window over a DST change lasts 2 real hours);
* a cron time in the spring-forward gap (02:00 on the last Sunday of March in Europe/Berlin does
  not exist) opens the window at the jump, 03:00 CEST (01:00 UTC): the time is read with the offset
  in force before the change, as cron daemons run skipped jobs right after the jump;
* a cron time that happens twice at fall-back (02:00-02:59 on the last Sunday of October) opens the
  window once, at the FIRST of the two (02:00 CEST, 00:00 UTC);
* nothing is active at or after ``expires_at`` (stops recurrences, and cuts an open occurrence)
  or ``ended_at`` (a person ended it), nor before ``start`` for a recurring window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from croniter import croniter

from alerter.config.durations import format_duration
from alerter.config.maintenance import (
    MaintenanceWindow,
    Matcher,
    MatchOp,
    Recurrence,
    parse_for,
    parse_instant,
)

# Bounds how far a wall-clock cron time can land from the local reading of ``t``: DST changes are
# at most 2h (Antarctica/Troll). A zone jumping a whole day (Samoa, 2011) is out of scope.
_MAX_SHIFT = timedelta(hours=3)


def occurrence_at(window: MaintenanceWindow, t: float) -> tuple[float, float] | None:
    """The ``[start, end)`` span of ``window`` that covers ``t`` (cut by expiry/end), or None."""
    stop = window.stops_at
    if stop is not None and t >= stop:
        return None
    if window.start is not None and t < window.start:
        return None
    if window.recurrence is None:
        assert window.start is not None and window.end is not None  # a fixed window has both
        return (window.start, window.end)
    span = _recurrence_at(window.recurrence, t)
    if span is None:
        return None
    return (span[0], span[1] if stop is None else min(span[1], stop))


def active_at(window: MaintenanceWindow, t: float) -> bool:
    """Whether ``window`` silences its alerts at ``t`` (POSIX seconds)."""
    return occurrence_at(window, t) is not None


def _recurrence_at(rec: Recurrence, t: float) -> tuple[float, float] | None:
    """The occurrence of ``rec`` covering ``t``: walk cron times backwards in local wall time from
    a little after ``t`` and keep the first whose real span covers ``t``. DST makes the wall-clock
    order and the real order differ near a change, hence the margin of ``_MAX_SHIFT`` both ways."""
    zone = rec.zone
    local = datetime.fromtimestamp(t, zone).replace(tzinfo=None)
    earliest = local - timedelta(seconds=rec.duration) - _MAX_SHIFT
    it = croniter(rec.cron, local + _MAX_SHIFT)
    while True:
        wall: datetime = it.get_prev(datetime)
        if wall < earliest:
            return None
        start = wall.replace(tzinfo=zone, fold=0).timestamp()  # fold=0: the rules in the docstring
        if start <= t < start + rec.duration:
            return (start, start + rec.duration)


def next_start(window: MaintenanceWindow, t: float) -> float | None:
    """When ``window`` next opens strictly after ``t`` (None: never again). For list displays."""
    stop = window.stops_at
    if window.recurrence is None:
        start = window.start
        return start if start is not None and start > t and (stop is None or start < stop) else None
    rec, zone = window.recurrence, window.recurrence.zone
    after = max(t, window.start - 1e-6) if window.start is not None else t
    horizon = datetime.fromtimestamp(after, zone).replace(tzinfo=None) + _MAX_SHIFT
    it = croniter(rec.cron, horizon - 2 * _MAX_SHIFT)
    found: list[float] = []
    while True:
        wall: datetime = it.get_next(datetime)
        start = wall.replace(tzinfo=zone, fold=0).timestamp()
        if start > after:
            found.append(start)
        if wall > horizon and (found or (stop is not None and start >= stop)):
            break
    first = min(found, default=None)
    return first if first is not None and (stop is None or first < stop) else None


def describe(window: MaintenanceWindow) -> str:
    """The suppression reason people read: ``maintenance "7": release 42 (owner web, by alice)``."""
    who = [f"owner {window.owner}"] if window.owner else []
    who += [f"by {window.created_by}"] if window.created_by else []
    text = f'maintenance "{window.id}": {window.reason or "no reason given"}'
    return f"{text} ({', '.join(who)})" if who else text


def schedule_text(window: MaintenanceWindow) -> str:
    """``2026-11-20T09:00:00Z .. 2026-11-20T09:30:00Z`` or ``cron "0 2 * * SUN" Europe/Berlin for 2h``."""
    rec = window.recurrence
    if rec is None:
        assert window.start is not None and window.end is not None
        return f"{_iso(window.start)} .. {_iso(window.end)}"
    return f'cron "{rec.cron}" {rec.timezone} for {format_duration(rec.duration)}'


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


class MaintenanceBook:
    """A set of windows, asked once per new firing alert which one (if any) silences it.

    Every alert of one pipeline batch is asked at the same instant, so the windows active at the
    last instant asked are kept: a storm of alerts costs one timing pass per batch plus a label
    check per active window. Immutable: build a new book when the windows change.
    """

    def __init__(self, windows: Iterable[MaintenanceWindow] = ()) -> None:
        self.windows: tuple[MaintenanceWindow, ...] = tuple(windows)
        self._at: float | None = None
        self._active: tuple[MaintenanceWindow, ...] = ()

    def active(self, t: float) -> tuple[MaintenanceWindow, ...]:
        """The windows active at ``t``, in the book's order."""
        if t != self._at:
            self._active = tuple(w for w in self.windows if active_at(w, t))
            self._at = t
        return self._active

    def suppressing(self, labels: Mapping[str, str], host: str | None, t: float) -> MaintenanceWindow | None:
        """The first window (book order) active at ``t`` that covers the alert; None if it may page."""
        for window in self.active(t):
            if window.matches(labels, host):
                return window
        return None

    def reason(self, labels: Mapping[str, str], now: float) -> str | None:
        """The correlation stage's ``Suppressor``: ``(labels incl. host, now) -> reason | None``."""
        window = self.suppressing(labels, None, now)
        return None if window is None else describe(window)

    def __len__(self) -> int:
        return len(self.windows)


class RefreshingBook:
    """The live engine's suppressor: windows people start elsewhere (CLI, HTTP API, another
    process) are seen within ``refresh`` seconds, without a database read per alert.

    ``load(now)`` returns the current windows (e.g. ``lambda now: store.windows(now=now)``);
    ``fixed`` are the windows from files, always kept first. Time is the ``now`` each call is
    given, so replay and tests drive it. An error from ``load`` propagates and the next call
    loads again; the book of the previous load stays meanwhile.

    >>> book = RefreshingBook(lambda now: [], refresh=30.0)
    >>> book.reason({"host": "web1"}, 0.0) is None
    True
    """

    def __init__(
        self,
        load: Callable[[float], Iterable[MaintenanceWindow]],
        *,
        refresh: float = 15.0,
        fixed: Sequence[MaintenanceWindow] = (),
    ) -> None:
        self._load = load
        self._refresh = refresh
        self._fixed = tuple(fixed)
        self._loaded_at: float | None = None
        self._book = MaintenanceBook(self._fixed)

    def book(self, now: float) -> MaintenanceBook:
        """The book for ``now``, reloaded when the last load is ``refresh`` old (or in the future)."""
        last = self._loaded_at
        if last is None or now - last >= self._refresh or now < last:
            self._book = MaintenanceBook((*self._fixed, *self._load(now)))
            self._loaded_at = now
        return self._book

    def reason(self, labels: Mapping[str, str], now: float) -> str | None:
        """The correlation stage's ``Suppressor`` (see :meth:`MaintenanceBook.reason`)."""
        return self.book(now).reason(labels, now)


def book_of(*window_sets: Sequence[MaintenanceWindow]) -> MaintenanceBook:
    """One book from several sources (a file, the store), in the order given."""
    return MaintenanceBook(w for ws in window_sets for w in ws)


__all__ = [
    "MaintenanceBook",
    "MaintenanceWindow",
    "MatchOp",
    "Matcher",
    "Recurrence",
    "RefreshingBook",
    "active_at",
    "book_of",
    "describe",
    "next_start",
    "occurrence_at",
    "parse_for",
    "parse_instant",
    "schedule_text",
]

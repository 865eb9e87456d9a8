"""Time, injected.

Nothing in alerter calls ``time.time()`` or ``datetime.now()`` except :class:`SystemClock`. Every
time-dependent component takes a :class:`Clock`, so tests drive time by hand with :class:`FakeClock`
and never sleep (Riemann's ``riemann.time.controlled``, Alertmanager's injected ``now``).

Times are POSIX seconds as ``float`` (Riemann's event time unit); convert to aware datetimes at the
edges with :func:`to_datetime`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Something that knows what time it is."""

    def now(self) -> float:
        """Return the current time as POSIX seconds."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that moves only when told to; for tests and replay.

    >>> c = FakeClock(100.0)
    >>> c.advance(5); c.now()
    105.0
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def set(self, t: float) -> None:
        """Jump to ``t``; time never goes backwards (raises ValueError)."""
        if t < self._now:
            raise ValueError(f"FakeClock cannot go back from {self._now} to {t}")
        self._now = float(t)

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds`` (>= 0)."""
        self.set(self._now + seconds)


def to_datetime(t: float) -> datetime:
    """POSIX seconds -> aware UTC datetime."""
    return datetime.fromtimestamp(t, tz=UTC)


def from_datetime(dt: datetime) -> float:
    """Aware datetime -> POSIX seconds; a naive datetime is rejected (ValueError) to avoid tz bugs."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt.isoformat()} has no timezone")
    return dt.timestamp()

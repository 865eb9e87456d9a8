"""When each rule is due: interval boundaries plus a deterministic, bounded jitter.

Place in the flow: both schedulers (the live APScheduler one in :mod:`alerter.evaluate.scheduler`
and :class:`alerter.evaluate.virtual.VirtualScheduler` for replay and tests) ask :class:`Timing`
for due times, so live and replayed runs evaluate a rule at the same instants.

A rule with interval ``i`` is due at ``phase + k*i`` for every integer ``k`` (times are POSIX
seconds, so boundaries are wall-clock aligned, as Prometheus aligns group evaluations). ``phase``
is the jitter: a hash of (seed, key) scaled into ``[0, min(max_jitter, i))``. It spreads the load
on the metric source without randomness, so a restart or a replay keeps the schedule. The key is
the rule's group: rules of one group with the same interval are due together and share one query
round trip.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timing:
    """Due-time arithmetic. ``max_jitter`` bounds the phase (0 = exactly on interval boundaries).

    >>> t = Timing(max_jitter=0.0)
    >>> t.next_due("g", 30.0, after=100.0)
    120.0
    """

    max_jitter: float = 2.0
    seed: str = ""

    def __post_init__(self) -> None:
        if self.max_jitter < 0:
            raise ValueError(f"max_jitter must be >= 0, got {self.max_jitter}")

    def phase(self, key: str, interval: float) -> float:
        """The offset of ``key``'s due times from interval boundaries, in ``[0, min(max_jitter, interval))``."""
        _check_interval(interval)
        digest = hashlib.sha256(f"{self.seed}\x00{key}".encode()).digest()
        fraction = int.from_bytes(digest[:8], "big") / 2**64
        return fraction * min(self.max_jitter, interval)

    def next_due(self, key: str, interval: float, after: float) -> float:
        """The first due time strictly after ``after``.

        Computed as ``phase + k*interval`` from scratch (never by repeated addition), so rules
        sharing a key and interval get bit-identical due times and batch together.
        """
        phase = self.phase(key, interval)
        k = math.floor((after - phase) / interval) + 1
        due = phase + k * interval
        while due <= after:  # float rounding at a boundary
            k += 1
            due = phase + k * interval
        return due


def _check_interval(interval: float) -> None:
    if not interval > 0:
        raise ValueError(f"interval must be > 0, got {interval}")

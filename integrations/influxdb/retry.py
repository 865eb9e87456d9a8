"""Pure retry policy for InfluxDB calls: what to retry, and how long to wait before each retry.

Place in the flow: :class:`~integrations.influxdb.client.InfluxMetricSource` asks
:func:`classify` about every answer or transport error and sleeps :meth:`Backoff.delay`.
Connection errors, timeouts and 5xx are transient (influxd restarting, overloaded, a proxy in
front failing) and retried; 429 too. Any other 4xx is our request's fault or a reasoned refusal
(auth, bad query) and is never retried: repeating it cannot help.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

import httpx


class Retry(enum.Enum):
    """Why an attempt is or is not repeated."""

    TRANSIENT = "transient"  # retry after a backoff
    FINAL = "final"  # answer as is (success or a refusal retrying cannot change)


def classify_status(status: int) -> Retry:
    """5xx and 429 are transient; everything else is final."""
    return Retry.TRANSIENT if status >= 500 or status == 429 else Retry.FINAL


def classify_error(error: Exception) -> Retry:
    """Transport errors (connect, read, timeouts, protocol) are transient; anything else final."""
    return Retry.TRANSIENT if isinstance(error, httpx.TransportError) else Retry.FINAL


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter: ``base * 2**attempt`` capped at ``cap``, then jittered.

    ``jitter`` is the fraction of the delay that is random ("equal jitter" at 0.5): the wait is
    uniform in ``[d * (1 - jitter), d]``, so many alerters restarting together spread out while
    the wait still grows. ``rng`` is injectable so tests get exact schedules.
    """

    base: float = 0.2
    cap: float = 5.0
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def ceiling(self, attempt: int) -> float:
        """The un-jittered delay before retry number ``attempt`` (0-based)."""
        return min(self.cap, self.base * float(2**attempt))

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        ceiling = self.ceiling(attempt)
        return ceiling * (1 - self.jitter) + self.rng.uniform(0, ceiling * self.jitter)

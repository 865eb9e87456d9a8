"""What the fake PagerDuty remembers: alerts by ``dedup_key`` and the per-key rate window. Pure.

Place in the flow: test-only; :mod:`.events_api` applies each accepted event here. The rules are
PagerDuty's documented ones (docs/events-API-v2/02-Trigger-Events.md):

* a ``dedup_key`` is scoped to its routing key;
* ``trigger`` opens an alert, or adds a log entry to the open one with that key;
* after ``resolve``, a ``trigger`` with the same key opens a **new** alert;
* ``acknowledge``/``resolve`` with no open alert are dropped: they never create one.

Rate limit: about 120 events per minute per routing key over a sliding 60 s window
(docs/events-API-v2/05-Rate-Limits.md). Time comes from an injected clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_RATE_LIMIT = 120
RATE_WINDOW_SECONDS = 60.0


class AlertStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Applied(StrEnum):
    """What one event did to the alert book, so tests can say why nothing changed."""

    OPENED = "opened"
    LOGGED = "logged"  # trigger on an open alert: log entry only
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    UNCHANGED = "unchanged"  # acknowledge of an already-acknowledged alert
    DROPPED = "dropped"  # acknowledge/resolve with no open alert for (routing_key, dedup_key)


@dataclass
class FakeAlert:
    """One alert as PagerDuty would hold it; ``log`` lists the actions applied, oldest first."""

    number: int
    routing_key: str
    dedup_key: str
    status: AlertStatus
    payload: dict[str, Any]
    links: list[dict[str, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


class AlertBook:
    """Every alert ever opened, and which one is open for each (routing_key, dedup_key)."""

    def __init__(self) -> None:
        self.alerts: list[FakeAlert] = []
        self._open: dict[tuple[str, str], FakeAlert] = {}

    def apply(self, routing_key: str, action: str, dedup_key: str, event: dict[str, Any]) -> Applied:
        """Apply one valid event; return what it did."""
        alert = self._open.get((routing_key, dedup_key))
        if action == "trigger":
            return self._trigger(alert, routing_key, dedup_key, event)
        if alert is None:
            return Applied.DROPPED
        alert.log.append(action)
        if action == "resolve":
            alert.status = AlertStatus.RESOLVED
            del self._open[(routing_key, dedup_key)]
            return Applied.RESOLVED
        if alert.status is AlertStatus.ACKNOWLEDGED:
            return Applied.UNCHANGED
        alert.status = AlertStatus.ACKNOWLEDGED
        return Applied.ACKNOWLEDGED

    def _trigger(
        self, alert: FakeAlert | None, routing_key: str, dedup_key: str, event: dict[str, Any]
    ) -> Applied:
        if alert is not None:
            alert.log.append("trigger")
            return Applied.LOGGED
        alert = FakeAlert(
            number=len(self.alerts) + 1,
            routing_key=routing_key,
            dedup_key=dedup_key,
            status=AlertStatus.TRIGGERED,
            payload=dict(event.get("payload") or {}),
            links=list(event.get("links") or []),
            log=["trigger"],
        )
        self.alerts.append(alert)
        self._open[(routing_key, dedup_key)] = alert
        return Applied.OPENED


class RateWindow:
    """Sliding-window counter per routing key: at most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: int = DEFAULT_RATE_LIMIT, window: float = RATE_WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = {}

    def admit(self, key: str, now: float) -> bool:
        """Count one event for ``key`` at ``now`` if under the limit; False means throttle (429)."""
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

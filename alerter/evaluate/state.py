"""Per-series evaluation state of one rule, as plain data that survives a restart.

Place in the flow: the scheduler keeps one :class:`RuleState` per rule and hands it to
:func:`alerter.evaluate.evaluate` on every tick; ``evaluate`` is the only writer. ``to_dict`` /
``from_dict`` turn it into JSON-ready data so a restart (or a reload with an unchanged rule digest)
continues pending ``for:`` timers, ``keep_firing_for`` windows and no-data counts instead of
re-firing or forgetting alerts (Riemann's and Alertmanager's state-as-values habit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alerter.model import Severity

STATE_VERSION = 1


@dataclass(slots=True)
class SeriesState:
    """What is remembered about one series (one fingerprint) between evaluations.

    * ``level``: the state last emitted; ``reason``: why (threshold, pending, keep_firing, no_data);
    * ``tags``: the series' GROUP BY tags, so an absent series can still be reported;
    * ``value`` / ``seen_at``: the last non-null value and the evaluation time it was seen;
    * ``pending_since``: when the raw level first became worse than ``level`` (``for:`` timer);
    * ``cleared_since``: when the condition cleared while still firing (``keep_firing_for``);
    * ``missing``: consecutive evaluations without a value;
    * ``threshold``: the threshold behind the current level (None when ok).

    ``cache`` holds derived values (host, service, attribute dicts); it is never serialised.
    """

    level: Severity
    tags: dict[str, str]
    value: float | None = None
    seen_at: float | None = None
    reason: str = "threshold"
    pending_since: float | None = None
    cleared_since: float | None = None
    missing: int = 0
    threshold: float | None = None
    cache: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "tags": dict(self.tags),
            "value": self.value,
            "seen_at": self.seen_at,
            "reason": self.reason,
            "pending_since": self.pending_since,
            "cleared_since": self.cleared_since,
            "missing": self.missing,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SeriesState:
        return cls(
            level=Severity(data["level"]),
            tags={str(k): str(v) for k, v in data.get("tags", {}).items()},
            value=data.get("value"),
            seen_at=data.get("seen_at"),
            reason=str(data.get("reason", "threshold")),
            pending_since=data.get("pending_since"),
            cleared_since=data.get("cleared_since"),
            missing=int(data.get("missing", 0)),
            threshold=data.get("threshold"),
        )


@dataclass(slots=True)
class RuleState:
    """All series of one rule, keyed by fingerprint. ``RuleState()`` is a rule never evaluated.

    ``index`` maps a result series' tag values to its fingerprint so the hot path hashes with
    SHA-256 only for series it has not seen; it is derived data and rebuilt lazily.

    >>> s = RuleState()
    >>> RuleState.from_dict(s.to_dict()) == s
    True
    """

    series: dict[str, SeriesState] = field(default_factory=dict)
    index: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data; :meth:`from_dict` restores an equal state."""
        return {
            "version": STATE_VERSION,
            "series": {fp: s.to_dict() for fp, s in sorted(self.series.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleState:
        """Rebuild from :meth:`to_dict` output. Raises ValueError on an unknown version."""
        version = data.get("version")
        if version != STATE_VERSION:
            raise ValueError(f"rule state version {version!r} is not supported (expected {STATE_VERSION})")
        return cls(series={str(fp): SeriesState.from_dict(s) for fp, s in data.get("series", {}).items()})

    def notable(self) -> RuleState:
        """The series whose state a fresh start would NOT rebuild by itself: firing, pending
        (``for:``), keeping (``keep_firing_for``) or missing samples. A steady-ok series is
        rediscovered at its next evaluation, so persisting it would only cost writes."""
        return RuleState(
            series={
                fp: s
                for fp, s in self.series.items()
                if s.level is not Severity.OK
                or s.reason != "threshold"
                or s.missing
                or s.pending_since is not None
                or s.cleared_since is not None
            }
        )

    def firing(self) -> dict[str, SeriesState]:
        """The series currently in a non-ok state (the rule's alerts)."""
        return {fp: s for fp, s in self.series.items() if s.level is not Severity.OK}

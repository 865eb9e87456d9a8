"""Value types shared by every stage: Event, Severity, labels and fingerprints. No I/O.

Vocabulary (one word, one meaning):

* **event**: one evaluation output for one series, Riemann's model (host, service, state, metric,
  time, ttl, tags, description) plus string ``attributes``;
* **alert**: a series in a non-ok state, identified by its **fingerprint**;
* **incident**: the correlated, stored occurrence that may page;
* **page**: one notification to a person.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

Labels = Mapping[str, str]
"""Identifying key/value pairs of a series (team, role, env, host, cluster, ...)."""


class Severity(StrEnum):
    """Riemann-compatible states an evaluation can produce, ordered by :attr:`rank`."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def worst(cls, severities: Iterable[Severity]) -> Severity:
        """The most severe of ``severities`` (OK for none)."""
        return max(severities, key=lambda s: s.rank, default=cls.OK)


_RANK = {Severity.OK: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}

# Attribute keys the evaluator sets on every event, beside the rule's labels.
ATTR_RULE = "rule"
ATTR_FINGERPRINT = "fingerprint"
ATTR_SUMMARY = "summary"
ATTR_RUNBOOK = "runbook_url"
ATTR_REASON = "reason"  # why this state: "threshold", "no_data", "keep_firing", "pending", "engine"

_CORE_FIELDS = ("host", "service", "state", "description", "metric", "time", "ttl")


@dataclass(slots=True, eq=True)
class Event:
    """One Riemann event. Every field is optional, as in Riemann; ``None`` means absent.

    ``time`` and ``ttl`` are seconds (float). ``attributes`` are string -> string, as on Riemann's
    wire. Events are immutable **by convention**: no stage assigns to a field; derive new ones with
    :meth:`with_`. (``frozen=True`` was measured at 2.5 us per construction against 0.9 us, which is
    most of the per-series budget of the evaluation hot path.)

    >>> e = Event(host="web1", service="cpu", state="ok", metric=12.5, time=0.0)
    >>> e.with_(state="critical").state
    'critical'
    """

    host: str | None = None
    service: str | None = None
    state: str | None = None
    description: str | None = None
    metric: float | int | None = None
    time: float | None = None
    ttl: float | None = None
    tags: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)

    __hash__ = None  # type: ignore[assignment]  # mutable container fields: never a dict key

    def with_(self, **changes: Any) -> Event:
        """A copy with ``changes`` applied; unknown keys become attributes (Riemann's ``with``)."""
        attrs = {k: v for k, v in changes.items() if k not in _EVENT_FIELDS}
        core = {k: v for k, v in changes.items() if k in _EVENT_FIELDS}
        if "tags" in core and core["tags"] is not None:
            core["tags"] = tuple(core["tags"])
        if attrs:
            merged = dict(self.attributes)
            for k, v in attrs.items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = str(v)
            core["attributes"] = merged
        return replace(self, **core)

    def get(self, key: str, default: Any = None) -> Any:
        """A field or attribute by name (Riemann treats both alike)."""
        if key in _EVENT_FIELDS:
            value = getattr(self, key)
            return default if value is None else value
        return self.attributes.get(key, default)

    @property
    def identity(self) -> tuple[str | None, str | None]:
        """Riemann's identity: (host, service). The index and changed_state key on it."""
        return (self.host, self.service)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; absent fields are left out, attributes are flattened (Riemann's JSON)."""
        out: dict[str, Any] = {k: getattr(self, k) for k in _CORE_FIELDS if getattr(self, k) is not None}
        if self.tags:
            out["tags"] = list(self.tags)
        for k, v in self.attributes.items():
            out.setdefault(k, v)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Build from Riemann-style JSON: unknown keys are attributes (stringified).

        ``attributes`` may also be given as a nested object. Raises ValueError on a non-numeric
        metric/time/ttl so a bad line in an exported history names its problem.
        """
        core: dict[str, Any] = {}
        attrs: dict[str, str] = {}
        for key, value in data.items():
            if key == "attributes" and isinstance(value, Mapping):
                attrs.update({str(k): str(v) for k, v in value.items() if v is not None})
            elif key == "tags":
                core["tags"] = tuple(str(t) for t in (value or ()))
            elif key in ("metric", "time", "ttl"):
                core[key] = None if value is None else _number(key, value)
            elif key in _CORE_FIELDS:
                core[key] = None if value is None else str(value)
            elif value is not None:
                attrs[key] = str(value)
        return cls(**core, attributes=attrs)

    @classmethod
    def from_json(cls, text: str) -> Event:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"an event must be a JSON object, got {type(data).__name__}")
        return cls.from_dict(data)


_EVENT_FIELDS = frozenset((*_CORE_FIELDS, "tags", "attributes"))


def _number(key: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{key}: {value!r} is not a number")
    if isinstance(value, int | float):
        return value
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{key}: {value!r} is not a number") from None


def fingerprint(rule: str, labels: Labels) -> str:
    """Stable identity of an alert: the rule plus its identifying labels, order-independent.

    16 hex chars of SHA-256 (64 bits: collisions are negligible at millions of series). Stable
    across processes and versions, because it is persisted and used as a PagerDuty dedup key part.

    >>> fingerprint("cpu", {"host": "a", "env": "prod"}) == fingerprint("cpu", {"env": "prod", "host": "a"})
    True
    """
    h = hashlib.sha256(rule.encode())
    for k in sorted(labels):
        h.update(b"\x00")
        h.update(k.encode())
        h.update(b"\x01")
        h.update(str(labels[k]).encode())
    return h.hexdigest()[:16]

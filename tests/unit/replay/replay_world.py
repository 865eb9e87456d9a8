"""Helpers for the replay unit tests: a one-rule world (cpu_high over hosts) and history events."""

from __future__ import annotations

from pathlib import Path

from alerter.model import Event
from alerter.source.static import Point

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"
RULE_FILES = tuple(RULES_DIR / f"{name}.yaml" for name in ("apps", "host", "mongodb", "redis", "router"))
"""The shipped example rules, named one by one (the folder also holds policy files)."""
T0 = 1_767_600_000.0
"""2026-01-05T08:00:00Z, before the shipped rotation's first handoff (Monday 10:00 Berlin = 09:00Z)."""

CPU_RULE = """\
groups:
  - name: host
    interval: 30s
    rules:
      - name: cpu_high
        query: >-
          SELECT mean("usage_user") FROM "cpu" WHERE time > now() - 1m GROUP BY "host", "env"
        thresholds: {operator: ">", critical: 90}
        for: 1m
"""


def cpu_points(host: str, env: str, start: float, end: float, hot: tuple[float, float] | None) -> list[Point]:
    """One cpu sample every 10 s in ``[start, end)``: 99% inside ``hot`` (a [from, to) span), 20% outside."""
    points = []
    t = start
    while t < end:
        busy = hot is not None and hot[0] <= t < hot[1]
        points.append(Point("cpu", {"host": host, "env": env}, {"usage_user": 99.0 if busy else 20.0}, t))
        t += 10.0
    return points


def history(host: str, service: str, state: str, t: float, **attributes: str) -> Event:
    """One exported event as an external system writes it (no rule, no fingerprint)."""
    return Event(host=host, service=service, state=state, time=t, attributes=attributes)

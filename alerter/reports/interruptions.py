"""Interruptions per person: pages classified by the hour they reached someone, in their timezone.

Place in the flow: :class:`~alerter.reports.records.PageRow` (from :mod:`.query`) -> **here** ->
:mod:`.report` (pages and interruptions per person). Pure.

The categories are PagerDuty's (its Analytics "interruptions" metrics), taken in the person's
own IANA timezone, half-open at every boundary:

* **business hours**: Monday to Friday, 08:00-18:00;
* **off hours**: Monday to Friday 18:00-22:00, and Saturday and Sunday 08:00-22:00;
* **sleep hours**: 22:00-08:00, every day (Friday 22:00 to Saturday 08:00 is sleep).

An *interruption* is a page that reaches a person; pages to the same person less than 60 s after
their previous counted interruption merge into it (a burst of pages wakes you once). The merge
is per person, and measured from the interruption that was counted, not chained: pages at
t, t+30, t+59 and t+61 are two interruptions. Only delivered pages count, at their delivery time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from alerter.clock import to_datetime
from alerter.reports.records import PageRow

MERGE_WINDOW = 60.0
"""Seconds after a counted interruption within which further pages to that person merge into it."""

BUSINESS_START, BUSINESS_END, SLEEP_START = 8, 18, 22
"""Local hours: business 08-18 on weekdays, off until 22, sleep 22-08."""


UTC_ZONE = ZoneInfo("UTC")


class HourClass(StrEnum):
    """Which part of a person's week an instant falls in."""

    BUSINESS = "business"
    OFF = "off"
    SLEEP = "sleep"


@dataclass(frozen=True, slots=True)
class Interruptions:
    """One person's interruptions by class."""

    business: int = 0
    off: int = 0
    sleep: int = 0

    @property
    def total(self) -> int:
        return self.business + self.off + self.sleep

    def count(self, kind: HourClass) -> int:
        return {HourClass.BUSINESS: self.business, HourClass.OFF: self.off, HourClass.SLEEP: self.sleep}[kind]


def classify(at: float, zone: ZoneInfo) -> HourClass:
    """The class of the instant ``at`` (POSIX seconds) for a person living in ``zone``."""
    local = to_datetime(at).astimezone(zone)
    return classify_local(local)


def classify_local(local: datetime) -> HourClass:
    """The class of an aware datetime, read on its own wall clock."""
    hour, weekend = local.hour, local.weekday() >= 5
    if hour >= SLEEP_START or hour < BUSINESS_START:
        return HourClass.SLEEP
    if weekend or hour >= BUSINESS_END:
        return HourClass.OFF
    return HourClass.BUSINESS


def merged(instants: Iterable[float], window: float = MERGE_WINDOW) -> list[float]:
    """The instants that count as interruptions for ONE person (sorted; later ones merged in)."""
    counted: list[float] = []
    for t in sorted(instants):
        if not counted or t - counted[-1] >= window:
            counted.append(t)
    return counted


def interruptions(
    pages: Iterable[PageRow],
    zones: Mapping[str, ZoneInfo],
    *,
    default_zone: ZoneInfo = UTC_ZONE,
    window: float = MERGE_WINDOW,
) -> dict[str, Interruptions]:
    """Interruptions per person (sorted by person) from delivered pages.

    ``zones`` maps a person to their timezone; others (and channel pages, person ``""``) are
    classified in ``default_zone``.
    """
    by_person: dict[str, list[float]] = {}
    for page in pages:
        if page.delivered_at is not None:
            by_person.setdefault(page.person, []).append(page.delivered_at)
    out: dict[str, Interruptions] = {}
    for person in sorted(by_person):
        zone = zones.get(person, default_zone)
        kinds = [classify(t, zone) for t in merged(by_person[person], window)]
        out[person] = Interruptions(*(kinds.count(k) for k in HourClass))
    return out

"""What the maintenance page shows: the windows active now and those announced for later.

Place in the flow: :class:`~alerter.incidents.maintenance_store.MaintenanceStore` (windows people
started) and the recurring windows of ``rules/maintenance.yaml`` (kept in git, ended by editing
the file, so the page offers no end button for them) -> :mod:`alerter.route.maintenance` (active,
next start) -> **here**. The JSON form of the same
windows is M1's ``/api/v1/maintenance`` (:mod:`alerter.web.api.maintenance`); this view adds the
split into current and upcoming and the text people read.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from alerter.config.maintenance import MaintenanceWindow
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.route.maintenance import active_at, next_start, schedule_text


class WindowView(BaseModel):
    """``source``: ``store`` (started over the web, API or CLI; can be ended) or ``file``."""

    id: str
    source: str
    hosts: list[str]
    match: list[str]
    schedule: str
    owner: str
    reason: str
    created_by: str
    stops_at: float | None
    expires_at: float | None
    next_start: float | None
    active: bool


class MaintenanceOut(BaseModel):
    current: list[WindowView]
    upcoming: list[WindowView]


def maintenance_view(
    store: MaintenanceStore, now: float, configured: Sequence[MaintenanceWindow] = ()
) -> MaintenanceOut:
    """Windows not over at ``now`` (stored, then ``configured``): active ones, then announced
    ones by next start."""
    views = [_view(w, now, "store") for w in store.windows(now=now)]
    views += [_view(w, now, "file") for w in configured if w.stops_at is None or w.stops_at > now]
    upcoming = [v for v in views if not v.active]
    return MaintenanceOut(
        current=[v for v in views if v.active],
        upcoming=sorted(upcoming, key=lambda v: (v.next_start is None, v.next_start or 0.0)),
    )


def _view(w: MaintenanceWindow, now: float, source: str) -> WindowView:
    return WindowView(
        id=w.id,
        source=source,
        hosts=list(w.hosts),
        match=[str(m) for m in w.matchers],
        schedule=schedule_text(w),
        owner=w.owner,
        reason=w.reason,
        created_by=w.created_by,
        stops_at=w.stops_at,
        expires_at=w.expires_at,
        next_start=next_start(w, now),
        active=active_at(w, now),
    )


__all__ = ["MaintenanceOut", "WindowView", "maintenance_view"]

"""What the maintenance page shows: the windows active now and those announced for later.

Place in the flow: :class:`~alerter.incidents.maintenance_store.MaintenanceStore` ->
:mod:`alerter.route.maintenance` (active, next start) -> **here**. The JSON form of the same
windows is M1's ``/api/v1/maintenance`` (:mod:`alerter.web.api.maintenance`); this view adds the
split into current and upcoming and the text people read.
"""

from __future__ import annotations

from pydantic import BaseModel

from alerter.config.maintenance import MaintenanceWindow
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.route.maintenance import active_at, next_start, schedule_text


class WindowView(BaseModel):
    id: str
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


def maintenance_view(store: MaintenanceStore, now: float) -> MaintenanceOut:
    """Stored windows not over at ``now``: active ones, then announced ones by next start."""
    views = [_view(w, now) for w in store.windows(now=now)]
    upcoming = [v for v in views if not v.active]
    return MaintenanceOut(
        current=[v for v in views if v.active],
        upcoming=sorted(upcoming, key=lambda v: (v.next_start is None, v.next_start or 0.0)),
    )


def _view(w: MaintenanceWindow, now: float) -> WindowView:
    return WindowView(
        id=w.id,
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

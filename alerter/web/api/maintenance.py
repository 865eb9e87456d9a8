"""``/api/v1/maintenance``: maintenance windows over HTTP, for release tooling.

Place in the flow: web, over :class:`alerter.incidents.maintenance_store.MaintenanceStore`.
A release pipeline takes its hosts out of paging for the length of the release::

    POST   /api/v1/maintenance        {"hosts": ["web1"], "for": "10m", "reason": "release 42"}
    POST   /api/v1/maintenance        {"hosts": ["web1"], "start": "2026-11-20T22:00:00+01:00",
                                       "end": "2026-11-20T23:00:00+01:00", "reason": "release 43"}
    DELETE /api/v1/maintenance/{id}   (ends it now)
    GET    /api/v1/maintenance?active=true
    GET    /api/v1/maintenance/{id}/audit   (who started, ended, extended it)

Every request needs ``Authorization: Bearer <token>``; the tokens are given to
:func:`maintenance_router` by name, and the name is the actor in the audit log (a token per
pipeline says which pipeline silenced what). Comparison is constant-time; tokens never appear in
responses or logs.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at
definition time, and the ``Actor`` dependency they name is local to :func:`maintenance_router`.
"""

import secrets
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from alerter.clock import Clock
from alerter.config.durations import Duration
from alerter.config.maintenance import MaintenanceWindow, Matcher
from alerter.incidents.maintenance_store import MaintenanceStore, UnknownWindow, WindowClosed
from alerter.route.maintenance import active_at


class StartWindow(BaseModel):
    """A window to start now (``for``) or to announce (``start`` and ``end``, or ``start`` and ``for``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    hosts: list[str] = Field(default_factory=list)
    match: list[str] = Field(default_factory=list, description='Label matchers: env="dev", role=~"db|cache"')
    for_: Duration | None = Field(default=None, alias="for", description="e.g. 10m")
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    reason: str = Field(min_length=1)
    owner: str = ""


class WindowOut(BaseModel):
    """A stored window. Times are POSIX seconds (as everywhere in alerter)."""

    id: int
    hosts: list[str]
    match: list[str]
    start: float | None
    end: float | None
    cron: str | None
    owner: str
    reason: str
    created_by: str
    expires_at: float | None
    ended_at: float | None
    active: bool


class AuditOut(BaseModel):
    """One audit entry: who did what to the window when, and the window as it was after."""

    at: float
    actor: str
    action: str
    window: dict[str, Any]


def _out(w: MaintenanceWindow, now: float) -> WindowOut:
    return WindowOut(
        id=int(w.id),
        hosts=list(w.hosts),
        match=[str(m) for m in w.matchers],
        start=w.start,
        end=w.end,
        cron=w.recurrence.cron if w.recurrence else None,
        owner=w.owner,
        reason=w.reason,
        created_by=w.created_by,
        expires_at=w.expires_at,
        ended_at=w.ended_at,
        active=active_at(w, now),
    )


def _window(body: StartWindow, actor: str, now: float) -> MaintenanceWindow:
    """The request as a window; raises ValueError with a message for the caller."""
    if (body.for_ is None) == (body.end is None):
        raise ValueError('give either "for" or "end"')
    start = body.start.timestamp() if body.start is not None else now
    end = start + body.for_ if body.for_ is not None else body.end.timestamp() if body.end else None
    matchers = tuple(Matcher.parse(m) for m in body.match)
    window = MaintenanceWindow(
        "new", tuple(body.hosts), matchers, start, end, owner=body.owner, reason=body.reason, created_by=actor
    )
    if end is not None and end <= now:
        raise ValueError("the window would already be over (its end is not in the future)")
    return window


def bearer_actor(tokens: Mapping[str, SecretStr]) -> Callable[[HTTPAuthorizationCredentials | None], str]:
    """A dependency returning the name of the token the request carries; 401 otherwise."""
    scheme = HTTPBearer(auto_error=False)
    expected = [(name, token.get_secret_value().encode()) for name, token in tokens.items()]

    def actor(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(scheme)]) -> str:
        if credentials is not None:
            given = credentials.credentials.encode()
            for name, token in expected:
                if secrets.compare_digest(given, token):
                    return name
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )

    return actor


def maintenance_router(store: MaintenanceStore, clock: Clock, tokens: Mapping[str, SecretStr]) -> APIRouter:
    """The ``/api/v1/maintenance`` routes over ``store``; ``tokens`` maps an actor name to its token."""
    router = APIRouter(prefix="/api/v1/maintenance", tags=["maintenance"])
    Actor = Annotated[str, Depends(bearer_actor(tokens))]

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=WindowOut)
    def start(body: StartWindow, actor: Actor) -> WindowOut:
        now = clock.now()
        try:
            window = _window(body, actor, now)
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
        return _out(store.start(window, by=actor, now=now), now)

    @router.delete("/{window_id}", response_model=WindowOut)
    def end(window_id: int, actor: Actor) -> WindowOut:
        now = clock.now()
        try:
            return _out(store.end_window(window_id, by=actor, now=now), now)
        except UnknownWindow as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        except WindowClosed as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None

    @router.get("/{window_id}/audit", response_model=list[AuditOut])
    def audit(window_id: int, _actor: Actor) -> list[AuditOut]:
        entries = store.audit(window_id)
        if not entries:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"maintenance window {window_id}: no such window")
        return [AuditOut(at=e.at, actor=e.actor, action=e.action.value, window=e.snapshot) for e in entries]

    @router.get("", response_model=list[WindowOut])
    def list_windows(
        _actor: Actor, active: Annotated[bool, Query(description="only windows active now")] = False
    ) -> list[WindowOut]:
        now = clock.now()
        windows = [_out(w, now) for w in store.windows(now=now)]
        return [w for w in windows if w.active] if active else windows

    return router


__all__ = ["AuditOut", "StartWindow", "WindowOut", "bearer_actor", "maintenance_router"]

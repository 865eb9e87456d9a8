"""``/api/v1/incidents``: the incident list and pages as JSON; ack and resolve for responders.

Place in the flow: web, over :mod:`alerter.web.views.incidents` (the same values the pages
render) and :mod:`alerter.web.actions`::

    GET  /api/v1/incidents                 open and recently resolved incidents, with counts
    GET  /api/v1/incidents/{key}           one incident: alerts, hosts, pages, timeline
    POST /api/v1/incidents/{key}/ack       {"note": "looking"} (optional body), responder
    POST /api/v1/incidents/{key}/resolve   responder

No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at definition
time and the dependency aliases are local to the factory.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict

from alerter.incidents.lifecycle import IncidentStateError
from alerter.incidents.unit import UnknownIncident
from alerter.web.access import Access
from alerter.web.actions import Action, act
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.views.incidents import IncidentDetail, IncidentList, incident_detail, incident_list


class ActionBody(BaseModel):
    """Optional body of an ack or resolve: a note for the timeline."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = None


def incidents_router(ctx: WebContext, access: Access) -> APIRouter:
    """The ``/api/v1/incidents`` routes over ``ctx``'s incident store."""
    router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
    Viewer = Annotated[Principal, Depends(access.viewer)]
    Responder = Annotated[Principal, Depends(access.responder)]

    @router.get("", response_model=IncidentList)
    def list_incidents(_who: Viewer) -> IncidentList:
        return incident_list(ctx.incidents, ctx.clock.now(), ctx.recent_window)

    @router.get("/{key}", response_model=IncidentDetail)
    def show(key: str, _who: Viewer) -> IncidentDetail:
        return _detail(ctx, key)

    @router.post("/{key}/ack", response_model=IncidentDetail)
    def ack(key: str, who: Responder, body: Annotated[ActionBody | None, Body()] = None) -> IncidentDetail:
        return _act(ctx, Action.ACK, key, who, body)

    @router.post("/{key}/resolve", response_model=IncidentDetail)
    def resolve(
        key: str, who: Responder, body: Annotated[ActionBody | None, Body()] = None
    ) -> IncidentDetail:
        return _act(ctx, Action.RESOLVE, key, who, body)

    return router


def _detail(ctx: WebContext, key: str) -> IncidentDetail:
    detail = incident_detail(ctx.incidents, key, ctx.clock.now())
    if detail is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident with key {key!r}")
    return detail


def _act(
    ctx: WebContext, action: Action, key: str, who: Principal, body: ActionBody | None
) -> IncidentDetail:
    try:
        act(ctx, action, key, who.name, None if body is None else body.note)
    except UnknownIncident:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident with key {key!r}") from None
    except IncidentStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return _detail(ctx, key)


__all__ = ["ActionBody", "incidents_router"]

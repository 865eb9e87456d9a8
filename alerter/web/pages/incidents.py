"""``/incidents`` and ``/incidents/{key}``: the incident list and one incident's page, with the
acknowledge and resolve forms for responders.

Place in the flow: web, over :mod:`alerter.web.views.incidents` and :mod:`alerter.web.actions`.
The forms post back to ``/incidents/{key}/ack|resolve`` with the session's CSRF token and are
answered with a redirect to the incident page (post/redirect/get), so a reload never acts twice.

No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at definition time.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alerter.incidents.lifecycle import IncidentStateError
from alerter.incidents.unit import UnknownIncident
from alerter.web.access import Access
from alerter.web.actions import Action, act
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.render import Renderer
from alerter.web.views.incidents import incident_detail, incident_list


def incident_pages(ctx: WebContext, access: Access, renderer: Renderer) -> APIRouter:
    """The incident list, the incident page and its two forms."""
    router = APIRouter(include_in_schema=False)
    Viewer = Annotated[Principal, Depends(access.viewer)]
    FormResponder = Annotated[Principal, Depends(access.form_responder)]

    @router.get("/")
    def home(_who: Viewer) -> Response:
        return RedirectResponse("/incidents", status.HTTP_303_SEE_OTHER)

    @router.get("/incidents", response_class=HTMLResponse)
    def list_page(who: Viewer) -> HTMLResponse:
        now = ctx.clock.now()
        view = incident_list(ctx.incidents, now, ctx.recent_window)
        return renderer.page("incidents.html", principal=who, now=now, nav="incidents", view=view)

    @router.get("/incidents/{key}", response_class=HTMLResponse)
    def detail_page(key: str, who: Viewer) -> HTMLResponse:
        return _detail_page(key, who)

    @router.post("/incidents/{key}/ack")
    async def ack(key: str, request: Request, who: FormResponder) -> Response:
        return await _act(Action.ACK, key, request, who)

    @router.post("/incidents/{key}/resolve")
    async def resolve(key: str, request: Request, who: FormResponder) -> Response:
        return await _act(Action.RESOLVE, key, request, who)

    def _detail_page(key: str, who: Principal, error: str | None = None, code: int = 200) -> HTMLResponse:
        now = ctx.clock.now()
        view = incident_detail(ctx.incidents, key, now)
        if view is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident with key {key!r}")
        return renderer.page(
            "incident.html", principal=who, now=now, nav="incidents", view=view, error=error, status_code=code
        )

    async def _act(action: Action, key: str, request: Request, who: Principal) -> Response:
        note = (await request.form()).get("note")
        try:
            act(ctx, action, key, who.name, note if isinstance(note, str) else None)
        except UnknownIncident:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident with key {key!r}") from None
        except IncidentStateError as exc:
            return _detail_page(key, who, str(exc), status.HTTP_409_CONFLICT)
        except ValueError as exc:
            return _detail_page(key, who, str(exc), status.HTTP_422_UNPROCESSABLE_CONTENT)
        return RedirectResponse(f"/incidents/{key}", status.HTTP_303_SEE_OTHER)

    return router


__all__ = ["incident_pages"]

"""``/oncall`` (this week's primary and sub, the next 8 weeks) and ``/oncall.ics`` (the iCal feed).

Place in the flow: web, over :mod:`alerter.web.views.oncall` and :mod:`alerter.route.ical`. The
feed needs a login like every page; a calendar application subscribes with a viewer token
(``Authorization: Bearer``), which is never shown on the page.

No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at definition time.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import HTMLResponse, Response

from alerter.route.ical import calendar
from alerter.route.rotation import shifts
from alerter.web.access import Access
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.render import Renderer
from alerter.web.views.oncall import oncall_view

FEED_WEEKS = 12


def oncall_pages(ctx: WebContext, access: Access, renderer: Renderer) -> APIRouter:
    """The on-call page and the calendar feed."""
    router = APIRouter(include_in_schema=False)
    Viewer = Annotated[Principal, Depends(access.viewer)]

    @router.get("/oncall", response_class=HTMLResponse)
    def page(who: Viewer) -> HTMLResponse:
        now = ctx.clock.now()
        return renderer.page(
            "oncall.html", principal=who, now=now, nav="oncall", view=oncall_view(ctx.oncall(), now)
        )

    @router.get("/oncall.ics")
    def feed(_who: Viewer, weeks: Annotated[int, Query(ge=1, le=104)] = FEED_WEEKS) -> Response:
        spec = ctx.oncall()
        if spec is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no on-call rotation is configured")
        at = datetime.fromtimestamp(ctx.clock.now(), UTC)
        try:
            text = calendar(spec, shifts(spec, at, weeks), stamp=at)
        except ValueError as exc:  # before the first handoff
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        return Response(
            text,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="oncall-{spec.rotation.name}.ics"'},
        )

    return router


__all__ = ["oncall_pages"]

"""``GET /api/v1/maintenance/current``: the maintenance page's windows (active and upcoming) as JSON.

Place in the flow: web, over :mod:`alerter.web.views.maintenance`. Viewers may read it with their
session or token; starting and ending windows over the API is M1's :mod:`.maintenance` router
(responder tokens only).
"""

from typing import Annotated

from fastapi import APIRouter, Depends

from alerter.web.access import Access
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.views.maintenance import MaintenanceOut, maintenance_view


def maintenance_view_router(ctx: WebContext, access: Access) -> APIRouter:
    """The ``/api/v1/maintenance/current`` route over ``ctx.maintenance``."""
    router = APIRouter(prefix="/api/v1/maintenance", tags=["maintenance"])
    Viewer = Annotated[Principal, Depends(access.viewer)]

    @router.get("/current", response_model=MaintenanceOut)
    def current(_who: Viewer) -> MaintenanceOut:
        return maintenance_view(ctx.maintenance, ctx.clock.now(), ctx.configured_windows())

    return router


__all__ = ["maintenance_view_router"]

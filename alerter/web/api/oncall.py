"""``/api/v1/oncall``: who is primary and sub now, and the calendar of the next weeks, as JSON.

Place in the flow: web, over :mod:`alerter.web.views.oncall` (the values the on-call page renders).
``?weeks=N`` (1-52) changes how many weeks after this one the calendar covers (default 8).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from alerter.web.access import Access
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.views.oncall import CALENDAR_WEEKS, OnCallOut, oncall_view


def oncall_router(ctx: WebContext, access: Access) -> APIRouter:
    """The ``/api/v1/oncall`` route over ``ctx.oncall``."""
    router = APIRouter(prefix="/api/v1/oncall", tags=["oncall"])
    Viewer = Annotated[Principal, Depends(access.viewer)]

    @router.get("", response_model=OnCallOut)
    def show(_who: Viewer, weeks: Annotated[int, Query(ge=1, le=52)] = CALENDAR_WEEKS) -> OnCallOut:
        return oncall_view(ctx.oncall(), ctx.clock.now(), weeks)

    return router


__all__ = ["oncall_router"]

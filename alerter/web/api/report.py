"""``/api/v1/report``: the managers' alert volume report for a range, as JSON.

Place in the flow: web, over the :class:`~alerter.web.context.ReportProvider` and
:mod:`alerter.web.views.report`. ``?start=YYYY-MM-DD&end=YYYY-MM-DD&by=day|week`` (end day
included; default the last 7 days). 404 when the engine has no report provider; 422 for a bad range.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from alerter.web.access import Access
from alerter.web.auth import Principal
from alerter.web.context import ReportProvider, WebContext
from alerter.web.views.report import ReportRange, parse_range, report_json


def report_router(ctx: WebContext, access: Access) -> APIRouter:
    """The ``/api/v1/report`` route over ``ctx.report``."""
    router = APIRouter(prefix="/api/v1/report", tags=["report"])
    Viewer = Annotated[Principal, Depends(access.viewer)]

    @router.get("")
    def show(
        _who: Viewer,
        start: Annotated[str | None, Query(description="first day, YYYY-MM-DD")] = None,
        end: Annotated[str | None, Query(description="last day included, YYYY-MM-DD")] = None,
        by: Annotated[str | None, Query(description="day or week")] = None,
    ) -> dict[str, Any]:
        provider, picked = provider_and_range(ctx, start, end, by)
        report = provider.report(picked.start_ts, picked.end_ts, picked.by)
        return {
            "range": {
                "start": picked.start.isoformat(),
                "end": picked.end.isoformat(),
                "by": picked.by.value,
            },
            "report": report_json(report),
        }

    return router


def provider_and_range(
    ctx: WebContext, start: str | None, end: str | None, by: str | None
) -> tuple[ReportProvider, ReportRange]:
    """The provider and the parsed range; 404 without a provider, 422 for a bad range."""
    if ctx.report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this engine has no report configured")
    try:
        return ctx.report, parse_range(start, end, by, ctx.clock.now())
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None


__all__ = ["provider_and_range", "report_router"]

"""``/report``: the managers' alert volume report with a range picker, its SVG charts and CSV.

Place in the flow: web, over the :class:`~alerter.web.context.ReportProvider` (``alerter.reports``)
and :mod:`alerter.web.views.report`::

    GET /report?start=2026-11-01&end=2026-11-07&by=day     the page (a plain GET form picks the range)
    GET /report.csv?start=...&table=volume                  one table of the report as CSV
    GET /report/charts/{name}.svg?start=...                 one chart

Charts are standalone SVG documents shown through ``<img>``: an image cannot run script, and the
SVG response carries its own restrictive Content-Security-Policy, so a rule or host name inside a
chart can never become markup in the page.

No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at definition time.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import HTMLResponse, Response

from alerter.reports.csv_export import TABLES
from alerter.web.access import Access
from alerter.web.api.report import provider_and_range
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.render import Renderer
from alerter.web.views.report import parse_range

SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

Day = Annotated[str | None, Query()]


def report_pages(ctx: WebContext, access: Access, renderer: Renderer) -> APIRouter:
    """The report page, its CSV export and its charts."""
    router = APIRouter(include_in_schema=False)
    Viewer = Annotated[Principal, Depends(access.viewer)]

    @router.get("/report", response_class=HTMLResponse)
    def page(who: Viewer, start: Day = None, end: Day = None, by: Day = None) -> HTMLResponse:
        now = ctx.clock.now()
        if ctx.report is None:
            return renderer.page(
                "report.html",
                principal=who,
                now=now,
                nav="report",
                configured=False,
                error=None,
                picked=None,
                report=None,
                charts=[],
                query="",
                tables=TABLES,
            )
        try:
            picked = parse_range(start, end, by, now)
        except ValueError as exc:
            fallback = parse_range(None, None, None, now)
            return renderer.page(
                "report.html",
                principal=who,
                now=now,
                nav="report",
                configured=True,
                error=str(exc),
                picked=fallback,
                report=None,
                charts=[],
                query="",
                tables=TABLES,
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
        report = ctx.report.report(picked.start_ts, picked.end_ts, picked.by)
        charts = sorted(ctx.report.charts(report))
        return renderer.page(
            "report.html",
            principal=who,
            now=now,
            nav="report",
            configured=True,
            error=None,
            picked=picked,
            report=report,
            charts=charts,
            query=picked.query(),
            tables=TABLES,
        )

    @router.get("/report.csv")
    def csv(_who: Viewer, start: Day = None, end: Day = None, by: Day = None, table: Day = None) -> Response:
        provider, picked = provider_and_range(ctx, start, end, by)
        table = table or TABLES[0]
        if table not in TABLES:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"no report table {table!r} (tables: {', '.join(TABLES)})"
            )
        text = provider.csv(provider.report(picked.start_ts, picked.end_ts, picked.by), table)
        name = f"alerter-{table}-{picked.start.isoformat()}-{picked.end.isoformat()}-{picked.by.value}.csv"
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.get("/report/charts/{name}.svg")
    def chart(name: str, _who: Viewer, start: Day = None, end: Day = None, by: Day = None) -> Response:
        provider, picked = provider_and_range(ctx, start, end, by)
        svg = provider.charts(provider.report(picked.start_ts, picked.end_ts, picked.by)).get(name)
        if svg is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no chart called {name!r}")
        return Response(svg, media_type="image/svg+xml", headers={"Content-Security-Policy": SVG_POLICY})

    return router


__all__ = ["report_pages"]

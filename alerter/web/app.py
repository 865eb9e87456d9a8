"""``create_app``: the web UI and JSON API as one FastAPI application over a :class:`WebContext`.

Place in the flow: the composition root (:mod:`alerter.app` for ``alerter run``, or
``alerter web`` alone) builds a :class:`~alerter.web.context.WebContext` and serves
``create_app(ctx)`` with uvicorn. Routes (everything but ``/healthz``, ``/login``, ``/static``
and the signed webhook needs a login or a bearer token; see :mod:`alerter.web.access`)::

    /incidents, /incidents/{key} (+ POST ack|resolve)   /api/v1/incidents[/{key}[/ack|/resolve]]
    /oncall, /oncall.ics                                /api/v1/oncall
    /report, /report.csv, /report/charts/{name}.svg     /api/v1/report
    /rules                                              /api/v1/rules
    /maintenance (+ POST start, {id}/end)               /api/v1/maintenance/current, /api/v1/maintenance (M1)
    /login, /logout, /healthz, /webhooks/pagerduty

Every response carries a strict Content-Security-Policy (nothing from outside this server, no
inline script) and ``no-store`` caching; the pages work without JavaScript. No OpenAPI/Swagger
pages: they would load their scripts from a CDN, and nothing outside is reachable.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerter.config.web import WebRole
from alerter.web.access import Access, LoginRequired, login_url
from alerter.web.api.incidents import incidents_router
from alerter.web.api.maintenance import maintenance_router
from alerter.web.api.maintenance_view import maintenance_view_router
from alerter.web.api.oncall import oncall_router
from alerter.web.api.report import report_router
from alerter.web.api.rules import rules_router
from alerter.web.auth import Authenticator
from alerter.web.context import WebContext
from alerter.web.pages.incidents import incident_pages
from alerter.web.pages.login import login_pages
from alerter.web.pages.maintenance import maintenance_pages
from alerter.web.pages.oncall import oncall_pages
from alerter.web.pages.report import report_pages
from alerter.web.pages.rules import rules_pages
from alerter.web.render import STATIC, Renderer
from alerter.web.webhooks import webhook_router

CONTENT_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"DENY",
}


def create_app(ctx: WebContext, *, auth: Authenticator | None = None) -> FastAPI:
    """The application over ``ctx``. ``auth`` defaults to one built from ``ctx.settings``."""
    access = Access(auth or Authenticator(ctx.settings, ctx.clock))
    renderer = Renderer()
    app = FastAPI(title="alerter", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for pages in (login_pages, incident_pages, oncall_pages, report_pages, rules_pages, maintenance_pages):
        app.include_router(pages(ctx, access, renderer))
    for api in (incidents_router, oncall_router, report_router, rules_router, maintenance_view_router):
        app.include_router(api(ctx, access))
    writers = {t.name: t.token for t in ctx.settings.tokens if t.role is WebRole.RESPONDER}
    app.include_router(maintenance_router(ctx.maintenance, ctx.clock, writers))
    app.include_router(webhook_router(ctx.pagerduty_webhook))

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            return await http_exception_handler(request, exc)
        page = renderer.page(
            "error.html",
            principal=access.principal(request),
            now=ctx.clock.now(),
            nav="",
            code=exc.status_code,
            message=str(exc.detail),
            status_code=exc.status_code,
        )
        page.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return page

    app.add_middleware(SecurityHeaders)
    return app


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/webhooks/")) or path.endswith((".csv", ".ics", ".svg"))


class SecurityHeaders:
    """ASGI middleware adding the CSP and friends to every HTTP response that has none of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = dict(SECURITY_HEADERS)
                extra[b"content-security-policy"] = CONTENT_POLICY.encode()
                extra[b"cache-control"] = b"public, max-age=3600" if static else b"no-store"
                headers += [(k, v) for k, v in extra.items() if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


__all__ = ["CONTENT_POLICY", "SecurityHeaders", "create_app"]

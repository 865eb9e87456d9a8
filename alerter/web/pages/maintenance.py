"""``/maintenance``: the windows active now and those announced, with start and end forms for
responders.

Place in the flow: web, over :class:`~alerter.incidents.maintenance_store.MaintenanceStore` (which
audits every change with the logged-in user as actor) and :mod:`alerter.web.views.maintenance`.
The start form takes hosts (comma or space separated), optional label matchers (one per line,
``env="dev"``), a duration (``30m``), a reason and an owner; the window starts now.

No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at definition time.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from alerter.config.maintenance import MaintenanceWindow, Matcher, parse_for
from alerter.incidents.maintenance_store import UnknownWindow, WindowClosed
from alerter.web.access import Access
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.render import Renderer
from alerter.web.views.maintenance import maintenance_view


def maintenance_pages(ctx: WebContext, access: Access, renderer: Renderer) -> APIRouter:
    """The maintenance page and its start/end forms."""
    router = APIRouter(include_in_schema=False)
    Viewer = Annotated[Principal, Depends(access.viewer)]
    FormResponder = Annotated[Principal, Depends(access.form_responder)]

    def _page(who: Principal, error: str | None = None, code: int = 200) -> HTMLResponse:
        now = ctx.clock.now()
        view = maintenance_view(ctx.maintenance, now, ctx.configured_windows())
        return renderer.page(
            "maintenance.html",
            principal=who,
            now=now,
            nav="maintenance",
            view=view,
            error=error,
            status_code=code,
        )

    @router.get("/maintenance", response_class=HTMLResponse)
    def page(who: Viewer) -> HTMLResponse:
        return _page(who)

    @router.post("/maintenance/start")
    async def start(request: Request, who: FormResponder) -> Response:
        now = ctx.clock.now()
        try:
            window = _window(await request.form(), who.name, now)
        except ValueError as exc:
            return _page(who, str(exc), status.HTTP_422_UNPROCESSABLE_CONTENT)
        ctx.maintenance.start(window, by=who.name, now=now)
        return RedirectResponse("/maintenance", status.HTTP_303_SEE_OTHER)

    @router.post("/maintenance/{window_id}/end")
    async def end(window_id: int, who: FormResponder) -> Response:
        try:
            ctx.maintenance.end_window(window_id, by=who.name, now=ctx.clock.now())
        except UnknownWindow as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        except WindowClosed as exc:
            return _page(who, str(exc), status.HTTP_409_CONFLICT)
        return RedirectResponse("/maintenance", status.HTTP_303_SEE_OTHER)

    return router


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _window(form: FormData, who: str, now: float) -> MaintenanceWindow:
    """The start form as a window starting now; ValueError with a message for the person."""
    hosts = tuple(h for h in _field(form, "hosts").replace(",", " ").split() if h)
    matchers = tuple(
        Matcher.parse(line.strip()) for line in _field(form, "match").splitlines() if line.strip()
    )
    reason = _field(form, "reason")
    if not reason:
        raise ValueError("reason: say why (it is shown on every suppressed alert)")
    length = parse_for(_field(form, "for") or "")
    return MaintenanceWindow(
        "new", hosts, matchers, now, now + length, owner=_field(form, "owner"), reason=reason, created_by=who
    )


__all__ = ["maintenance_pages"]

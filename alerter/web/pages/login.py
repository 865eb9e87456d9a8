"""``/login`` and ``/logout``: the password form and the session cookie.

Place in the flow: web, over :class:`~alerter.web.auth.Authenticator`. The login form is protected
against login CSRF with a double-submit token (a random cookie echoed in a hidden field), since
there is no session yet to hold one. The session cookie is ``HttpOnly``, ``SameSite=Lax`` and
``Secure`` unless the config turns that off (plain-http on loopback). A wrong name and a wrong
password get the same answer (401) after the same work. ``next`` only ever leads to a path on
this site.

No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at definition time.
"""

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alerter.web.access import SESSION_COOKIE, Access
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.render import Renderer

LOGIN_COOKIE = "alerter_login"
HOME = "/incidents"


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    if any(ord(c) < 0x20 for c in target):
        return HOME
    return target


def login_pages(ctx: WebContext, access: Access, renderer: Renderer) -> APIRouter:
    """The login form, its POST, and logout."""
    router = APIRouter(include_in_schema=False)
    secure = ctx.settings.cookie_secure

    def _form(next_url: str, error: str | None = None, code: int = 200) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = renderer.page(
            "login.html",
            principal=None,
            now=ctx.clock.now(),
            nav="login",
            next_url=safe_next(next_url),
            login_token=token,
            error=error,
            status_code=code,
        )
        response.set_cookie(
            LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/login"
        )
        return response

    @router.get("/login", response_class=HTMLResponse)
    def form(next: Annotated[str | None, Query()] = None) -> HTMLResponse:
        return _form(next or HOME)

    @router.post("/login")
    def login(
        request: Request,
        name: Annotated[str, Form(max_length=200)],
        password: Annotated[str, Form(max_length=1000)],
        login_token: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=2000)] = HOME,
    ) -> Response:
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        if not cookie or not hmac.compare_digest(cookie.encode(), login_token.encode("utf-8", "replace")):
            return _form(next, "the form expired: please log in again", status.HTTP_403_FORBIDDEN)
        principal = access.auth.login(name, password)
        if principal is None:
            return _form(next, "wrong name or password", status.HTTP_401_UNAUTHORIZED)
        response = RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
        response.set_cookie(
            SESSION_COOKIE,
            access.auth.issue(principal),
            max_age=int(access.auth.lifetime),
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @router.post("/logout")
    async def logout(_who: Annotated[Principal, Depends(access.form_viewer)]) -> Response:
        response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
        return response

    return router


__all__ = ["HOME", "LOGIN_COOKIE", "login_pages", "safe_next"]

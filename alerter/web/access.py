"""FastAPI dependencies that say who may reach a route: viewer, responder, responder + CSRF.

Place in the flow: :mod:`alerter.web.auth` (credentials) -> **here** -> every router. A request
proves who it is with ``Authorization: Bearer <token>`` or the session cookie. Semantics:

* nobody: pages answer ``303`` to ``/login?next=...``; ``/api`` answers ``401`` with
  ``WWW-Authenticate: Bearer``;
* a viewer on a responder route: ``403``;
* a form POST must carry the session's CSRF token in the ``csrf_token`` field, and an API write
  made with the session cookie (a script in the page) in the ``X-CSRF-Token`` header; a missing
  or wrong token is ``403`` and nothing changes. Bearer-token writes need no CSRF token: a
  browser never adds that header by itself.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import HTTPException, Request, status

from alerter.web.auth import Authenticator, Principal, Via, csrf_matches

SESSION_COOKIE = "alerter_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """Raised for an anonymous page request; the app turns it into a redirect to the login form."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Access:
    """The dependencies, bound to one :class:`Authenticator` (use as ``Depends(access.viewer)``)."""

    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth

    def principal(self, request: Request) -> Principal | None:
        """Who the request is: a bearer token if it sends one, else its session cookie."""
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer" and credentials:
            return self.auth.bearer(credentials.strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        return None if cookie is None else self.auth.session(cookie)

    def viewer(self, request: Request) -> Principal:
        """Anyone logged in; 401 (API) or a redirect to the login form (pages) otherwise."""
        principal = self.principal(request)
        if principal is not None:
            return principal
        if request.url.path.startswith("/api/"):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "log in or send Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)

    def responder(self, request: Request) -> Principal:
        """A responder; 403 for a viewer. A session-cookie caller must send ``X-CSRF-Token``."""
        principal = _may_act(self.viewer(request))
        if principal.via is Via.SESSION and not csrf_matches(principal, request.headers.get(CSRF_HEADER)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong X-CSRF-Token header")
        return principal

    async def form_viewer(self, request: Request) -> Principal:
        """Anyone logged in, posting a form of ours: its ``csrf_token`` field must match the session's."""
        principal = self.viewer(request)
        form = await request.form()
        given = form.get(CSRF_FIELD)
        if not csrf_matches(principal, given if isinstance(given, str) else None):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token: reload the page")
        return principal

    async def form_responder(self, request: Request) -> Principal:
        """A responder posting a form of ours with the right CSRF token; 403 for a viewer."""
        return _may_act(await self.form_viewer(request))


def _may_act(principal: Principal) -> Principal:
    if not principal.can_act:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"{principal.name} is a viewer: only responders may do this"
        )
    return principal


def login_url(next_url: str) -> str:
    """``/login?next=...`` for a path on this site."""
    return f"/login?next={quote(next_url, safe='/')}"


__all__ = ["CSRF_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "Access", "LoginRequired", "login_url"]

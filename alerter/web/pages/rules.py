"""``/rules``: the loaded rules, when each was last evaluated and how long it took, its series and
firing counts, and the rule files' load errors.

Place in the flow: web, over :mod:`alerter.web.views.rules`.

No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at definition time.
"""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from alerter.web.access import Access
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.render import Renderer
from alerter.web.views.rules import rules_view


def rules_pages(ctx: WebContext, access: Access, renderer: Renderer) -> APIRouter:
    """The rules page."""
    router = APIRouter(include_in_schema=False)
    Viewer = Annotated[Principal, Depends(access.viewer)]

    @router.get("/rules", response_class=HTMLResponse)
    def page(who: Viewer) -> HTMLResponse:
        view = rules_view(ctx.rule_statuses(), ctx.rule_problems())
        return renderer.page("rules.html", principal=who, now=ctx.clock.now(), nav="rules", view=view)

    return router


__all__ = ["rules_pages"]

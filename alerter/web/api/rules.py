"""``/api/v1/rules``: the loaded rules' evaluation health and the rule files' load errors, as JSON.

Place in the flow: web, over :mod:`alerter.web.views.rules` (the values the rules page renders).
"""

from typing import Annotated

from fastapi import APIRouter, Depends

from alerter.web.access import Access
from alerter.web.auth import Principal
from alerter.web.context import WebContext
from alerter.web.views.rules import RulesOut, rules_view


def rules_router(ctx: WebContext, access: Access) -> APIRouter:
    """The ``/api/v1/rules`` route over ``ctx.rule_statuses`` and ``ctx.rule_problems``."""
    router = APIRouter(prefix="/api/v1/rules", tags=["rules"])
    Viewer = Annotated[Principal, Depends(access.viewer)]

    @router.get("", response_model=RulesOut)
    def show(_who: Viewer) -> RulesOut:
        return rules_view(ctx.rule_statuses(), ctx.rule_problems())

    return router


__all__ = ["rules_router"]

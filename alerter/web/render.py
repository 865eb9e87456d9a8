"""Server-side HTML: the jinja2 environment (autoescaped) and the filters the templates share.

Place in the flow: a view value (:mod:`alerter.web.views`) -> a template in ``templates/`` ->
an HTML response. Every page gets the caller (``principal``: name and role, never a credential),
its CSRF token for the forms, and the current instant from the injected clock. Times are shown in
UTC inside ``<time datetime=...>`` elements, so a script or a test can read the exact instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from alerter.web.auth import Principal

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def when(t: float | datetime | None) -> Markup:
    """A ``<time>`` element for a POSIX instant or aware datetime (``-`` for None)."""
    if t is None:
        return Markup("&ndash;")
    moment = t if isinstance(t, datetime) else datetime.fromtimestamp(t, UTC)
    utc = moment.astimezone(UTC)
    return Markup('<time datetime="{}">{}</time>').format(
        utc.isoformat().replace("+00:00", "Z"), utc.strftime("%Y-%m-%d %H:%M UTC")
    )


def span(seconds: float | None) -> str:
    """A duration for people: ``3d4h``, ``12m``, ``45s``; at most the two largest units."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    if whole < 60:
        return f"{max(whole, 0)}s" if seconds >= 1 or seconds == 0 else f"{seconds * 1000:.0f}ms"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, whole = divmod(whole, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts[:2])


class Renderer:
    """Renders templates with the shared context; one per app."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["when"] = when
        self.env.filters["span"] = span

    def page(
        self,
        template: str,
        *,
        principal: Principal | None,
        now: float,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """The page ``template`` rendered with ``context`` plus the caller, CSRF token and time."""
        context.setdefault("error", None)
        html = self.env.get_template(template).render(
            user=None if principal is None else {"name": principal.name, "role": principal.role.value},
            can_act=principal is not None and principal.can_act,
            csrf_token=None if principal is None else principal.csrf,
            now=now,
            **context,
        )
        return HTMLResponse(html, status_code=status_code)


__all__ = ["STATIC", "TEMPLATES", "Renderer", "span", "when"]

"""Summary and description templates: jinja2 in a sandbox.

Rule authors are many people, so templates run in jinja2's ``SandboxedEnvironment`` (no attribute
access to internals, no imports) with ``StrictUndefined`` (a typo such as ``{{ hots }}`` is an error
at check time rather than an empty string in a page). Templates are compiled once per rule load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)


class Template:
    """A compiled template. ``render`` raises :class:`TemplateError` (jinja2's) on failure."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled = _ENV.from_string(source)

    def render(self, context: Mapping[str, Any]) -> str:
        return self._compiled.render(context)


def compile_template(source: str) -> Template:
    """Compile ``source``; raises :class:`jinja2.TemplateError` on a syntax error."""
    return Template(source)


def render_safely(template: Template, context: Mapping[str, Any]) -> str:
    """Render, but never raise: a page must go out even if its text cannot be made.

    On failure the text says so (and names the template error), so the rule author sees it.
    """
    try:
        return template.render(context)
    except TemplateError as exc:
        return f"[template error: {exc}] {template.source}"


__all__ = ["Template", "TemplateError", "compile_template", "render_safely"]

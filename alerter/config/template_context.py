"""The variables a rule's ``summary``/``description`` templates see: one definition for the
evaluator (which renders them on every event) and ``alerter rules check`` (which renders them on a
sample event), so a template that checks clean renders in production too.

=============  =====================================================================
``rule``       rule name
``group``      rule group name
``host``       value of the rule's ``host_tag`` in the series (None if not grouped)
``service``    the event's service (the rule's ``service`` with ``{tag}`` filled in)
``severity``   "ok", "warning" or "critical"
``value``      the series' value (float), or None when the series has no data
``threshold``  the threshold crossed for this severity (float), or None
``labels``     dict: the rule's static labels (group's merged in) + GROUP BY tag values
``tags``       dict: GROUP BY tag values only
``runbook_url`` the rule's runbook_url, or None
``interval``   evaluation interval, seconds (float)
=============  =====================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TEMPLATE_CONTEXT_KEYS: tuple[str, ...] = (
    "rule",
    "group",
    "host",
    "service",
    "severity",
    "value",
    "threshold",
    "labels",
    "tags",
    "runbook_url",
    "interval",
)


def template_context_keys() -> frozenset[str]:
    """Names a template may use; anything else is an undefined variable."""
    return frozenset(TEMPLATE_CONTEXT_KEYS)


def template_context(
    *,
    rule: str,
    group: str,
    host: str | None,
    service: str,
    severity: str,
    value: float | None,
    threshold: float | None,
    labels: Mapping[str, str],
    tags: Mapping[str, str],
    runbook_url: str | None,
    interval: float,
) -> dict[str, Any]:
    """The context for one event's templates. Keyword-only so the two callers cannot drift."""
    return {
        "rule": rule,
        "group": group,
        "host": host,
        "service": service,
        "severity": severity,
        "value": value,
        "threshold": threshold,
        "labels": dict(labels),
        "tags": dict(tags),
        "runbook_url": runbook_url,
        "interval": interval,
    }


SAMPLE_CONTEXT: dict[str, Any] = template_context(
    rule="sample_rule",
    group="sample_group",
    host="sample-host",
    service="sample_rule",
    severity="critical",
    value=97.5,
    threshold=95.0,
    labels={},
    tags={},
    runbook_url="https://runbooks.example/sample",
    interval=30.0,
)
"""A generic sample event's context; ``rules check`` specialises it per rule (tags, labels...)."""

__all__ = ["SAMPLE_CONTEXT", "TEMPLATE_CONTEXT_KEYS", "template_context", "template_context_keys"]

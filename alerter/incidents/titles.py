"""Incident titles, generated from the incident's member alerts and updated as alerts join.

Place in the flow: correlation -> store. A grouping rule may give a template (sandboxed jinja2)
over ``count``, ``labels`` (labels every member shares), ``rules``, ``hosts`` and
``root_cause``; otherwise :func:`default_title` says what and where, e.g.
``host_not_reporting on 120 PROD hosts (rack=r12, role=app-runner)``. A root cause prefixes
the title: ``redis cluster sessions out of memory: 5xx on 38 PROD app instances ...``.

>>> m = [Member("redis_memory_high", {"env": "prod", "cluster": "c17", "host": "r1"})]
>>> default_title(m)
'redis_memory_high on r1 (PROD, cluster=c17)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alerter.config.templates import Template, TemplateError

WHERE_LABELS = ("rack", "switch", "redis_cluster", "cluster", "app", "role", "router")
"""Labels a default title names when every member shares them (most specific first)."""


@dataclass(frozen=True, slots=True)
class Member:
    """What a title needs of one member alert."""

    rule: str
    labels: Mapping[str, str]


def common_labels(members: Sequence[Member]) -> dict[str, str]:
    """Labels with the same value on every member."""
    if not members:
        return {}
    first = dict(members[0].labels)
    return {k: v for k, v in first.items() if all(m.labels.get(k) == v for m in members[1:])}


class _Shared(dict[str, str]):
    """Shared labels for templates: a label not shared by every member reads as ``""``."""

    def __missing__(self, key: str) -> str:
        return ""


def context(members: Sequence[Member], root_cause: str | None = None) -> dict[str, object]:
    """The template context of a title (a label not every member shares reads as empty)."""
    return {
        "count": len(members),
        "labels": _Shared(common_labels(members)),
        "rules": sorted({m.rule for m in members}),
        "hosts": sorted({h for m in members if (h := m.labels.get("host"))}),
        "root_cause": root_cause,
    }


def title(members: Sequence[Member], template: Template | None = None, root_cause: str | None = None) -> str:
    """The incident title; a template that fails to render falls back to the default title."""
    text = default_title(members)
    if template is not None:
        try:
            text = template.render(context(members, root_cause)).strip() or text
        except (TemplateError, ArithmeticError, TypeError, ValueError):
            pass  # a template bug must not stop the batch: the default title says what it can
    return f"{root_cause}: {text}" if root_cause else text


def default_title(members: Sequence[Member]) -> str:
    """``<rule(s)> on <n> <ENV> <hosts|instances> (<shared labels>)``, or ``on <name>`` for one.

    >>> default_title([Member("cpu", {"host": "a", "env": "prod"}), Member("mem", {"host": "b", "env": "prod"})])
    'cpu, mem on 2 PROD hosts'
    """
    if not members:
        return "no alerts"
    labels = common_labels(members)
    rules = sorted({m.rule for m in members})
    what = ", ".join(rules) if len(rules) <= 3 else f"{len(rules)} kinds of alert"
    env = labels.get("env", "").upper()
    where = [f"{k}={labels[k]}" for k in WHERE_LABELS if k in labels]
    names, noun = _subjects(members)
    if len(names) == 1:
        detail = ", ".join(x for x in (env, *where) if x)
        return f"{what} on {names[0]}" + (f" ({detail})" if detail else "")
    head = f"{what} on {len(names)} {env + ' ' if env else ''}{noun}"
    return head + (f" ({', '.join(where)})" if where else "")


def storm_title(members: Sequence[Member], key_labels: Mapping[str, str]) -> str:
    """``alert storm: 57 new alerts in PROD (host_not_reporting 40, app_5xx 17)``."""
    counts: dict[str, int] = {}
    for m in members:
        counts[m.rule] = counts.get(m.rule, 0) + 1
    where = " ".join(v.upper() if k == "env" else f"{k}={v}" for k, v in key_labels.items())
    top = ", ".join(f"{r} {n}" for r, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
    return f"alert storm: {len(members)} new alerts{' in ' + where if where else ''} ({top})"


def _subjects(members: Sequence[Member]) -> tuple[list[str], str]:
    """The distinct things the members are about: instances, else hosts, else series."""
    for label, noun in (("instance", "instances"), ("host", "hosts")):
        if all(label in m.labels for m in members):
            return sorted({m.labels[label] for m in members}), noun
    return [str(i) for i in range(len(members))] if len(members) > 1 else ["1 series"], "series"

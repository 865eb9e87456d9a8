"""The ``Pager`` protocol: how the notify stage hands one page to whatever delivers it.

Place in the flow: ``incidents -> route -> notify`` builds a :class:`PageRequest` for each page
(open, acknowledge or resolve an incident for the person on call) and passes it to a
:class:`Pager`. The notify stage owns this interface (Alertmanager's ``notify.Notifier``);
adapters in ``integrations/`` implement it. Nothing here names a vendor or does I/O.

A pager never raises for delivery failures: it classifies them at the edge and returns a
:class:`Delivery`, so the outbox can decide to retry (``RECOVERABLE``) or give up and tell a
person (``PERMANENT``) without knowing any vendor's status codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol


class PageAction(StrEnum):
    """What the page does to the alert it names (by ``dedup_key``)."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class PageSeverity(StrEnum):
    """How bad the paged problem is; the four levels on-call tools agree on."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class PageLink:
    """A link shown on the page (incident page, runbook)."""

    href: str
    text: str = ""


def _frozen(details: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(details))


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One page to deliver. ``dedup_key`` is the incident key: every action on one incident uses it.

    ``summary``/``source``/``severity`` and the optional fields matter for ``TRIGGER`` only;
    acknowledge and resolve need just the action and the key. ``custom_details`` holds
    JSON-serialisable values (affected hosts, alert count, root cause, who is primary/secondary).
    The pager, not the caller, fits values to the receiver's limits (e.g. truncating the summary).
    """

    action: PageAction
    dedup_key: str
    summary: str = ""
    source: str = ""
    severity: PageSeverity = PageSeverity.CRITICAL
    component: str | None = None
    group: str | None = None
    class_: str | None = None
    custom_details: Mapping[str, Any] = field(default_factory=dict)
    links: tuple[PageLink, ...] = ()

    def __post_init__(self) -> None:
        if not self.dedup_key:
            raise ValueError("PageRequest needs a dedup_key (the incident key)")
        if self.action is PageAction.TRIGGER and not (self.summary and self.source):
            raise ValueError(f"trigger page {self.dedup_key!r} needs a summary and a source")
        # Immutable by construction: a caller's dict mutated later cannot change a queued page.
        object.__setattr__(self, "custom_details", _frozen(self.custom_details))
        object.__setattr__(self, "links", tuple(self.links))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data, every field under its name (``class_`` as ``class``): what the outbox
        stores and what a generic webhook sends."""
        return {
            "action": self.action.value,
            "dedup_key": self.dedup_key,
            "summary": self.summary,
            "source": self.source,
            "severity": self.severity.value,
            "component": self.component,
            "group": self.group,
            "class": self.class_,
            "custom_details": dict(self.custom_details),
            "links": [{"href": link.href, "text": link.text} for link in self.links],
        }


class Outcome(StrEnum):
    """How a delivery attempt ended, as the outbox needs to know it."""

    OK = "ok"
    RECOVERABLE = "recoverable"  # throttled, receiver error, network: try again later
    PERMANENT = "permanent"  # the receiver rejected this page: retrying cannot help


@dataclass(frozen=True, slots=True)
class Delivery:
    """The result of one :meth:`Pager.send`.

    ``detail`` is for people (logs, incident page) and never contains a secret.
    ``retry_after`` is the receiver's advice in seconds for a recoverable outcome, else ``None``.
    """

    outcome: Outcome
    detail: str
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


class Pager(Protocol):
    """Something that delivers pages. Implementations classify every failure; they do not retry."""

    async def send(self, page: PageRequest) -> Delivery:
        """Deliver ``page`` once and say how it went. Never raises for delivery failures."""
        ...

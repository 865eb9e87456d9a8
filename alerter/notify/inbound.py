"""Inbound incident updates: what a person did to a page, told back to alerter by the paging tool.

Place in the flow: the notify stage sends pages out through a ``Pager``; when the person on call
acknowledges or resolves the incident in the paging tool, that tool calls back (a webhook). An
adapter in ``integrations/`` verifies and parses the vendor's callback into an
:class:`IncidentUpdate`, and hands it to an :class:`UpdateSink` that the composition root wires to
the incidents stage. This module names no vendor and does no I/O; like ``Pager``, the notify stage
owns this interface and adapters implement it.

``incident_key`` is alerter's own key: the ``PageRequest.dedup_key`` the page was sent with, as
the vendor echoes it back (an adapter that shortened a long key documents how to map it back).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class UpdateKind(StrEnum):
    """What happened to the incident in the paging tool."""

    ACKNOWLEDGED = "acknowledged"  # someone is on it: stop escalating
    RESOLVED = "resolved"  # closed by a person (or by alerter's own resolve page)
    REOPENED = "reopened"  # a resolved incident is open again


@dataclass(frozen=True, slots=True)
class IncidentUpdate:
    """One change a paging tool reports about an incident alerter paged for.

    ``actor`` names who did it (a person's display name, or the service when alerter itself
    resolved it), ``None`` when the tool does not say. ``at`` is when it happened, POSIX seconds as
    the tool reports it. ``webhook_id`` identifies the delivery (redeliveries repeat it), for logs.
    """

    kind: UpdateKind
    incident_key: str
    actor: str | None
    at: float
    webhook_id: str = ""

    def __post_init__(self) -> None:
        if not self.incident_key:
            raise ValueError(f"{self.kind.value} update needs an incident_key")


class UpdateSink(Protocol):
    """Where verified updates go (the incidents stage, wired by the composition root).

    Called once per accepted update. It raises if it could not apply the update; the receiver
    then answers with an error so the paging tool redelivers it later.
    """

    def __call__(self, update: IncidentUpdate, /) -> None: ...

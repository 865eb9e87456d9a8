"""Paging decisions and suppression reasons: what the correlation stage says about each incident
transition and each absorbed alert, so reports can say why nobody was paged.

Place in the flow: correlation (:mod:`.correlate`) and :mod:`alerter.pipeline` produce these
values; ``route``/``notify`` consume :class:`PagingDecision` (only ``Page`` outcomes reach a
person); the store records every suppression with its reason.

Precedence when several reasons apply: maintenance > dependency > flapping > storm > policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerter.incidents.lifecycle import Transition
from alerter.incidents.tables import SuppressionReason
from alerter.model import Severity

Suppressed = SuppressionReason
"""Why something did not page: ``Suppressed.MAINTENANCE``, ``.DEPENDENCY``, ``.FLAPPING``,
``.STORM``, ``.POLICY``. The same enum the store persists, so a decision is stored as is."""

PAGING_TRANSITIONS = frozenset({Transition.OPENED, Transition.REOPENED, Transition.ESCALATED_SEVERITY})
"""Incident transitions that may page; the others (joined, cleared, ...) only update it."""


@dataclass(frozen=True, slots=True)
class Page:
    """The incident pages: one notification to the on-call person (route/notify do the rest)."""

    severity: Severity
    title: str


@dataclass(frozen=True, slots=True)
class PagingDecision:
    """One paging-relevant transition of one incident and its outcome (``Page`` or a reason)."""

    incident_id: int
    incident_key: str
    transition: Transition
    at: float
    outcome: Page | Suppressed
    detail: str = ""

    @property
    def pages(self) -> bool:
        return isinstance(self.outcome, Page)


@dataclass(frozen=True, slots=True)
class AlertSuppression:
    """An alert kept from paging on its own: it opened no incident (maintenance) or joined one
    it would not have (dependency, storm)."""

    fingerprint: str
    rule: str
    reason: Suppressed
    at: float
    detail: str = ""

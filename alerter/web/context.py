"""What the web app is built from: a plain dataclass of collaborators, handed to ``create_app``.

Place in the flow: the composition root (:mod:`alerter.app`, ``alerter web``) fills a
:class:`WebContext` with the stores, the clock and callables that read the running engine; the
web stage only reads through them and acts through them, so it holds no state of its own and
tests build it over a temp database and a FakeClock. The protocols here are the web's needs,
owned by the web (the consumer), each 1-3 methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from alerter.clock import Clock
from alerter.config.maintenance import MaintenanceWindow
from alerter.config.oncall import OnCallSpec
from alerter.config.web import WebSettings
from alerter.errors import Problem
from alerter.evaluate.cycle import RuleStatus
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.incidents.records import Applied
from alerter.incidents.store import IncidentStore
from alerter.reports.report import Report
from alerter.reports.volume import Bucket
from alerter.web.webhooks import WebhookHandler


class IncidentAction(Protocol):
    """A person acknowledges or resolves incident ``key`` (``IncidentStore.acknowledge``/``resolve``
    by default; the engine may route it through its pipeline so the page outbox follows).

    Raises ``UnknownIncident`` or ``IncidentStateError``."""

    def __call__(self, key: str, who: str, now: float, note: str | None, /) -> Applied: ...


class ReportProvider(Protocol):
    """The managers' report for a range, and its renderings (``alerter.reports``)."""

    def report(self, start: float, end: float, by: Bucket) -> Report:
        """The report of ``[start, end)`` bucketed ``by``; ValueError for an empty range."""
        ...

    def charts(self, report: Report) -> Mapping[str, str]:
        """Chart name -> a standalone SVG document (served as ``image/svg+xml``)."""
        ...

    def csv(self, report: Report, table: str) -> str:
        """One table of the report (``alerter.reports.csv_export.TABLES``) as CSV; ValueError for
        an unknown table."""
        ...


@dataclass(slots=True)
class WebContext:
    """Everything the web app reads and acts through.

    * ``oncall``: the current rotation (re-read by the caller as it likes), None if there is none;
    * ``rule_statuses``/``rule_problems``: the running engine's rules and the load errors of the
      rule files (``RuleEngine.statuses``, ``RuleSet.problems``);
    * ``configured_windows``: the windows of ``rules/maintenance.yaml`` (shown, never ended here);
    * ``report``: None hides the report page (and its API answers 404);
    * ``acknowledge``/``resolve``: None means the incident store's own methods;
    * ``pagerduty_webhook``: ``handle_pagerduty_webhook`` bound by the composition root to the
      secrets (``settings.pagerduty_webhook_secrets``), a ``SeenWebhooks`` and an update sink
      (:func:`alerter.web.webhooks.incident_store_sink`); None answers 404;
    * ``recent_window``: how far back resolved incidents are listed as recent (seconds).
    """

    incidents: IncidentStore
    maintenance: MaintenanceStore
    clock: Clock
    settings: WebSettings
    oncall: Callable[[], OnCallSpec | None] = lambda: None
    rule_statuses: Callable[[], Sequence[RuleStatus]] = lambda: ()
    rule_problems: Callable[[], Sequence[Problem]] = lambda: ()
    configured_windows: Callable[[], Sequence[MaintenanceWindow]] = lambda: ()
    report: ReportProvider | None = None
    acknowledge: IncidentAction | None = None
    resolve: IncidentAction | None = None
    pagerduty_webhook: WebhookHandler | None = None
    recent_window: float = 7 * 86400.0


__all__ = ["IncidentAction", "ReportProvider", "WebContext"]

"""The paging policy: which incident transitions page a person, and the named reason when not.

Place in the flow: correlation -> store -> **paging decision** -> route/notify. Pure: a function of
the policy, the transition and what correlation knows (flapping, storm, already paged).

Only the policy's ``paging`` rules decide *whether* an incident may page at all (first match
wins; no match means no page: everything else goes to reports and digests). Then:

* ``opened``: pages if the policy says so, else ``Suppressed.POLICY``;
* ``reopened``: a flapping member makes it ``Suppressed.FLAPPING`` (a flapping series pages at
  most once), else as ``opened``;
* ``escalated_severity``: pages only if the incident has not paged yet and now may (a warning
  that becomes critical in PROD); otherwise nothing is decided (None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alerter.config.correlation import PagingRule
from alerter.incidents.lifecycle import Transition
from alerter.incidents.selectors import LabelPredicate, compile_selector
from alerter.incidents.suppression import Page, Suppressed
from alerter.model import Severity


@dataclass(frozen=True, slots=True)
class PagingPolicy:
    """Compiled ``paging`` rules: ``(predicate, page)`` in file order."""

    rules: tuple[tuple[LabelPredicate, bool], ...] = ()

    @classmethod
    def compile(cls, rules: Sequence[PagingRule]) -> PagingPolicy:
        return cls(tuple((compile_selector(r.match), r.page) for r in rules))

    def allows(self, labels: Mapping[str, str], severity: Severity) -> bool:
        """True if the first matching rule pages (``severity`` is matchable as a label)."""
        view = {**labels, "severity": severity.value}
        return next((page for matches, page in self.rules if matches(view)), False)

    def decide(
        self,
        transition: Transition,
        labels: Mapping[str, str],
        severity: Severity,
        title: str,
        *,
        flapping: bool = False,
        paged: bool = False,
    ) -> Page | Suppressed | None:
        """The outcome of one incident transition (None: not a paging matter)."""
        if transition is Transition.ESCALATED_SEVERITY:
            if paged or not self.allows(labels, severity):
                return None
            return Page(severity, title)
        if transition not in (Transition.OPENED, Transition.REOPENED):
            return None
        if transition is Transition.REOPENED and flapping:
            return Suppressed.FLAPPING
        if not self.allows(labels, severity):
            return Suppressed.POLICY
        return Page(severity, title)

"""The paging policy: first matching rule decides; transitions and flapping decide the rest."""

from __future__ import annotations

import pytest

from alerter.config.correlation import PagingRule
from alerter.incidents.lifecycle import Transition
from alerter.incidents.paging import PagingPolicy
from alerter.incidents.suppression import Page, Suppressed
from alerter.model import Severity

POLICY = PagingPolicy.compile(
    [
        PagingRule(match={"team": "sandbox"}, page=False),
        PagingRule(match={"env": "prod", "severity": "critical"}, page=True),
        PagingRule(match={"env": "prod", "rule": "host_not_reporting"}, page=True),
    ]
)
C, W = Severity.CRITICAL, Severity.WARNING
PROD, STG = {"env": "prod"}, {"env": "stg"}
P = Page(C, "t")


@pytest.mark.parametrize(
    ("transition", "labels", "severity", "flapping", "paged", "expected"),
    [
        (Transition.OPENED, PROD, C, False, False, P),
        (Transition.OPENED, PROD, W, False, False, Suppressed.POLICY),
        (Transition.OPENED, STG, C, False, False, Suppressed.POLICY),
        (Transition.OPENED, {"env": "dev"}, C, False, False, Suppressed.POLICY),
        (Transition.OPENED, {"env": "prod", "team": "sandbox"}, C, False, False, Suppressed.POLICY),  # order
        (Transition.OPENED, {"env": "prod", "rule": "host_not_reporting"}, W, False, False, Page(W, "t")),
        (Transition.REOPENED, PROD, C, False, False, P),
        (Transition.REOPENED, PROD, C, True, False, Suppressed.FLAPPING),
        (Transition.REOPENED, STG, C, True, False, Suppressed.FLAPPING),  # flapping is the named reason
        (Transition.ESCALATED_SEVERITY, PROD, C, False, False, P),
        (Transition.ESCALATED_SEVERITY, PROD, C, False, True, None),  # already paged
        (Transition.ESCALATED_SEVERITY, STG, C, False, False, None),
        (Transition.JOINED, PROD, C, False, False, None),
        (Transition.CLEARED, PROD, C, False, False, None),
    ],
)
def test_decide(
    transition: Transition,
    labels: dict[str, str],
    severity: Severity,
    flapping: bool,
    paged: bool,
    expected: Page | Suppressed | None,
) -> None:
    assert POLICY.decide(transition, labels, severity, "t", flapping=flapping, paged=paged) == expected


def test_no_rules_pages_nothing() -> None:
    assert PagingPolicy().decide(Transition.OPENED, PROD, C, "t") is Suppressed.POLICY

"""A faithful fake PagerDuty for tests: real HTTP on loopback, validated against PagerDuty's OpenAPI.

Place in the flow: test-only; never imported by the engine. See :mod:`.server` for usage.
Needs ``openapi-core`` and ``jsonpatch`` (test extras) and PagerDuty's OpenAPI files (see :mod:`.spec`).
"""

from integrations.pagerduty.fake.server import FakePagerDuty, Fault, Received
from integrations.pagerduty.fake.state import AlertStatus, Applied, FakeAlert

__all__ = ["AlertStatus", "Applied", "FakeAlert", "FakePagerDuty", "Fault", "Received"]

"""PagerDuty integration: implements the notify stage's ``Pager`` over Events API v2.

Place in the flow: only the composition root (``alerter/app.py``/``cli``) imports this package.
Pure body building (:mod:`.events_payload`) and response classification (:mod:`.events_response`)
are split from the I/O (:mod:`.events`). :mod:`.fake` is a faithful PagerDuty on loopback for tests.
"""

from integrations.pagerduty.events import PagerDutyPager

__all__ = ["PagerDutyPager"]

"""Routing stage: who gets paged for an incident, and when nobody should be.

:mod:`alerter.route.rotation` answers "who is on call at this instant, and why" as a pure function
of the on-call spec (:mod:`alerter.config.oncall`) and the instant; :mod:`alerter.route.ical`
renders the shifts as a calendar feed. Nothing here does I/O or reads the clock.
"""

from alerter.route.rotation import OnCall, Reason, Shift, Why, shifts, who_is_on_call

__all__ = ["OnCall", "Reason", "Shift", "Why", "shifts", "who_is_on_call"]

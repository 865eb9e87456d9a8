"""A Pager that writes pages to a terminal: the demo's stand-in for a phone.

Place in the flow: a real :class:`~alerter.notify.pager.Pager` behind the outbox, so the demo's
pages go through the same durable outbox and sender as PagerDuty's would; it is never used in
production routing unless configured.
"""

from __future__ import annotations

import sys
from typing import TextIO

from alerter.clock import Clock, to_datetime
from alerter.notify.pager import Delivery, Outcome, PageAction, PageRequest


class ConsolePager:
    """Prints one line per page: ``PAGE 12:04 CRITICAL <title> -> <responder> (<step>)``."""

    def __init__(self, clock: Clock, out: TextIO | None = None, *, channel: str = "console") -> None:
        self._clock = clock
        self._out = out if out is not None else sys.stdout
        self._channel = channel

    async def send(self, page: PageRequest) -> Delivery:
        when = to_datetime(self._clock.now()).strftime("%H:%M:%S")
        if page.action is PageAction.TRIGGER:
            who = page.custom_details.get("responder", "?")
            step = page.custom_details.get("step", "?")
            line = (
                f"{when} PAGE {page.severity.value.upper()} {page.summary} -> {who} ({step}, {self._channel})"
            )
        else:
            line = f"{when} PAGE {page.action.value} {page.dedup_key} ({self._channel})"
        print(line, file=self._out, flush=True)
        return Delivery(Outcome.OK, "printed")

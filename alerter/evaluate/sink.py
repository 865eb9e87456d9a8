"""Where evaluation events go: the :class:`EventSink` protocol and three small sinks.

Place in the flow: the scheduler (:mod:`alerter.evaluate.cycle`) hands every event it produces,
one at a time, to an ``EventSink``; the next stage (``streams``, then ``pipeline``) is one. A sink
is a Riemann stream: a callable taking one event. ``list.append`` is a sink, and so is a stream
composed in :mod:`alerter.streams`, so tests and the app wire stages with plain callables.

* :class:`PrintingSink`: one compact line per non-ok event and per state change (``alerter run``
  on a terminal, ``alerter replay``);
* :class:`CountingSink`: counts by state and rule (tests, benchmarks, the status page);
* :class:`FanoutSink`: every event to several sinks, in order (Riemann's ``sdo``).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from typing import Protocol, TextIO

from alerter.clock import Clock, to_datetime
from alerter.model import ATTR_FINGERPRINT, ATTR_RULE, ATTR_SUMMARY, Event, Severity


class EventSink(Protocol):
    """Receives events, one call per event (a Riemann stream)."""

    def __call__(self, event: Event) -> None: ...


_COLORS = {
    Severity.CRITICAL.value: "\x1b[31m",
    Severity.WARNING.value: "\x1b[33m",
    Severity.OK.value: "\x1b[32m",
}
_RESET = "\x1b[0m"


class PrintingSink:
    """Prints a line for each non-ok event and each state change of a series, e.g.::

        12:04:30 CRITICAL host_cpu_high web-07 (prod/router) value=97.2 > 95: CPU 97.2% on web-07

    The time shown is ``clock.now()`` in UTC (in replay, the virtual time of the evaluation).
    ``context`` names the attributes shown in parentheses, joined by ``/``; the comparison is shown
    when events carry ``operator`` and ``threshold`` attributes. ``changes_only`` drops the
    repeated lines of a series that stays non-ok (``alerter run`` and the demo use it) (``threshold=95`` without an operator). Colours only when ``out`` is a TTY,
    so piped output and log files stay plain.
    """

    def __init__(
        self,
        clock: Clock,
        out: TextIO | None = None,
        *,
        context: Sequence[str] = ("env", "role"),
        color: bool | None = None,
        changes_only: bool = False,
    ) -> None:
        self._clock = clock
        self._changes_only = changes_only
        self._out = out if out is not None else sys.stdout
        self._context = tuple(context)
        self._color = self._out.isatty() if color is None else color
        self._last: dict[tuple[str | None, ...], str | None] = {}

    def __call__(self, event: Event) -> None:
        key = (event.attributes.get(ATTR_FINGERPRINT), event.host, event.service)
        previous = self._last.get(key)
        self._last[key] = event.state
        changed = previous != event.state and not (previous is None and event.state == Severity.OK.value)
        if changed or (event.state != Severity.OK.value and not self._changes_only):
            print(self.format(event), file=self._out, flush=True)

    def format(self, event: Event) -> str:
        """The line printed for ``event`` (without colour codes unless colour is on)."""
        state = (event.state or "?").upper()
        if self._color:
            state = f"{_COLORS.get(event.state or '', '')}{state}{_RESET}"
        parts = [to_datetime(self._clock.now()).strftime("%H:%M:%S"), state]
        parts.append(event.attributes.get(ATTR_RULE) or event.service or "?")
        if event.host:
            parts.append(event.host)
        context = "/".join(event.attributes[k] for k in self._context if event.attributes.get(k))
        if context:
            parts.append(f"({context})")
        if event.metric is not None:
            parts.append(f"value={_number(event.metric)}{self._comparison(event)}")
        line = " ".join(parts)
        text = event.attributes.get(ATTR_SUMMARY) or event.description
        return f"{line}: {text}" if text else line

    @staticmethod
    def _comparison(event: Event) -> str:
        op, threshold = event.attributes.get("operator"), event.attributes.get("threshold")
        if not threshold:
            return ""
        return f" {op} {threshold}" if op else f" threshold={threshold}"


def _number(value: float | int) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class CountingSink:
    """Counts events by state and by (rule, state); keeps nothing else, so it never grows big.

    >>> c = CountingSink(); c(Event(state="ok", attributes={"rule": "r"})); c.by_state["ok"]
    1
    """

    def __init__(self) -> None:
        self.total = 0
        self.by_state: Counter[str] = Counter()
        self.by_rule: Counter[tuple[str, str]] = Counter()

    def __call__(self, event: Event) -> None:
        state = event.state or ""
        self.total += 1
        self.by_state[state] += 1
        self.by_rule[(event.attributes.get(ATTR_RULE, ""), state)] += 1


class FanoutSink:
    """Passes every event to each of ``sinks`` in order (Riemann's ``sdo``).

    >>> seen = []; FanoutSink(seen.append, seen.append)(Event(state="ok")); len(seen)
    2
    """

    def __init__(self, *sinks: EventSink) -> None:
        self._sinks = sinks

    def __call__(self, event: Event) -> None:
        for sink in self._sinks:
            sink(event)

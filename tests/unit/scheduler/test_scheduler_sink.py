"""PrintingSink lines, CountingSink counts, FanoutSink order."""

from __future__ import annotations

import io

import pytest
from scheduler_fakes import START

from alerter.clock import FakeClock
from alerter.evaluate.sink import CountingSink, FanoutSink, PrintingSink
from alerter.model import Event

NOON = START + 12 * 3600 + 4 * 60 + 30  # 12:04:30 UTC


def cpu_event(state: str, value: float, **attributes: str) -> Event:
    attrs = {"rule": "host_cpu_high", "fingerprint": "f1", "env": "prod", "role": "router", **attributes}
    return Event(
        host="web-07", service="host_cpu_high", state=state, metric=value, time=NOON, attributes=attrs
    )


class TtyBuffer(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (
            cpu_event("critical", 97.2, operator=">", threshold="95", summary="CPU 97.2% on web-07"),
            "12:04:30 CRITICAL host_cpu_high web-07 (prod/router) value=97.2 > 95: CPU 97.2% on web-07",
        ),
        (
            cpu_event("warning", 88.0, threshold="85", summary="CPU 88% on web-07"),
            "12:04:30 WARNING host_cpu_high web-07 (prod/router) value=88 threshold=85: CPU 88% on web-07",
        ),
        (
            Event(
                host="alerter",
                service="alerter rule x",
                state="critical",
                description='rule "x" could not be evaluated: boom',
                attributes={"rule": "x", "reason": "engine"},
            ),
            '12:04:30 CRITICAL x alerter: rule "x" could not be evaluated: boom',
        ),
        (Event(service="lonely", state="critical", metric=3), "12:04:30 CRITICAL lonely value=3"),
    ],
    ids=["operator", "threshold-only", "engine", "bare"],
)
def test_line_format(event: Event, line: str) -> None:
    assert PrintingSink(FakeClock(NOON), io.StringIO()).format(event) == line


def test_prints_non_ok_events_and_state_changes_only() -> None:
    out = io.StringIO()
    clock = FakeClock(NOON)
    sink = PrintingSink(clock, out)
    sink(cpu_event("ok", 50.0))  # first sight, ok: quiet
    sink(cpu_event("critical", 97.0))
    sink(cpu_event("critical", 98.0))  # still not ok: printed again
    clock.advance(30)
    sink(cpu_event("ok", 60.0, summary="CPU back to 60%"))  # change to ok: printed
    sink(cpu_event("ok", 61.0))  # steady ok: quiet
    assert out.getvalue().splitlines() == [
        "12:04:30 CRITICAL host_cpu_high web-07 (prod/router) value=97",
        "12:04:30 CRITICAL host_cpu_high web-07 (prod/router) value=98",
        "12:05:00 OK host_cpu_high web-07 (prod/router) value=60: CPU back to 60%",
    ]


def test_colors_only_on_a_tty() -> None:
    plain, tty = io.StringIO(), TtyBuffer()
    PrintingSink(FakeClock(NOON), plain)(cpu_event("critical", 97.0))
    PrintingSink(FakeClock(NOON), tty)(cpu_event("critical", 97.0))
    assert "\x1b[" not in plain.getvalue()
    assert tty.getvalue().startswith("12:04:30 \x1b[31mCRITICAL\x1b[0m host_cpu_high")


def test_counting_and_fanout() -> None:
    counts = CountingSink()
    seen: list[str] = []
    fanout = FanoutSink(
        lambda e: seen.append(f"first {e.state}"), counts, lambda e: seen.append(f"second {e.state}")
    )
    for state in ("ok", "critical", "critical"):
        fanout(cpu_event(state, 1.0))
    fanout(Event(state="warning"))
    assert seen == [
        "first ok",
        "second ok",
        "first critical",
        "second critical",
        "first critical",
        "second critical",
        "first warning",
        "second warning",
    ]
    assert counts.total == 4
    assert counts.by_state == {"ok": 1, "critical": 2, "warning": 1}
    assert counts.by_rule == {
        ("host_cpu_high", "ok"): 1,
        ("host_cpu_high", "critical"): 2,
        ("", "warning"): 1,
    }


def test_changes_only_prints_each_transition_once() -> None:
    out = io.StringIO()
    clock = FakeClock(NOON)
    sink = PrintingSink(clock, out, changes_only=True)
    for state, value in [
        ("ok", 50.0),
        ("critical", 97.0),
        ("critical", 98.0),
        ("warning", 90.0),
        ("ok", 60.0),
    ]:
        sink(cpu_event(state, value))
    assert out.getvalue().splitlines() == [
        "12:04:30 CRITICAL host_cpu_high web-07 (prod/router) value=97",
        "12:04:30 WARNING host_cpu_high web-07 (prod/router) value=90",
        "12:04:30 OK host_cpu_high web-07 (prod/router) value=60",
    ]

"""The fake PagerDuty's alert book and rate window (pure): documented dedup_key rules."""

from __future__ import annotations

import pytest

from integrations.pagerduty.fake.state import AlertBook, AlertStatus, Applied, RateWindow

RK, OTHER = "a" * 32, "b" * 32
EVENT = {"payload": {"summary": "s", "source": "h", "severity": "critical"}}


def run(book: AlertBook, steps: list[tuple[str, str, str]]) -> list[Applied]:
    return [book.apply(rk, action, key, EVENT) for rk, action, key in steps]


@pytest.mark.parametrize(
    ("steps", "applied", "statuses"),
    [
        ([(RK, "trigger", "k")], [Applied.OPENED], [AlertStatus.TRIGGERED]),
        (
            [(RK, "trigger", "k"), (RK, "trigger", "k")],
            [Applied.OPENED, Applied.LOGGED],
            [AlertStatus.TRIGGERED],
        ),
        (
            [(RK, "trigger", "k"), (RK, "acknowledge", "k"), (RK, "acknowledge", "k")],
            [Applied.OPENED, Applied.ACKNOWLEDGED, Applied.UNCHANGED],
            [AlertStatus.ACKNOWLEDGED],
        ),
        (
            [(RK, "trigger", "k"), (RK, "acknowledge", "k"), (RK, "resolve", "k")],
            [Applied.OPENED, Applied.ACKNOWLEDGED, Applied.RESOLVED],
            [AlertStatus.RESOLVED],
        ),
        ([(RK, "acknowledge", "k"), (RK, "resolve", "k")], [Applied.DROPPED, Applied.DROPPED], []),
        (
            [(RK, "trigger", "k"), (RK, "resolve", "k"), (RK, "resolve", "k"), (RK, "acknowledge", "k")],
            [Applied.OPENED, Applied.RESOLVED, Applied.DROPPED, Applied.DROPPED],
            [AlertStatus.RESOLVED],
        ),
        (  # a trigger after resolve opens a NEW alert
            [(RK, "trigger", "k"), (RK, "resolve", "k"), (RK, "trigger", "k")],
            [Applied.OPENED, Applied.RESOLVED, Applied.OPENED],
            [AlertStatus.RESOLVED, AlertStatus.TRIGGERED],
        ),
        (  # dedup_key is scoped to the routing key
            [(RK, "trigger", "k"), (OTHER, "resolve", "k"), (OTHER, "trigger", "k")],
            [Applied.OPENED, Applied.DROPPED, Applied.OPENED],
            [AlertStatus.TRIGGERED, AlertStatus.TRIGGERED],
        ),
    ],
)
def test_alert_book_follows_pagerdutys_dedup_rules(
    steps: list[tuple[str, str, str]], applied: list[Applied], statuses: list[AlertStatus]
) -> None:
    book = AlertBook()
    assert run(book, steps) == applied
    assert [a.status for a in book.alerts] == statuses


def test_alert_log_lists_actions_and_keeps_first_payload() -> None:
    book = AlertBook()
    run(book, [(RK, "trigger", "k"), (RK, "trigger", "k"), (RK, "acknowledge", "k")])
    (alert,) = book.alerts
    assert alert.log == ["trigger", "trigger", "acknowledge"]
    assert alert.payload == EVENT["payload"]


def test_rate_window_admits_limit_per_key_in_a_sliding_window() -> None:
    window = RateWindow(limit=3, window=60.0)
    assert [window.admit(RK, t) for t in (0.0, 10.0, 20.0, 30.0)] == [True, True, True, False]
    assert window.admit(OTHER, 30.0) is True  # per routing key
    assert window.admit(RK, 59.9) is False
    assert window.admit(RK, 60.0) is True  # the event at 0.0 left the window
    assert window.admit(RK, 60.0) is False

"""Scheduler: Riemann's once/every/defer/cancel and the controlled clock's advance rules."""

from __future__ import annotations

import asyncio

import pytest

from alerter.clock import FakeClock, SystemClock
from alerter.streams import ErrorCollector, Scheduler, drive


def test_once_runs_at_its_time_with_now_equal_to_task_time() -> None:
    s = Scheduler.controlled(0.0)
    seen: list[float] = []
    s.once(5.0, lambda: seen.append(s.now()))
    s.advance(4.9)
    assert seen == []
    s.advance(7.0)
    assert seen == [5.0]
    assert s.now() == 7.0


def test_every_runs_first_after_delay_then_each_interval() -> None:
    s = Scheduler.controlled(100.0)
    seen: list[float] = []
    s.every(10, lambda: seen.append(s.now()), delay=1)
    s.advance(131)
    assert seen == [101.0, 111.0, 121.0, 131.0]


def test_tasks_run_in_time_then_creation_order() -> None:
    s = Scheduler.controlled(0.0)
    order: list[str] = []
    s.once(5, lambda: order.append("b5"))
    s.once(3, lambda: order.append("a3"))
    s.once(5, lambda: order.append("c5"))
    s.advance(10)
    assert order == ["a3", "b5", "c5"]


def test_successor_tasks_due_before_target_also_run() -> None:
    s = Scheduler.controlled(0.0)
    seen: list[float] = []
    s.once(1, lambda: s.once(s.now() + 1, lambda: seen.append(s.now())))
    s.advance(5)
    assert seen == [2.0]


def test_advance_backwards_does_nothing() -> None:
    s = Scheduler.controlled(10.0)
    seen: list[float] = []
    s.once(5, lambda: seen.append(s.now()))
    s.advance(3)
    assert seen == [] and s.now() == 10.0
    s.advance(10)  # equal to now: tasks already due run, at the current time (never backwards)
    assert seen == [10.0]


def test_cancel_stops_a_periodic_task() -> None:
    s = Scheduler.controlled(0.0)
    seen: list[float] = []
    task = s.every(1, lambda: seen.append(s.now()))
    s.advance(2)
    s.cancel(task)
    s.advance(10)
    assert seen == [0.0, 1.0, 2.0]
    assert s.pending() == 0


def test_defer_moves_next_run_and_suppresses_the_queued_one() -> None:
    s = Scheduler.controlled(0.0)
    seen: list[float] = []
    task = s.every(10, lambda: seen.append(s.now()), delay=10)
    s.advance(5)
    s.defer(task, 20)
    s.advance(40)
    assert seen == [25.0, 35.0]


def test_failing_task_is_reported_and_periodic_task_keeps_going() -> None:
    errors = ErrorCollector()
    s = Scheduler.controlled(0.0, on_error=errors)
    runs: list[float] = []

    def boom() -> None:
        runs.append(s.now())
        raise RuntimeError("tick failed")

    s.every(1, boom)
    s.advance(2)
    assert runs == [0.0, 1.0, 2.0]
    assert [str(f.exception) for f in errors.failures] == ["tick failed"] * 3


def test_every_rejects_non_positive_interval() -> None:
    with pytest.raises(ValueError, match="interval must be > 0"):
        Scheduler.controlled().every(0, lambda: None)


def test_advance_needs_a_settable_clock() -> None:
    with pytest.raises(TypeError, match="settable clock"):
        Scheduler(SystemClock()).advance(1.0)


def test_live_mode_run_until_uses_the_injected_clock() -> None:
    clock = FakeClock(0.0)
    s = Scheduler(clock)
    seen: list[float] = []
    s.every(5, lambda: seen.append(s.now()), delay=5)
    clock.set(12.0)
    assert s.run_until(clock.now()) == 2
    assert seen == [12.0, 12.0]  # live: tasks see the clock; the schedule stays on 5 + k*5
    clock.set(15.0)
    assert s.run_until(clock.now()) == 1
    assert seen == [12.0, 12.0, 15.0]


def test_drive_runs_due_tasks_each_tick() -> None:
    clock = FakeClock(0.0)
    s = Scheduler(clock)
    seen: list[float] = []
    s.every(1, lambda: seen.append(s.now()), delay=1)
    ticks = 0

    async def fake_sleep(dt: float) -> None:
        nonlocal ticks
        ticks += 1
        clock.advance(dt)
        if ticks == 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(drive(s, tick=1.0, sleep=fake_sleep))
    assert seen == [1.0, 2.0]
    assert ticks == 3


@pytest.mark.parametrize("tick", [0.0, -1.0, float("inf")])
def test_drive_rejects_a_bad_tick(tick: float) -> None:
    with pytest.raises(ValueError, match="tick must be a positive number"):
        asyncio.run(drive(Scheduler.controlled(), tick=tick))

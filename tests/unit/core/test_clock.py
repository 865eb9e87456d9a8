"""FakeClock moves only when told to, and never backwards."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from alerter.clock import FakeClock, SystemClock, from_datetime, to_datetime


def test_fake_clock_advances_and_sets():
    c = FakeClock(100)
    c.advance(2.5)
    assert c.now() == 102.5
    c.set(200)
    assert c.now() == 200.0


def test_fake_clock_refuses_to_go_back():
    c = FakeClock(100)
    with pytest.raises(ValueError, match="cannot go back"):
        c.set(99)
    with pytest.raises(ValueError):
        c.advance(-1)


def test_system_clock_is_epoch_seconds():
    assert SystemClock().now() > 1.7e9


def test_datetime_conversions_are_exact_and_refuse_naive_datetimes():
    assert to_datetime(0) == datetime(1970, 1, 1, tzinfo=UTC)
    cet = timezone(timedelta(hours=1))
    assert from_datetime(datetime(1970, 1, 1, 1, tzinfo=cet)) == 0
    with pytest.raises(ValueError, match="naive"):
        from_datetime(datetime(2026, 1, 1))

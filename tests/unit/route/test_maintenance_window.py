"""Maintenance windows as pure tables: matching, boundaries, recurrences across DST, expiry."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from alerter.config.maintenance import MaintenanceWindow, Matcher, Recurrence, parse_for, parse_instant
from alerter.route.maintenance import (
    MaintenanceBook,
    RefreshingBook,
    active_at,
    book_of,
    describe,
    next_start,
    occurrence_at,
    schedule_text,
)

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC).timestamp()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def berlin(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, fold: int = 0
) -> float:
    """Berlin wall-clock time; ``fold=1`` picks the second of a repeated hour (fall-back)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN, fold=fold).timestamp()


def fixed(**kw: object) -> MaintenanceWindow:
    base: dict[str, object] = {"id": "w", "hosts": ("web1",), "start": T0, "end": T0 + 600}
    return MaintenanceWindow(**{**base, **kw})  # type: ignore[arg-type]


def weekly(**kw: object) -> MaintenanceWindow:
    """DEV patching: Sundays 02:00 Berlin, 2h."""
    base: dict[str, object] = {
        "id": "patch",
        "matchers": (Matcher.parse('env="dev"'),),
        "recurrence": Recurrence("0 2 * * SUN", 7200.0, "Europe/Berlin"),
    }
    return MaintenanceWindow(**{**base, **kw})  # type: ignore[arg-type]


# -- matching -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matcher", "labels", "expected"),
    [
        ('env="dev"', {"env": "dev"}, True),
        ('env="dev"', {"env": "prod"}, False),
        ("env=dev", {"env": "dev"}, True),
        ('env="dev"', {}, False),
        ('env!="prod"', {"env": "dev"}, True),
        ('env!="prod"', {"env": "prod"}, False),
        ('env!="prod"', {}, True),  # a missing label reads as "" (Alertmanager)
        ('env=""', {}, True),
        ('role=~"db|cache"', {"role": "db"}, True),
        ('role=~"db|cache"', {"role": "cache"}, True),
        ('role=~"db|cache"', {"role": "db2"}, False),  # anchored at the end
        ('role=~"db|cache"', {"role": "mydb"}, False),  # anchored at the start
        ("role=~db.*", {"role": "db2"}, True),
        ('role!~"db.*"', {"role": "web"}, True),
        ('role!~"db.*"', {"role": "db1"}, False),
        (' host = "a b" ', {"host": "a b"}, True),
        ('msg="say \\"hi\\""', {"msg": 'say "hi"'}, True),
    ],
)
def test_label_matchers(matcher: str, labels: dict[str, str], expected: bool) -> None:
    assert Matcher.parse(matcher).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("env", "not a label matcher"),
        ("=dev", "not a label matcher"),
        ("1env=dev", "not a label matcher"),
        ('role=~"db("', "is not a valid regex"),
    ],
)
def test_bad_matchers_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Matcher.parse(text)


def test_matcher_text_round_trips() -> None:
    for text in ('env="dev"', 'env!="prod"', 'role=~"db|cache"', 'role!~"x.*"', 'msg="a \\"b\\""'):
        assert str(Matcher.parse(text)) == text


@pytest.mark.parametrize(
    ("window", "labels", "host", "expected"),
    [
        (fixed(hosts=("web1", "web2")), {}, "web2", True),
        (fixed(hosts=("web1", "web2")), {}, "web3", False),
        (fixed(hosts=("web1",)), {"host": "web1"}, None, True),  # the host label when no host given
        (fixed(hosts=("web1",)), {"host": "web1"}, "web9", False),  # an explicit host wins
        (fixed(hosts=("web1",)), {}, None, False),
        (fixed(hosts=(), matchers=(Matcher.parse("env=dev"),)), {"env": "dev"}, "any", True),
        # hosts AND matchers must both hold
        (fixed(hosts=("web1",), matchers=(Matcher.parse("env=dev"),)), {"env": "dev"}, "web1", True),
        (fixed(hosts=("web1",), matchers=(Matcher.parse("env=dev"),)), {"env": "prod"}, "web1", False),
        (fixed(hosts=("web1",), matchers=(Matcher.parse("env=dev"),)), {"env": "dev"}, "web2", False),
        (
            fixed(hosts=(), matchers=(Matcher.parse("env=dev"), Matcher.parse("role=~db|cache"))),
            {"env": "dev", "role": "web"},
            None,
            False,
        ),
    ],
)
def test_window_matching(
    window: MaintenanceWindow, labels: dict[str, str], host: str | None, expected: bool
) -> None:
    assert window.matches(labels, host) is expected


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"hosts": ()}, "needs hosts or label matchers"),
        ({"end": T0}, "a fixed window needs a start before its end"),
        ({"end": T0 - 1}, "a fixed window needs a start before its end"),
        ({"start": None}, "a fixed window needs a start before its end"),
        ({"recurrence": Recurrence("0 2 * * *", 60.0, "UTC")}, "either an end or a recurrence"),
        ({"end": None}, "either an end or a recurrence"),
    ],
)
def test_impossible_windows_are_refused(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fixed(**kw)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("0 2 * *", 60.0, "UTC"), "is not a cron expression"),
        (("0 25 * * *", 60.0, "UTC"), "is not a cron expression"),
        (("0 0 * * * *", 60.0, "UTC"), "is not a cron expression"),  # no seconds field
        (("0 0 30 2 *", 60.0, "UTC"), "never fires"),
        (("0 2 * * SUN", 0.0, "UTC"), "duration above 0s"),
        (("0 2 * * SUN", 60.0, "Europe/Atlantis"), "not a known timezone"),
    ],
)
def test_bad_recurrences_are_refused(args: tuple[str, float, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Recurrence(*args)


# -- fixed windows: start inclusive, end exclusive ------------------------------------------------


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (T0 - 0.001, False),
        (T0, True),  # start inclusive
        (T0 + 300, True),
        (T0 + 599.999, True),
        (T0 + 600, False),  # end exclusive
        (T0 + 10_000, False),
    ],
)
def test_fixed_window_boundaries(t: float, expected: bool) -> None:
    assert active_at(fixed(), t) is expected


def test_an_announced_window_is_not_active_before_its_start() -> None:
    announced = fixed(start=T0 + 3600, end=T0 + 7200)
    assert [active_at(announced, t) for t in (T0, T0 + 3599, T0 + 3600, T0 + 7199, T0 + 7200)] == [
        False,
        False,
        True,
        True,
        False,
    ]
    assert next_start(announced, T0) == T0 + 3600
    assert next_start(announced, T0 + 3600) is None


@pytest.mark.parametrize(
    ("kw", "t", "expected"),
    [
        ({"ended_at": T0 + 120}, T0 + 119, True),
        ({"ended_at": T0 + 120}, T0 + 120, False),  # ended early by a person
        ({"expires_at": T0 + 60}, T0 + 59, True),
        ({"expires_at": T0 + 60}, T0 + 60, False),
    ],
)
def test_ended_and_expired_windows_stop(kw: dict[str, object], t: float, expected: bool) -> None:
    assert active_at(fixed(**kw), t) is expected


# -- recurring windows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        # winter (CET, UTC+1): Sunday 2026-11-22 02:00-04:00 Berlin = 01:00-03:00 UTC
        (berlin(2026, 11, 22, 1, 59, 59), False),
        (berlin(2026, 11, 22, 2, 0), True),
        (utc(2026, 11, 22, 1, 0), True),
        (berlin(2026, 11, 22, 3, 59, 59), True),
        (berlin(2026, 11, 22, 4, 0), False),
        (berlin(2026, 11, 23, 2, 30), False),  # a Monday
        # summer (CEST, UTC+2): Sunday 2026-07-05 02:00 Berlin = 00:00 UTC
        (utc(2026, 7, 5, 0, 0), True),
        (utc(2026, 7, 5, 1, 59), True),
        (utc(2026, 7, 5, 2, 0), False),
        (utc(2026, 7, 4, 23, 59), False),
    ],
)
def test_weekly_window_follows_berlin_wall_clock(t: float, expected: bool) -> None:
    assert active_at(weekly(), t) is expected


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        # Spring forward, Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC), so 02:00
        # Berlin does not exist. The window opens at the jump (read with the pre-change offset:
        # 02:00+01:00 = 01:00 UTC = 03:00 CEST) and lasts 2 real hours, to 05:00 CEST.
        (utc(2026, 3, 29, 0, 59, 59), False),
        (utc(2026, 3, 29, 1, 0), True),
        (berlin(2026, 3, 29, 3, 0), True),
        (berlin(2026, 3, 29, 4, 59, 59), True),
        (berlin(2026, 3, 29, 5, 0), False),
        # the Sunday before and after keep their 02:00 local start
        (berlin(2026, 3, 22, 2, 0), True),
        (berlin(2026, 4, 5, 2, 0), True),
        (berlin(2026, 4, 5, 1, 59), False),
    ],
)
def test_spring_forward_start_in_the_gap_opens_at_the_jump(t: float, expected: bool) -> None:
    assert active_at(weekly(), t) is expected


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        # Fall back, Sunday 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00 UTC), so 02:00
        # Berlin happens twice. The window opens once, at the FIRST 02:00 (CEST, 00:00 UTC), and
        # lasts 2 real hours: until 02:00 UTC = 03:00 CET.
        (utc(2026, 10, 24, 23, 59, 59), False),
        (berlin(2026, 10, 25, 2, 0, fold=0), True),
        (utc(2026, 10, 25, 0, 0), True),
        (berlin(2026, 10, 25, 2, 30, fold=1), True),  # the second 02:30 (CET)
        (utc(2026, 10, 25, 1, 59, 59), True),
        (berlin(2026, 10, 25, 3, 0), False),  # 03:00 CET = 02:00 UTC: 2 real hours are over
    ],
)
def test_fall_back_opens_once_at_the_first_of_the_repeated_hour(t: float, expected: bool) -> None:
    assert active_at(weekly(), t) is expected


def test_occurrences_are_reported_as_real_spans() -> None:
    assert occurrence_at(weekly(), utc(2026, 3, 29, 2, 0)) == (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 3, 0))
    assert occurrence_at(weekly(), utc(2026, 10, 25, 1, 0)) == (
        utc(2026, 10, 25, 0, 0),
        utc(2026, 10, 25, 2, 0),
    )


def test_a_window_longer_than_its_period_is_always_active() -> None:
    hourly = weekly(recurrence=Recurrence("0 * * * *", 5400.0, "Europe/Berlin"))
    assert all(active_at(hourly, T0 + k * 977) for k in range(40))


def test_expiry_stops_recurrences_and_cuts_an_open_one() -> None:
    expires = berlin(2026, 11, 22, 3, 0)
    w = weekly(expires_at=expires)
    assert active_at(w, berlin(2026, 11, 15, 2, 30))
    assert active_at(w, berlin(2026, 11, 22, 2, 59))
    assert not active_at(w, berlin(2026, 11, 22, 3, 0))  # mid-occurrence: expiry is a hard stop
    assert not active_at(w, berlin(2026, 11, 29, 2, 30))  # and no later Sunday
    assert occurrence_at(w, berlin(2026, 11, 22, 2, 0)) == (berlin(2026, 11, 22, 2, 0), expires)
    assert next_start(w, berlin(2026, 11, 22, 3, 0)) is None


def test_a_recurring_window_with_a_start_ignores_earlier_occurrences() -> None:
    w = weekly(start=berlin(2026, 11, 25, 0, 0))
    assert not active_at(w, berlin(2026, 11, 22, 2, 30))
    assert active_at(w, berlin(2026, 11, 29, 2, 30))
    assert next_start(w, berlin(2026, 11, 20, 0, 0)) == berlin(2026, 11, 29, 2, 0)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (berlin(2026, 11, 20, 12, 0), berlin(2026, 11, 22, 2, 0)),
        (berlin(2026, 11, 22, 2, 0), berlin(2026, 11, 29, 2, 0)),  # strictly after
        (berlin(2026, 3, 25, 0, 0), utc(2026, 3, 29, 1, 0)),  # the spring-forward Sunday: at the jump
        (berlin(2026, 10, 21, 0, 0), utc(2026, 10, 25, 0, 0)),  # fall-back: the first 02:00
    ],
)
def test_next_start(after: float, expected: float) -> None:
    assert next_start(weekly(), after) == expected


# -- the book and the suppressor ---------------------------------------------------------------------


def test_book_answers_which_window_silences_an_alert() -> None:
    release = fixed(id="7", hosts=("web1",), reason="release 42", owner="web", created_by="alice")
    patch = weekly(owner="platform", reason="patching")
    book = MaintenanceBook([release, patch])
    assert book.suppressing({"env": "prod"}, "web1", T0 + 1) is release
    assert book.suppressing({"env": "prod"}, "web2", T0 + 1) is None
    assert book.suppressing({"env": "prod"}, "web1", T0 + 600) is None  # over
    sunday = berlin(2026, 11, 22, 2, 30)
    assert book.suppressing({"env": "dev"}, "web9", sunday) is patch
    assert book.suppressing({"env": "prod"}, "web9", sunday) is None


def test_the_first_window_in_book_order_names_the_reason() -> None:
    a = fixed(id="a", hosts=("web1",), reason="first")
    b = fixed(id="b", hosts=("web1",), reason="second")
    assert book_of([a], [b]).suppressing({}, "web1", T0).id == "a"  # type: ignore[union-attr]


def test_reason_is_the_correlation_suppressor_with_the_host_from_labels() -> None:
    release = fixed(id="7", hosts=("web1",), reason="release 42", owner="web", created_by="alice")
    book = MaintenanceBook([release])
    assert (
        book.reason({"host": "web1", "rule": "cpu"}, T0)
        == 'maintenance "7": release 42 (owner web, by alice)'
    )
    assert book.reason({"host": "web2", "rule": "cpu"}, T0) is None
    assert book.reason({"rule": "cpu"}, T0) is None


def test_book_caches_the_active_set_per_instant() -> None:
    book = MaintenanceBook([fixed()])
    assert book.active(T0) is book.active(T0)
    assert book.active(T0 + 600) == ()
    assert book.active(T0) == (fixed(),)  # going back in time (a replay) recomputes
    assert len(book) == 1


def test_describe_and_schedule_text() -> None:
    assert describe(fixed(reason="")) == 'maintenance "w": no reason given'
    assert schedule_text(fixed()) == "2026-11-20T10:00:00Z .. 2026-11-20T10:10:00Z"
    assert schedule_text(weekly()) == 'cron "0 2 * * SUN" Europe/Berlin for 2h'


def test_a_window_round_trips_through_its_dict() -> None:
    for w in (
        fixed(matchers=(Matcher.parse("role=~db.*"),), ended_at=T0 + 5),
        weekly(expires_at=T0, owner="x"),
    ):
        assert MaintenanceWindow.from_dict(w.to_dict()) == w


# -- parsing what people type -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("10m", 600.0), ("1h30m", 5400.0), ("90s", 90.0), ("2d", 172800.0)]
)
def test_parse_for(text: str, seconds: float) -> None:
    assert parse_for(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [("0m", "not a positive duration"), ("10", "not a duration"), ("ten", "not a duration")],
)
def test_parse_for_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_for(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T11:00:00+01:00", T0),
        ("2026-11-20T10:00:00Z", T0),
        ("2026-11-20T10:00:00+00:00", T0),
        ("2026-11-20T05:00:00-05:00", T0),
        ("2026-11-20 11:00+01:00", T0),
    ],
)
def test_parse_instant_needs_an_offset(text: str, expected: float) -> None:
    assert parse_instant(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-20T10:00:00", "has no timezone offset"),
        ("2026-11-20", "has no timezone offset"),
        ("tomorrow", "is not a time"),
    ],
)
def test_parse_instant_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_instant(text)


def test_refreshing_book_reloads_at_most_every_refresh_seconds() -> None:
    loads: list[float] = []
    stored: list[MaintenanceWindow] = []

    def load(now: float) -> list[MaintenanceWindow]:
        loads.append(now)
        return list(stored)

    patch = weekly(reason="patching")
    book = RefreshingBook(load, refresh=30.0, fixed=[patch])
    assert book.reason({"host": "web1"}, T0) is None
    stored.append(fixed(id="7", reason="release 42"))  # started from the CLI meanwhile
    assert book.reason({"host": "web1"}, T0 + 29) is None  # not seen yet: no reload
    assert book.reason({"host": "web1"}, T0 + 30) == 'maintenance "7": release 42'
    assert book.reason({"host": "web1"}, T0 + 31) == 'maintenance "7": release 42'
    assert loads == [T0, T0 + 30]
    assert book.book(T0 + 31).windows[0] is patch  # file windows first
    assert book.reason({"host": "web1"}, T0 + 1) is not None and loads[-1] == T0 + 1  # time went back: reload

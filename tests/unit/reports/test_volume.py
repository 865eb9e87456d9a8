"""Volume: buckets in the report timezone, counts, compression, suppressions, top N."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from alerter.reports.records import AlertFiring, IncidentRow, PageRow, ReportData, SuppressionRow
from alerter.reports.volume import Bucket, Ranked, VolumeRow, bucket_edges, top_n, volume_report

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[arg-type, misc]


MON = utc(2026, 11, 16)


def firing(
    at: float, rule: str = "disk_full", host: str | None = "db-1", role: str | None = "db"
) -> AlertFiring:
    return AlertFiring(at, f"fp-{rule}-{host}-{at}", rule, host, role)


def test_day_buckets_in_utc_cover_the_range_and_clip_partial_ends() -> None:
    edges = bucket_edges(MON + 3600, MON + 2 * 86400 + 7200, Bucket.DAY, UTC_ZONE)
    assert [e.isoformat() for e in edges] == [
        "2026-11-16T01:00:00+00:00",
        "2026-11-17T00:00:00+00:00",
        "2026-11-18T00:00:00+00:00",
        "2026-11-18T02:00:00+00:00",
    ]


def test_day_buckets_follow_local_midnight_across_dst() -> None:
    # Berlin falls back on 2026-10-25: that day is 25 hours long
    start = datetime(2026, 10, 24, tzinfo=BERLIN).timestamp()
    end = datetime(2026, 10, 27, tzinfo=BERLIN).timestamp()
    edges = bucket_edges(start, end, Bucket.DAY, BERLIN)
    assert [e.isoformat() for e in edges] == [
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
        "2026-10-27T00:00:00+01:00",
    ]
    # same-zone datetime subtraction is wall time in Python: compare instants
    hours = [(b.timestamp() - a.timestamp()) / 3600 for a, b in pairwise(edges)]
    assert hours == [24, 25, 24]


def test_week_buckets_start_on_monday_in_the_report_zone() -> None:
    start, end = utc(2026, 11, 11, 12), utc(2026, 11, 25)  # a Wednesday to a Wednesday
    edges = bucket_edges(start, end, Bucket.WEEK, UTC_ZONE)
    assert [e.date().isoformat() for e in edges] == ["2026-11-11", "2026-11-16", "2026-11-23", "2026-11-25"]


def test_an_empty_range_is_refused() -> None:
    with pytest.raises(ValueError, match="report range is empty"):
        bucket_edges(MON, MON, Bucket.DAY, UTC_ZONE)


def test_the_report_timezone_decides_the_day_of_an_instant() -> None:
    # Monday 23:30 UTC is already Tuesday 00:30 in Berlin
    data = ReportData(firings=(firing(utc(2026, 11, 16, 23, 30)),))
    start, end = utc(2026, 11, 15, 23), utc(2026, 11, 17, 23)
    in_utc = volume_report(data, start, end, zone=UTC_ZONE)
    in_berlin = volume_report(data, start, end, zone=BERLIN)
    assert [(r.start.strftime("%a"), r.alerts) for r in in_utc.rows] == [("Sun", 0), ("Mon", 1), ("Tue", 0)]
    assert [(r.start.strftime("%a"), r.alerts) for r in in_berlin.rows] == [("Mon", 0), ("Tue", 1)]


def test_counts_per_bucket_and_total_with_compression_and_suppressions() -> None:
    day = 86400
    data = ReportData(
        incidents=(
            IncidentRow(1, "a", MON + 10),
            IncidentRow(2, "b", MON + day + 10),
            IncidentRow(3, "c", MON - 1),
        ),
        firings=(*(firing(MON + i) for i in range(6)), firing(MON + day + 5)),
        suppressions=(
            SuppressionRow(MON + 1, "maintenance"),
            SuppressionRow(MON + 2, "maintenance"),
            SuppressionRow(MON + day + 1, "storm"),
        ),
        pages=(PageRow(MON + 11, "a", "anna", "pagerduty"), PageRow(MON + 12, "a", "ben", "pagerduty")),
    )
    report = volume_report(data, MON, MON + 2 * day)
    first, second = report.rows
    assert (first.alerts, first.incidents, first.pages, dict(first.suppressed)) == (
        6,
        1,
        2,
        {"maintenance": 2},
    )
    assert first.compression == 3.0
    assert (second.alerts, second.incidents, second.pages, dict(second.suppressed)) == (1, 1, 0, {"storm": 1})
    assert second.compression is None  # nothing paged: no ratio
    assert report.total == VolumeRow(first.start, second.end, 7, 2, 2, {"maintenance": 2, "storm": 1})
    assert report.total.compression == 3.5
    assert report.total.suppressed_total == 3


def test_firings_outside_the_range_count_nowhere() -> None:
    data = ReportData(firings=(firing(MON - 1), firing(MON), firing(MON + 86400)))
    report = volume_report(data, MON, MON + 86400)
    assert report.total.alerts == 1
    assert report.top_rules == (Ranked("disk_full", 1),)


@pytest.mark.parametrize(
    ("names", "n", "expected"),
    [
        (["b", "a", "b", "c", "a", "b"], 2, [("b", 3), ("a", 2)]),
        (["z", "y", "x", "y", "z", "x"], 3, [("x", 2), ("y", 2), ("z", 2)]),  # ties by name
        (["z", "y", "x", "y", "z", "x"], 2, [("x", 2), ("y", 2)]),
        (["a"], 0, []),
        ([], 5, []),
    ],
)
def test_top_n_orders_by_count_then_name(names: list[str], n: int, expected: list[tuple[str, int]]) -> None:
    assert top_n(names, n) == tuple(Ranked(name, count) for name, count in expected)


def test_noisiest_rules_hosts_and_roles_skip_missing_labels() -> None:
    data = ReportData(
        firings=(
            firing(MON, "cpu", "web-1", "web"),
            firing(MON + 1, "cpu", "web-2", "web"),
            firing(MON + 2, "disk", "db-1", "db"),
            firing(MON + 3, "ping", None, None),
        )
    )
    report = volume_report(data, MON, MON + 86400, top=2)
    assert report.top_rules == (Ranked("cpu", 2), Ranked("disk", 1))
    assert report.top_hosts == (Ranked("db-1", 1), Ranked("web-1", 1))
    assert report.top_roles == (Ranked("web", 2), Ranked("db", 1))

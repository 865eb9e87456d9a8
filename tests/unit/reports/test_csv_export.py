"""CSV export: RFC 4180 quoting, formula injection guarded, the report's figures in each table."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from alerter.reports.csv_export import noisy_csv, people_csv, response_csv, table_csv, to_csv, volume_csv
from alerter.reports.records import AlertFiring, IncidentRow, PageRow, ReportData, SuppressionRow
from alerter.reports.report import build_report

MON = datetime(2026, 11, 16, tzinfo=UTC).timestamp()


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_fields_with_commas_quotes_and_line_breaks_are_quoted() -> None:
    text = to_csv(["name", "n"], [['disk "/" full, db', 1], ["two\nlines", 2.5], [None, 0]])
    assert text == 'name,n\r\n"disk ""/"" full, db",1\r\n"two\nlines",2.5\r\n,0\r\n'
    assert rows(text)[1:] == [['disk "/" full, db', "1"], ["two\nlines", "2.5"], ["", "0"]]


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_are_prefixed(cell: str) -> None:
    assert rows(to_csv(["h"], [[cell]]))[1] == ["'" + cell]


def test_negative_numbers_stay_numbers() -> None:
    assert rows(to_csv(["h"], [[-3]]))[1] == ["-3"]


def report():  # type: ignore[no-untyped-def]
    data = ReportData(
        incidents=(IncidentRow(1, "a", MON + 5, acked_at=MON + 65, resolved_at=MON + 605),),
        firings=(
            AlertFiring(MON + 1, "f1", "=evil", "db-1", "db"),
            AlertFiring(MON + 86400, "f2", "cpu", None),
        ),
        suppressions=(SuppressionRow(MON + 2, "storm"),),
        pages=(
            PageRow(MON + 5, "a", "anna", "pagerduty", MON + 6),
            PageRow(MON + 7, "a", "", "email", MON + 8),
        ),
    )
    return build_report(data, MON, MON + 2 * 86400)


def test_volume_csv_has_a_row_per_bucket_and_a_column_per_reason() -> None:
    assert rows(volume_csv(report())) == [
        ["bucket_start", "bucket_end", "alerts", "incidents", "pages", "compression", "suppressed_storm"],
        ["2026-11-16T00:00:00+00:00", "2026-11-17T00:00:00+00:00", "1", "1", "2", "0.5", "1"],
        ["2026-11-17T00:00:00+00:00", "2026-11-18T00:00:00+00:00", "1", "0", "0", "", "0"],
    ]


def test_people_noisy_and_response_tables() -> None:
    r = report()
    assert rows(people_csv(r))[1:] == [
        ["(email)", "(email)", "1", "1", "0", "0", "1", "", ""],  # 00:00:08 UTC: sleep hours
        ["anna", "anna", "1", "1", "0", "0", "1", "", ""],
    ]
    assert rows(noisy_csv(r)) == [
        ["kind", "rank", "name", "alerts"],
        ["rule", "1", "'=evil", "1"],
        ["rule", "2", "cpu", "1"],
        ["host", "1", "db-1", "1"],
        ["role", "1", "db", "1"],
    ]
    assert rows(response_csv(r))[1:] == [
        ["mtta", "1", "0", "60.0", "60.0", "60.0"],
        ["mttr", "1", "0", "600.0", "600.0", "600.0"],
    ]


def test_table_csv_names_the_tables_it_knows() -> None:
    assert table_csv(report(), "people") == people_csv(report())
    with pytest.raises(ValueError, match="unknown report table 'pages' \\(expected one of: volume, people"):
        table_csv(report(), "pages")

"""Parsing of /query answers, one case per trap seen on influxd 1.6.7 (integrations.influxdb.results)."""

from __future__ import annotations

from typing import Any

import pytest

from alerter.source import Series, StatementResult
from integrations.influxdb.results import (
    ResponseFormatError,
    parse_query_body,
    to_seconds,
)


def test_series_with_tags_and_nulls() -> None:
    body = {
        "results": [
            {
                "statement_id": 0,
                "series": [
                    {
                        "name": "cpu",
                        "tags": {"host": "a"},
                        "columns": ["time", "mean"],
                        "values": [[60, 1.5], [120, None]],
                    },
                    {"name": "cpu", "tags": {"host": "b"}, "columns": ["time", "mean"], "values": [[60, 2]]},
                ],
            }
        ]
    }
    assert parse_query_body(body, 1) == [
        StatementResult(
            series=(
                Series("cpu", ("time", "mean"), [[60, 1.5], [120, None]], {"host": "a"}),
                Series("cpu", ("time", "mean"), [[60, 2]], {"host": "b"}),
            )
        )
    ]


def test_no_series_is_no_data_not_error() -> None:
    assert parse_query_body({"results": [{"statement_id": 0}]}, 1) == [StatementResult()]


def test_statement_error_inside_http_200() -> None:
    body = {"results": [{"statement_id": 0, "error": "database not found: nope"}]}
    assert parse_query_body(body, 1) == [StatementResult(error="database not found: nope")]


def test_not_executed_and_missing_results_ask_for_rerun() -> None:
    # influxd 1.6: statement 1 failed, reported as "not executed"; statements 2 and 3 absent
    body = {
        "results": [
            {"statement_id": 0, "series": [{"name": "m", "columns": ["time", "v"], "values": [[1, 2]]}]},
            {"statement_id": 1, "error": "not executed"},
        ]
    }
    parsed = parse_query_body(body, 4)
    assert isinstance(parsed, list)
    assert parsed[0] == StatementResult(series=(Series("m", ("time", "v"), [[1, 2]]),))
    assert parsed[1:] == [None, None, None]


def test_request_level_error_is_returned_as_text() -> None:
    body = {"error": "error parsing query: found FRM, expected FROM at line 1, char 10"}
    assert parse_query_body(body, 2) == "error parsing query: found FRM, expected FROM at line 1, char 10"


@pytest.mark.parametrize(
    "raw",
    [
        {
            "statement_id": 0,
            "partial": True,
            "series": [{"name": "m", "columns": ["time", "v"], "values": [[1, 1]]}],
        },
        {
            "statement_id": 0,
            "series": [{"name": "m", "columns": ["time", "v"], "values": [[1, 1]], "partial": True}],
        },
    ],
)
def test_partial_flag_on_result_or_series(raw: dict[str, Any]) -> None:
    parsed = parse_query_body({"results": [raw]}, 1)
    assert isinstance(parsed, list) and parsed[0] is not None
    assert parsed[0].partial is True
    assert parsed[0].series[0].values == [[1, 1]]


def test_results_placed_by_statement_id() -> None:
    body = {"results": [{"statement_id": 1}, {"statement_id": 0, "error": "boom"}]}
    assert parse_query_body(body, 2) == [StatementResult(error="boom"), StatementResult()]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1_700_000_000, 1_700_000_000),  # epoch=s honoured
        (1_700_000_000_000, 1_700_000_000),  # ms
        (1_700_000_000_000_000, 1_700_000_000),  # us
        (1_700_000_000_000_000_000, 1_700_000_000),  # ns: what an unknown epoch= answers
        (1_700_000_000_500_000_000, 1_700_000_000.5),
        ("2023-11-14T22:13:20Z", 1_700_000_000),  # no epoch: RFC3339
        ("2023-11-14T22:13:20.25Z", 1_700_000_000.25),
        ("2023-11-14T22:13:20.000000001Z", 1_700_000_000.000000001),
        ("2023-11-14T23:13:20+01:00", 1_700_000_000),
        (0, 0),
    ],
)
def test_time_values_are_converted_to_seconds(value: Any, seconds: float) -> None:
    assert to_seconds(value) == seconds


def test_time_column_converted_other_columns_untouched() -> None:
    body = {
        "results": [
            {
                "series": [
                    {
                        "name": "m",
                        "columns": ["time", "v"],
                        "values": [["1970-01-01T00:01:00Z", 1_700_000_000_000]],
                    }
                ]
            }
        ]
    }
    parsed = parse_query_body(body, 1)
    assert isinstance(parsed, list) and parsed[0] is not None
    assert parsed[0].series[0].values == [[60, 1_700_000_000_000]]


@pytest.mark.parametrize(
    "body",
    [[], {"nope": 1}, {"results": [{"statement_id": 5}]}, {"results": ["x"]}],
)
def test_malformed_bodies_are_refused(body: Any) -> None:
    with pytest.raises(ResponseFormatError):
        parse_query_body(body, 1)


@pytest.mark.parametrize("value", [True, "yesterday", None, [1]])
def test_non_time_values_are_refused(value: Any) -> None:
    with pytest.raises(ResponseFormatError):
        to_seconds(value)

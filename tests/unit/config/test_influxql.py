"""analyze_query: the shape of a rule query, as a table of cases."""

from __future__ import annotations

import pytest

from alerter.config.influxql import analyze_query, tokenize

B = "WHERE time > now() - 5m"


@pytest.mark.parametrize(
    ("query", "columns"),
    [
        (f'SELECT mean("usage_user") FROM "cpu" {B}', ("mean",)),
        (f"SELECT mean(usage) AS avg, max(usage) FROM cpu {B}", ("avg", "max")),
        (f'SELECT "usage"::float FROM cpu {B}', ("usage",)),
        (f"SELECT mean(a) / mean(b) * 100 FROM m {B}", ("mean_mean",)),
        (f"SELECT a * b FROM m {B}", ("a_b",)),
        (f'SELECT percentile("v", 95) FROM m {B}', ("percentile",)),
        (f"SELECT * FROM cpu {B}", None),
        (f"SELECT *::field FROM cpu {B}", None),
        (f"SELECT mean(*) FROM cpu {B}", None),
        (f"SELECT /usage_.*/ FROM cpu {B}", None),
    ],
)
def test_columns(query: str, columns: tuple[str, ...] | None) -> None:
    assert analyze_query(query).columns == columns


@pytest.mark.parametrize(
    ("query", "tags"),
    [
        (f"SELECT v FROM m {B}", ()),
        (f'SELECT v FROM m {B} GROUP BY "host", role', ("host", "role")),
        (f"SELECT mean(v) FROM m {B} GROUP BY time(1m), host fill(none) LIMIT 10", ("host",)),
        (f"select mean(v) from m {B} group by host, time(30s) fill(previous)", ("host",)),
        (f'SELECT v FROM m {B} GROUP BY "weird ""tag"""', None),
        (f"SELECT v FROM m {B} GROUP BY *", None),
        (f"SELECT v FROM m {B} GROUP BY /ho.*/", None),
    ],
)
def test_group_by_tags(query: str, tags: tuple[str, ...] | None) -> None:
    assert analyze_query(query).group_by_tags == tags


@pytest.mark.parametrize(
    ("where", "bounded"),
    [
        ("WHERE time > now() - 5m", True),
        ("WHERE time >= now() - 1h30m AND host = 'a'", True),
        ('WHERE host =~ /web/ AND "time" > now() - 5m', True),
        ("WHERE now() - 5m < time", True),
        ("WHERE (time > now() - 5m AND (host = 'a' OR host = 'b'))", True),
        ("WHERE time < now() - 5m", False),
        ("WHERE time > '2024-01-01T00:00:00Z'", False),
        ("WHERE time > now() - 5m OR host = 'a'", False),
        ("WHERE host = 'a'", False),
        ("WHERE (host = 'a' OR time > now() - 1m)", False),
        ("WHERE 'time > now()' = x", False),
        ("", False),
    ],
)
def test_time_lower_bound(where: str, bounded: bool) -> None:
    shape = analyze_query(f"SELECT v FROM m {where} GROUP BY host")
    assert shape.time_lower_bound is bounded
    assert shape.has_where is bool(where)


@pytest.mark.parametrize(
    ("query", "statement", "statements"),
    [
        (f"SELECT v FROM m {B}", "SELECT", 1),
        (f"select v from m {B}", "SELECT", 1),
        ('DROP MEASUREMENT "cpu"', "DROP", 1),
        (f"SELECT v FROM m {B}; DROP DATABASE x", "SELECT", 2),
        ("SELECT v FROM m WHERE host = 'a;b' AND time > now() - 5m", "SELECT", 1),
        ("", "", 1),
    ],
)
def test_statement_kind_and_count(query: str, statement: str, statements: int) -> None:
    shape = analyze_query(query)
    assert (shape.statement, shape.statements) == (statement, statements)


def test_comments_and_division_are_not_regexes() -> None:
    texts = [t.text for t in tokenize("SELECT a / b / c FROM m -- note / here\nWHERE x =~ /a\\/b/")]
    assert texts == ["SELECT", "a", "/", "b", "/", "c", "FROM", "m", "WHERE", "x", "=~", "/a\\/b/"]


def test_a_quoted_keyword_is_a_name() -> None:
    shape = analyze_query('SELECT "from" FROM m WHERE time > now() - 1m GROUP BY "group"')
    assert (shape.columns, shape.group_by_tags, shape.has_from) == (("from",), ("group",), True)

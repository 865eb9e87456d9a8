"""now() pinning and time bounding of InfluxQL statements (integrations.influxdb.statements)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.influxdb.statements import pin_now, split_statements, time_literal, tokenize

NOW = 1_700_000_000


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SELECT * FROM cpu", "SELECT * FROM cpu WHERE time <= 1700000000s"),
        (
            "SELECT mean(v) FROM cpu WHERE time > now() - 5m GROUP BY host",
            "SELECT mean(v) FROM cpu WHERE time <= 1700000000s AND (time > 1700000000s - 5m) GROUP BY host",
        ),
        # OR binds looser than AND: the condition must be parenthesised
        (
            "SELECT v FROM m WHERE a = 1 OR b = 2",
            "SELECT v FROM m WHERE time <= 1700000000s AND (a = 1 OR b = 2)",
        ),
        (
            "select last(v) from m where host = 'a' limit 1",
            "select last(v) from m where time <= 1700000000s AND (host = 'a') limit 1",
        ),
        (
            "SELECT mean(v) FROM m GROUP BY time(1m) fill(none)",
            "SELECT mean(v) FROM m WHERE time <= 1700000000s GROUP BY time(1m) fill(none)",
        ),
        (
            "SELECT mean(v) FROM m WHERE time > now() - 1h fill(0)",
            "SELECT mean(v) FROM m WHERE time <= 1700000000s AND (time > 1700000000s - 1h) fill(0)",
        ),
        (
            "SELECT v FROM m ORDER BY time DESC",
            "SELECT v FROM m WHERE time <= 1700000000s ORDER BY time DESC",
        ),
        ("SELECT v FROM m SLIMIT 2", "SELECT v FROM m WHERE time <= 1700000000s SLIMIT 2"),
        (
            "SELECT v FROM m tz('Europe/Paris')",
            "SELECT v FROM m WHERE time <= 1700000000s tz('Europe/Paris')",
        ),
        # subqueries: each SELECT is bounded
        (
            "SELECT max(u) FROM (SELECT v AS u FROM m WHERE h =~ /a(b)|c/) WHERE time > now() - 1h",
            "SELECT max(u) FROM (SELECT v AS u FROM m WHERE time <= 1700000000s AND (h =~ /a(b)|c/))"
            " WHERE time <= 1700000000s AND (time > 1700000000s - 1h)",
        ),
        (
            "SELECT max(u) FROM (SELECT v AS u FROM m)",
            "SELECT max(u) FROM (SELECT v AS u FROM m WHERE time <= 1700000000s) WHERE time <= 1700000000s",
        ),
        # now() inside strings, quoted identifiers and regexes is data, not a call
        (
            """SELECT "now()" FROM "now()" WHERE x = 'now()' AND y =~ /now()/""",
            """SELECT "now()" FROM "now()" WHERE time <= 1700000000s AND (x = 'now()' AND y =~ /now()/)""",
        ),
        # case and inner whitespace of the call
        (
            "SELECT v FROM m WHERE time > NOW ( ) - 1m",
            "SELECT v FROM m WHERE time <= 1700000000s AND (time > 1700000000s - 1m)",
        ),
        # a regex measurement and a field regex are not divisions
        ("SELECT /usage/ FROM /cpu.*/", "SELECT /usage/ FROM /cpu.*/ WHERE time <= 1700000000s"),
        ("SELECT a / b FROM m", "SELECT a / b FROM m WHERE time <= 1700000000s"),
        # an identifier that merely contains the word
        ("SELECT nowhere FROM m", "SELECT nowhere FROM m WHERE time <= 1700000000s"),
        # a trailing comment stays after the inserted text
        (
            "SELECT v FROM m WHERE a = 1 -- note",
            "SELECT v FROM m WHERE time <= 1700000000s AND (a = 1) -- note",
        ),
        # non-SELECT statements: only now() is replaced
        ("SHOW TAG VALUES WITH KEY = host", "SHOW TAG VALUES WITH KEY = host"),
        (
            "SHOW SERIES WHERE time > now() - 1h",
            "SHOW SERIES WHERE time > 1700000000s - 1h",
        ),
    ],
)
def test_pin_now(statement: str, expected: str) -> None:
    assert pin_now(statement, NOW) == expected


@pytest.mark.parametrize(
    ("now", "literal"),
    [
        (1_700_000_000, "1700000000s"),
        (1_700_000_000.0, "1700000000s"),
        (1_700_000_000.25, "1700000000250000000"),  # influxd rejects 1700000000.25s
        (0.5, "500000000"),
    ],
)
def test_time_literal(now: float, literal: str) -> None:
    assert time_literal(now) == literal


def test_fractional_now_is_pinned_as_nanoseconds() -> None:
    assert pin_now("SELECT v FROM m WHERE time > now() - 1m", 1_700_000_000.5) == (
        "SELECT v FROM m WHERE time <= 1700000000500000000 AND (time > 1700000000500000000 - 1m)"
    )


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("SELECT a FROM b", ["SELECT a FROM b"]),
        ("SELECT a FROM b;", ["SELECT a FROM b"]),
        ("SELECT a FROM b; SELECT c FROM d", ["SELECT a FROM b", "SELECT c FROM d"]),
        ("SELECT 'x;y' FROM \"a;b\" WHERE h =~ /;/", ["SELECT 'x;y' FROM \"a;b\" WHERE h =~ /;/"]),
        ("  ;  ", []),
    ],
)
def test_split_statements(text: str, pieces: list[str]) -> None:
    assert split_statements(text) == pieces


@pytest.mark.parametrize(
    "text",
    ["SELECT a FROM b WHERE x = 'it''s' AND y =~ /a\\/b/", 'SELECT "we\\"ird" FROM m', "unterminated 'str"],
)
def test_tokenize_round_trips(text: str) -> None:
    assert "".join(t.text for t in tokenize(text)) == text


@given(
    st.text(alphabet=st.sampled_from(list("SELECT FROM WHERE GROUP BY now() 'x\"/;=~-\n\\ab1")), max_size=60)
)
def test_tokenize_round_trips_any_text_and_pinning_never_raises(text: str) -> None:
    assert "".join(t.text for t in tokenize(text)) == text
    pinned = pin_now(text, NOW)
    assert isinstance(pinned, str)


@given(
    st.sampled_from(["host = 'a'", "a = 1 OR b = 2", "time > now() - 5m", "h =~ /x|y/"]),
    st.integers(0, 2**33),
)
def test_bound_is_idempotent_in_effect(condition: str, now: int) -> None:
    once = pin_now(f"SELECT v FROM m WHERE {condition}", now)
    twice = pin_now(once, now)
    literal = time_literal(now)
    assert once.startswith(f"SELECT v FROM m WHERE time <= {literal} AND (")
    assert twice == once.replace("WHERE ", f"WHERE time <= {literal} AND (", 1) + ")"

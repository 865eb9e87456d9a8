"""Parser of the InfluxQL subset: statement text -> AST, or a ParseError / Unsupported naming the part."""

from __future__ import annotations

import pytest

from alerter.source.influxql_parse import (
    BinOp,
    Boolean,
    Call,
    Duration,
    Field,
    Fill,
    Ident,
    Now,
    Number,
    ParseError,
    Regex,
    Select,
    String,
    Unsupported,
    Wildcard,
    parse_statement,
    split_statements,
    tokenize,
)

S = 10**9
M1 = 60 * S
M5 = 5 * M1

PARSED: list[tuple[str, Select]] = [
    ("SELECT v FROM cpu", Select((Field(Ident("v")),), "cpu")),
    (
        'select MEAN("usage idle") as "x y" from "my cpu"',
        Select((Field(Call("mean", (Ident("usage idle"),)), "x y"),), "my cpu"),
    ),
    (
        'SELECT 100 - mean("usage_idle") FROM "cpu"',
        Select((Field(BinOp("-", Number(100), Call("mean", (Ident("usage_idle"),)))),), "cpu"),
    ),
    (
        "SELECT mean(a) * 100 + 1 FROM m",
        Select(
            (Field(BinOp("+", BinOp("*", Call("mean", (Ident("a"),)), Number(100)), Number(1))),),
            "m",
        ),
    ),
    (
        "SELECT percentile(v, 99.5), last(v) FROM m",
        Select(
            (Field(Call("percentile", (Ident("v"), Number(99.5)))), Field(Call("last", (Ident("v"),)))), "m"
        ),
    ),
    (
        "SELECT v FROM m WHERE time > now() - 5m",
        Select((Field(Ident("v")),), "m", BinOp(">", Ident("time"), BinOp("-", Now(), Duration(M5)))),
    ),
    (
        "SELECT v FROM m WHERE a = 'x' OR b = 'y' AND c = 'z'",
        Select(
            (Field(Ident("v")),),
            "m",
            BinOp(
                "OR",
                BinOp("=", Ident("a"), String("x")),
                BinOp("AND", BinOp("=", Ident("b"), String("y")), BinOp("=", Ident("c"), String("z"))),
            ),
        ),
    ),
    (
        "SELECT v FROM m WHERE (a = 'x' OR b <> 'y') AND host =~ /^web-\\d+$/",
        Select(
            (Field(Ident("v")),),
            "m",
            BinOp(
                "AND",
                BinOp("OR", BinOp("=", Ident("a"), String("x")), BinOp("!=", Ident("b"), String("y"))),
                BinOp("=~", Ident("host"), Regex("^web-\\d+$")),
            ),
        ),
    ),
    (
        "SELECT v FROM m WHERE path !~ /a\\/b/ AND ok = true",
        Select(
            (Field(Ident("v")),),
            "m",
            BinOp("AND", BinOp("!~", Ident("path"), Regex("a/b")), BinOp("=", Ident("ok"), Boolean(True))),
        ),
    ),
    (
        "SELECT v FROM m WHERE v > -1.5 AND host::tag = 'it\\'s'",
        Select(
            (Field(Ident("v")),),
            "m",
            BinOp(
                "AND", BinOp(">", Ident("v"), Number(-1.5)), BinOp("=", Ident("host", "tag"), String("it's"))
            ),
        ),
    ),
    (
        'SELECT mean(v) FROM m GROUP BY host, "dc"',
        Select((Field(Call("mean", (Ident("v"),))),), "m", None, ("host", "dc")),
    ),
    ("SELECT mean(v) FROM m GROUP BY *", Select((Field(Call("mean", (Ident("v"),))),), "m", None, None)),
    (
        "SELECT mean(v) FROM m GROUP BY host fill(none)",
        Select((Field(Call("mean", (Ident("v"),))),), "m", None, ("host",), fill=Fill("none")),
    ),
    ("SELECT v FROM m ORDER BY time DESC LIMIT 3", Select((Field(Ident("v")),), "m", None, (), True, 3)),
    ("SELECT v FROM m ORDER BY time ASC", Select((Field(Ident("v")),), "m")),
    ("SELECT * FROM m GROUP BY *", Select((Field(Wildcard()),), "m", None, None)),
    (
        "SELECT max(v) FROM m GROUP BY time(1m, -10s), host fill(-1)",
        Select(
            (Field(Call("max", (Ident("v"),))),),
            "m",
            None,
            ("host",),
            False,
            0,
            M1,
            M1 - 10 * S,
            Fill("value", -1),
        ),
    ),
    (
        "SELECT max(v) FROM m GROUP BY host, time(5m) FILL(previous) LIMIT 2",
        Select(
            (Field(Call("max", (Ident("v"),))),), "m", None, ("host",), False, 2, 5 * M1, 0, Fill("previous")
        ),
    ),
    (
        "SELECT v FROM m WHERE time >= '2026-01-01T00:00:00Z' AND time < 1500000000000000000",
        Select(
            (Field(Ident("v")),),
            "m",
            BinOp(
                "AND",
                BinOp(">=", Ident("time"), String("2026-01-01T00:00:00Z")),
                BinOp("<", Ident("time"), Number(1500000000000000000)),
            ),
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), PARSED, ids=[t for t, _ in PARSED])
def test_parses(text: str, expected: Select) -> None:
    assert parse_statement(text) == expected


@pytest.mark.parametrize(
    ("literal", "ns"),
    [("1ns", 1), ("2u", 2_000), ("2µ", 2_000), ("3ms", 3_000_000), ("4s", 4 * 10**9), ("1m", 60 * 10**9),
     ("1h", 3600 * 10**9), ("1d", 86400 * 10**9), ("1w", 604800 * 10**9)],
)  # fmt: skip
def test_duration_units(literal: str, ns: int) -> None:
    cond = parse_statement(f"SELECT v FROM m WHERE time > {literal}").condition
    assert cond == BinOp(">", Ident("time"), Duration(ns))


UNSUPPORTED: list[tuple[str, str]] = [
    ("SHOW MEASUREMENTS", "SHOW statements (only SELECT)"),
    ("SELECT v FROM /cpu.*/", "FROM /regex/"),
    ("SELECT v FROM db.rp.m", "FROM with a database or retention policy"),
    ("SELECT v FROM a, b", "FROM several measurements"),
    ("SELECT v FROM m GROUP BY /h/", "GROUP BY /regex/"),
    ("SELECT v FROM m LIMIT 1 OFFSET 2", "OFFSET"),
    ("SELECT v FROM m SLIMIT 1", "SLIMIT"),
    ("SELECT v INTO x FROM m", "SELECT ... INTO"),
    ("SELECT v FROM m tz('Europe/Paris')", "TZ"),
    ("SELECT v::integer FROM m", "type cast ::integer"),
    ("SELECT mean(v) FROM m GROUP BY time(now())", "time() interval that is not a duration literal"),
]


@pytest.mark.parametrize(("text", "part"), UNSUPPORTED, ids=[t for t, _ in UNSUPPORTED])
def test_unsupported_names_the_part(text: str, part: str) -> None:
    with pytest.raises(Unsupported) as info:
        parse_statement(text)
    assert str(info.value) == f"unsupported in the in-memory source: {part}"


MALFORMED: list[tuple[str, str]] = [
    ("SELECT mean(v) FRM m", "found 'FRM', expected FROM at char 16"),
    ("SELECT v FROM m WHERE time > 1.5s", "found s, expected ; at char 33"),
    ("SELECT v FROM m WHERE", "found 'EOF', expected expression at char 22"),
    ("SELECT v FROM m LIMIT x", "found 'x', expected integer at char 23"),
    ("SELECT v FROM m WHERE host =~ /abc", "unterminated regex at char 31"),
    ("SELECT v FROM m WHERE a = 'x' )", "found ')', expected end of statement at char 31"),
    ("SELECT v FROM m ORDER BY host", "only ORDER BY time [ASC|DESC] is allowed"),
    ("SELECT v FROM m WHERE a = 'x' # b", "unexpected '#' at char 31"),
    (
        "SELECT mean(v) FROM m GROUP BY time(1m) fill(sometimes)",
        "fill() takes null, none, previous, linear or a number",
    ),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED, ids=[t for t, _ in MALFORMED])
def test_malformed(text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_statement(text)
    assert str(info.value) == message


def test_split_statements_ignores_semicolons_in_strings_and_regexes() -> None:
    text = "SELECT v FROM m WHERE a = ';' ; SELECT v FROM m WHERE b =~ /;/;;"
    assert split_statements(text) == ["SELECT v FROM m WHERE a = ';'", "SELECT v FROM m WHERE b =~ /;/"]


def test_slash_is_division_except_after_regex_operators() -> None:
    kinds = [t.kind for t in tokenize("a / 2 =~ /x/")]
    assert kinds == ["ident", "op", "num", "op", "regex", "eof"]

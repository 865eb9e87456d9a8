"""Line protocol formatting, escaping and write precision (integrations.influxdb.lineprotocol)."""

from __future__ import annotations

import pytest

from integrations.influxdb.lineprotocol import (
    FieldValue,
    LineProtocolError,
    format_line,
    has_timestamp,
    split_line,
    wire_precision,
)


@pytest.mark.parametrize(
    ("measurement", "tags", "fields", "time", "line"),
    [
        ("cpu", {"host": "a"}, {"usage_user": 1.5}, 10, "cpu,host=a usage_user=1.5 10"),
        ("cpu", {}, {"v": 3}, None, "cpu v=3i"),
        ("app", {}, {"health_ok": True, "down": False}, 1, "app health_ok=true,down=false 1"),
        ("m", {"b": "2", "a": "1"}, {"v": 1.0}, 1, "m,a=1,b=2 v=1.0 1"),  # tags sorted
        ("my cpu,x", {}, {"v": 1.0}, 1, "my\\ cpu\\,x v=1.0 1"),
        ("m", {"k=1 ,": "v=2 ,"}, {"f ,=": 1.0}, 1, "m,k\\=1\\ \\,=v\\=2\\ \\, f\\ \\,\\==1.0 1"),
        ("m", {}, {"s": 'say "hi" \\ bye'}, 1, 'm s="say \\"hi\\" \\\\ bye" 1'),
        ("router", {}, {"5xx_rate": 0.25}, 1, "router 5xx_rate=0.25 1"),
    ],
)
def test_format_line(
    measurement: str, tags: dict[str, str], fields: dict[str, FieldValue], time: int | None, line: str
) -> None:
    assert format_line(measurement, tags, fields, time) == line


@pytest.mark.parametrize(
    ("measurement", "tags", "fields", "message"),
    [
        ("m", {}, {}, "no fields"),
        ("m", {"h": "a\nb"}, {"v": 1.0}, "newline"),
        ("m", {}, {"v": float("nan")}, "not finite"),
        ("m", {}, {"v": float("inf")}, "not finite"),
        ("", {}, {"v": 1.0}, "empty"),
        ("m", {"h": ""}, {"v": 1.0}, "empty"),
        ("m", {}, {"v": None}, "unsupported type"),
    ],
)
def test_format_line_refuses(
    measurement: str, tags: dict[str, str], fields: dict[str, FieldValue], message: str
) -> None:
    with pytest.raises(LineProtocolError, match=message):
        format_line(measurement, tags, fields, 1)


@pytest.mark.parametrize(("precision", "wire"), [("s", "s"), ("ms", "ms"), ("u", "u"), ("ns", "n")])
def test_wire_precision(precision: str, wire: str) -> None:
    assert wire_precision(precision) == wire


@pytest.mark.parametrize("precision", ["us", "n", "h", "m", "", "S", "seconds"])
def test_unknown_precision_is_refused_before_the_server_reads_it_as_ns(precision: str) -> None:
    with pytest.raises(LineProtocolError, match="unknown write precision"):
        wire_precision(precision)


def test_us_gets_a_hint() -> None:
    with pytest.raises(LineProtocolError, match="microseconds are 'u'"):
        wire_precision("us")


@pytest.mark.parametrize(
    ("line", "sections"),
    [
        ("cpu,host=a v=1 10", ["cpu,host=a", "v=1", "10"]),
        ("cpu v=1", ["cpu", "v=1"]),
        ('m s="a b c" 5', ["m", 's="a b c"', "5"]),
        ("my\\ cpu v=1 5", ["my\\ cpu", "v=1", "5"]),
        ("bad", ["bad"]),
    ],
)
def test_split_line(line: str, sections: list[str]) -> None:
    assert split_line(line) == sections
    assert has_timestamp(line) is (len(sections) == 3)

"""InfluxDB line protocol, formatted: the text form of a :class:`~alerter.source.static.Point`.

Place in the flow: beside :class:`~alerter.source.static.Point`. Whoever writes points to an
InfluxDB (the self-metrics, the demo loader, the InfluxDB integration and its tests) formats them
here, so there is one encoder. Pure text, no I/O; the write itself (precision, partial writes)
is the integration's business (:mod:`integrations.influxdb.lineprotocol`).

Escaping per the 1.x reference: measurement escapes ``,`` and space; tag keys, tag values and
field keys escape ``,``, ``=`` and space; string field values are double-quoted with ``"`` and
``\\`` escaped. A newline cannot be escaped at all, so it is rejected.

>>> encode_point(Point("cpu", {"host": "a b", "env": "prod"}, {"usage_user": 12.5, "n": 3}, 100.0))
'cpu,env=prod,host=a\\\\ b usage_user=12.5,n=3i 100'
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from alerter.source.static import FieldValue, Point


class LineProtocolError(ValueError):
    """A point cannot be written as line protocol."""


def _escape(text: str, specials: str, what: str) -> str:
    if "\n" in text or "\r" in text:
        raise LineProtocolError(f"{what} {text!r} contains a newline, which line protocol cannot carry")
    if not text:
        raise LineProtocolError(f"{what} is empty")
    out = text
    for ch in specials:
        out = out.replace(ch, "\\" + ch)
    return out


def escape_measurement(name: str) -> str:
    return _escape(name, ", ", "measurement")


def escape_key(key: str) -> str:
    """Escape a tag key, tag value or field key."""
    return _escape(key, ",= ", "key")


def format_field_value(value: FieldValue) -> str:
    """Return the line protocol form: ``1.5``, ``3i``, ``true``, ``"text"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LineProtocolError(f"field value {value!r} is not finite")
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        if "\n" in value:
            raise LineProtocolError(f"string field {value!r} contains a newline")
        return f'"{escaped}"'
    raise LineProtocolError(f"field value {value!r} has unsupported type {type(value).__name__}")


def format_line(
    measurement: str,
    tags: Mapping[str, str],
    fields: Mapping[str, FieldValue],
    time: int | None = None,
) -> str:
    """Return one line of line protocol; tags sorted by key (the server's preferred order).

    ``time`` is an integer in the write's precision; ``None`` lets the server stamp it.
    Raises :class:`LineProtocolError` if there are no fields or a name/value cannot be encoded.
    """
    if not fields:
        raise LineProtocolError(f"point {measurement!r} has no fields")
    head = escape_measurement(measurement) + "".join(
        f",{escape_key(k)}={escape_key(v)}" for k, v in sorted(tags.items())
    )
    body = ",".join(f"{escape_key(k)}={format_field_value(v)}" for k, v in fields.items())
    return f"{head} {body}" if time is None else f"{head} {body} {int(time)}"


def encode_point(point: Point) -> str:
    """One line for ``point``, its time as integer seconds (write it with precision ``s``).

    A tag with an empty value is left out: InfluxDB stores no empty tag values, and a query
    reads a missing tag as ``""`` anyway.
    """
    tags = {k: v for k, v in point.tags.items() if v != ""}
    return format_line(point.measurement, tags, point.fields, int(point.time))


__all__ = [
    "FieldValue",
    "LineProtocolError",
    "encode_point",
    "escape_key",
    "escape_measurement",
    "format_field_value",
    "format_line",
]

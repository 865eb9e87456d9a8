"""Pure InfluxDB line protocol: formatting points, escaping, and write precision.

Place in the flow: loaders (tests, demo, :mod:`bench.influx_load`) -> :func:`format_line` (here)
-> :meth:`InfluxMetricSource.write` -> ``/write``. The alert path itself only reads.

Escaping per the 1.x reference: measurement escapes ``,`` and space; tag keys, tag values and
field keys escape ``,``, ``=`` and space; string field values are double-quoted with ``"`` and
``\\`` escaped. A newline cannot be escaped at all, so it is rejected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

#: Our precision names -> the value influxd 1.x understands. The server silently reads any
#: value it does not know (e.g. ``us``) as nanoseconds, so we validate before sending; ``ns``
#: is sent as ``n`` because 1.6 only accepts ``ns`` through that same fallback.
PRECISIONS: Mapping[str, str] = {"s": "s", "ms": "ms", "u": "u", "ns": "n"}

FieldValue = float | int | bool | str


class LineProtocolError(ValueError):
    """A point cannot be written as line protocol."""


def wire_precision(precision: str) -> str:
    """Return the ``precision=`` query value for ``precision`` (s, ms, u or ns).

    Raises :class:`LineProtocolError` for anything else, since influxd would read it as ns.
    """
    try:
        return PRECISIONS[precision]
    except KeyError:
        hint = " (microseconds are 'u')" if precision == "us" else ""
        raise LineProtocolError(
            f"unknown write precision {precision!r}{hint}; expected one of {', '.join(PRECISIONS)}"
        ) from None


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


def split_line(line: str) -> list[str]:
    """Split a line into its space-separated sections, honouring escapes and quoted strings.

    Returns ``[series_key, fields]`` or ``[series_key, fields, timestamp]``.
    """
    sections: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in line.strip():
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"' and len(sections) == 1:
            current.append(ch)
            quoted = not quoted
        elif ch == " " and not quoted:
            if current:
                sections.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        sections.append("".join(current))
    return sections


def has_timestamp(line: str) -> bool:
    """True if the line carries its own timestamp (so writing it again is idempotent)."""
    return len(split_line(line)) == 3

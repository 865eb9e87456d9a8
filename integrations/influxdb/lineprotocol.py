"""InfluxDB line protocol on the wire: write precision, and reading lines back (partial writes).

Place in the flow: :meth:`InfluxMetricSource.write` -> ``/write``. Formatting a point is pure
text shared with the core, so it lives in :mod:`alerter.source.lineprotocol` and is re-exported
here (``format_line``, the escapes, ``LineProtocolError``).
"""

from __future__ import annotations

from collections.abc import Mapping

from alerter.source.lineprotocol import (
    FieldValue,
    LineProtocolError,
    escape_key,
    escape_measurement,
    format_field_value,
    format_line,
)

__all__ = [
    "PRECISIONS",
    "FieldValue",
    "LineProtocolError",
    "escape_key",
    "escape_measurement",
    "format_field_value",
    "format_line",
    "has_timestamp",
    "split_line",
    "wire_precision",
]

#: Our precision names -> the value influxd 1.x understands. The server silently reads any
#: value it does not know (e.g. ``us``) as nanoseconds, so we validate before sending; ``ns``
#: is sent as ``n`` because 1.6 only accepts ``ns`` through that same fallback.
PRECISIONS: Mapping[str, str] = {"s": "s", "ms": "ms", "u": "u", "ns": "n"}


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

"""Pure parsing of InfluxDB ``/query`` answers into :class:`alerter.source.StatementResult`.

Place in the flow: ``/query`` JSON -> :func:`parse_query_body` (here) -> the evaluator. The traps
handled here, each seen on influxd 1.6.7:

* a statement the server rejects comes back as HTTP 200 with ``error`` inside its result
  (``{"statement_id":0,"error":"database not found: x"}``); it becomes that result's ``error``;
* in a multi-statement request the first failing statement is reported as ``"not executed"``
  (its real error is lost) and the statements after it are missing entirely; both come back as
  ``None`` here so the client re-runs them one by one;
* a parse error anywhere fails the whole request (HTTP 400, top-level ``error``);
* no ``series`` means no data, which is not an error;
* ``partial: true`` (row limit, chunking) may sit on the result or on a series;
* ``epoch=s`` is always sent, but times are verified: RFC3339 strings (no epoch honoured) and
  ms/us/ns integers (an unknown epoch value answers ns) are converted to seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from alerter.source import Series, StatementResult

NOT_EXECUTED = "not executed"

# Integer times at or above these magnitudes cannot be seconds of a plausible date (1e11 s is
# year 5138), so they are read as ns, us or ms respectively.
_UNIT_THRESHOLDS = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3))
_RFC3339 = re.compile(
    r"^(?P<base>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(?P<frac>\d+))?(?P<tz>Z|[+-]\d\d:\d\d)$"
)


class ResponseFormatError(ValueError):
    """The body is not shaped like an InfluxDB /query answer."""


def to_seconds(value: Any) -> int | float:
    """Return POSIX seconds for a time cell, whatever unit the server used (see module doc)."""
    if isinstance(value, bool):
        raise ResponseFormatError(f"time value {value!r} is not a time")
    if isinstance(value, int | float):
        for threshold, divisor in _UNIT_THRESHOLDS:
            if abs(value) >= threshold:
                seconds = value / divisor
                return int(seconds) if float(seconds).is_integer() else seconds
        return value
    if isinstance(value, str):
        return _parse_rfc3339(value)
    raise ResponseFormatError(f"time value {value!r} is not a time")


def _parse_rfc3339(text: str) -> int | float:
    match = _RFC3339.match(text)
    if match is None:
        raise ResponseFormatError(f"time value {text!r} is not RFC3339")
    tz = "+00:00" if match["tz"] == "Z" else match["tz"]
    whole = datetime.fromisoformat(match["base"] + tz).astimezone(UTC)
    seconds = int(whole.timestamp())
    frac = match["frac"]
    if not frac or int(frac) == 0:
        return seconds
    return seconds + int(frac) / float(10 ** len(frac))


def parse_series(raw: Mapping[str, Any]) -> Series:
    """Return one :class:`Series`, with its ``time`` column (if any) converted to seconds."""
    columns = tuple(str(c) for c in raw.get("columns", ()))
    time_index = columns.index("time") if "time" in columns else None
    values: list[list[Any]] = []
    for row in raw.get("values") or ():
        cells = list(row)
        if time_index is not None and cells[time_index] is not None:
            cells[time_index] = to_seconds(cells[time_index])
        values.append(cells)
    tags = {str(k): "" if v is None else str(v) for k, v in (raw.get("tags") or {}).items()}
    return Series(name=str(raw.get("name", "")), columns=columns, values=values, tags=tags)


def parse_statement(raw: Mapping[str, Any]) -> StatementResult:
    """Return the :class:`StatementResult` of one entry of ``results``."""
    if raw.get("error") is not None:
        return StatementResult(error=str(raw["error"]))
    raw_series = raw.get("series") or ()
    partial = bool(raw.get("partial")) or any(bool(s.get("partial")) for s in raw_series)
    return StatementResult(series=tuple(parse_series(s) for s in raw_series), partial=partial)


def parse_query_body(body: Any, count: int) -> list[StatementResult | None] | str:
    """Return one entry per statement sent, or the request-level error text.

    An entry is ``None`` when the statement was not run because an earlier one in the same
    request failed (``"not executed"`` or absent); the caller re-runs those alone. A request-level
    error (``{"error": ...}``, e.g. a parse error anywhere in the batch) is returned as a string.
    Raises :class:`ResponseFormatError` for a body that is not an InfluxDB answer.
    """
    if not isinstance(body, Mapping):
        raise ResponseFormatError(f"expected a JSON object, got {type(body).__name__}")
    if body.get("error") is not None and not body.get("results"):
        return str(body["error"])
    results = body.get("results")
    if not isinstance(results, Sequence):
        raise ResponseFormatError("no 'results' list in the answer")
    out: list[StatementResult | None] = [None] * count
    for position, raw in enumerate(results):
        index = raw.get("statement_id", position) if isinstance(raw, Mapping) else position
        if not isinstance(raw, Mapping) or not isinstance(index, int) or not 0 <= index < count:
            raise ResponseFormatError(f"unexpected result entry {raw!r}")
        parsed = parse_statement(raw)
        out[index] = None if parsed.error == NOT_EXECUTED else parsed
    return out

"""Durations as people write them in YAML: ``30s``, ``5m``, ``1h30m``, ``2d``, ``250ms``.

Bare numbers are rejected on purpose: ``for: 5`` is ambiguous (seconds? minutes?), so the rule
author must say. Parsed to float seconds.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
EXPECTED = "expected e.g. 5m, 1h30m"


def parse_duration(text: str) -> float:
    """``"1h30m"`` -> 5400.0. Raises ValueError naming the bad text and the expected form."""
    s = text.strip() if isinstance(text, str) else text
    if not isinstance(s, str) or not s:
        raise ValueError(f"{_show(text)} is not a duration ({EXPECTED})")
    pos, total = 0, 0.0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s):
        raise ValueError(f"{_show(text)} is not a duration ({EXPECTED})")
    return total


def _show(value: object) -> str:
    """As written in YAML: ``"5 m"`` in double quotes, ``null`` for an empty value."""
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def format_duration(seconds: float) -> str:
    """5400.0 -> ``"1h30m"``; the inverse of :func:`parse_duration` for whole seconds."""
    if seconds == 0:
        return "0s"
    out, rest = [], seconds
    for unit in ("d", "h", "m", "s"):
        n, rest = divmod(rest, _UNITS[unit])
        if n:
            out.append(f"{int(n)}{unit}")
    if rest:
        out.append(f"{round(rest * 1000)}ms")
    return "".join(out)


def _validate(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is not a duration ({EXPECTED})")
    if isinstance(value, int | float):
        n = f"{value:g}"
        raise ValueError(f"{n} has no unit (expected a duration such as {n}s or {n}m)")
    return parse_duration(value)


Duration = Annotated[float, BeforeValidator(_validate), PlainSerializer(format_duration, return_type=str)]
"""A pydantic field type: a duration string in YAML, float seconds in Python."""

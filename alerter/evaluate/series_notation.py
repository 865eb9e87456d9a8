"""promtool's expanding notation for input series in rule unit tests.

Place in the flow: ``alerter rules test`` reads ``values: "50 50 90x10 _ 70"`` from a test file and
:func:`expand` turns it into one sample per interval (``None`` = no sample). Same rules as
Prometheus' ``promtool test rules``:

* ``a``      one sample; ``_`` no sample;
* ``axn``    ``n + 1`` samples of ``a``;
* ``a+bxn``  ``a, a+b, ..., a+n*b`` (``n + 1`` samples); ``a-bxn`` counts down;
* ``_xn``    ``n`` missing samples.

A token without a decimal point or exponent gives ints (``1x3`` -> ``[1, 1, 1, 1]``), so 1/0
health checks stay integers as the collectors write them.

>>> expand("1 2x2 _ 10+5x2 _x2")
[1, 2, 2, 2, None, 10, 15, 20, None, None]
"""

from __future__ import annotations

import re

_UNSIGNED = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_TOKEN = re.compile(
    rf"^(?P<start>[+-]?{_UNSIGNED}|_)(?:(?P<sign>[+-])(?P<step>{_UNSIGNED}))?(?:x(?P<times>\d+))?$"
)
_FORMS = "expected e.g. 42, 1.5, _, 90x10, 1+2x5, 100-10x3 or _x4"


def expand(text: str) -> list[float | int | None]:
    """Expand ``text`` into samples. Raises ValueError naming the first bad token."""
    out: list[float | int | None] = []
    for token in text.split():
        m = _TOKEN.match(token)
        if m is None:
            raise ValueError(f"{token!r} is not a value ({_FORMS})")
        out.extend(_token(token, m))
    return out


def _token(token: str, m: re.Match[str]) -> list[float | int | None]:
    start, step, times = m.group("start"), m.group("step"), m.group("times")
    if start == "_":
        if step is not None:
            raise ValueError(f"{token!r}: a missing sample cannot have a step ({_FORMS})")
        return [None] * (int(times) if times is not None else 1)
    if times is None:
        if step is not None:
            raise ValueError(f"{token!r}: a step needs a count, e.g. {token}x5")
        return [_number(start)]
    first = _number(start)
    delta = 0 if step is None else _number(step) * (-1 if m.group("sign") == "-" else 1)
    return [first + i * delta for i in range(int(times) + 1)]


def _number(text: str) -> float | int:
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)

"""promtool's expanding notation for rule unit test input series."""

from __future__ import annotations

import pytest

from alerter.evaluate.series_notation import expand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 2 3", [1, 2, 3]),
        ("50 50 90x3 _ 70", [50, 50, 90, 90, 90, 90, None, 70]),
        ("1+1x4", [1, 2, 3, 4, 5]),
        ("10-2.5x2", [10, 7.5, 5.0]),
        ("_x3 1", [None, None, None, 1]),
        ("-3 +4 1.5 .5 1e2", [-3, 4, 1.5, 0.5, 100.0]),
        ("0x0", [0]),
        ("", []),
    ],
)
def test_expand(text: str, expected: list) -> None:
    assert expand(text) == expected


def test_integers_stay_integers() -> None:
    assert [type(v) for v in expand("1x1 0.0")] == [int, int, float]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 2 abc", "'abc' is not a value (expected e.g. 42, 1.5, _, 90x10, 1+2x5, 100-10x3 or _x4)"),
        ("1+2", "'1+2': a step needs a count, e.g. 1+2x5"),
        ("_+1x3", "'_+1x3': a missing sample cannot have a step"),
        ("5x", "'5x' is not a value"),
    ],
)
def test_bad_tokens_are_named(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        expand(text)
    assert str(info.value).startswith(message)

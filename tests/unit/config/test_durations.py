"""Durations: parse, format, and the bare-number rule."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from alerter.config.durations import Duration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("2d", 172800.0),
        ("1w", 604800.0),
        ("250ms", 0.25),
        (" 1.5m ", 90.0),
        ("0s", 0.0),
    ],
)
def test_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5 m", "5", "m", "", "5mins", "-5m", "1h 30m", "5M"])
def test_parse_rejects_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration \(expected e\.g\. 5m, 1h30m\)$"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (30, "30s"), (5400, "1h30m"), (90061, "1d1h1m1s"), (0.25, "250ms")]
)
def test_format_is_the_inverse_of_parse(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


class M(BaseModel):
    d: Duration


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "5 has no unit (expected a duration such as 5s or 5m)"),
        (1.5, "1.5 has no unit"),
        (True, "true is not a duration"),
    ],
)
def test_bare_numbers_and_booleans_are_rejected(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        M(d=value)  # type: ignore[arg-type]


def test_serializes_back_to_text() -> None:
    assert M(d="1h30m").model_dump() == {"d": "1h30m"}

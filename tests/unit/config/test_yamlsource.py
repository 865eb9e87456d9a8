"""parse_yaml/validate: positions, duplicate keys, merge keys, and messages for people."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from alerter.config.durations import Duration
from alerter.config.rules import StrictModel
from alerter.config.yamlsource import load_yaml, parse_yaml, validate
from alerter.errors import Problem


class Inner(StrictModel):
    size: int = 1
    when: Duration = 1.0


class Item(StrictModel):
    name: str
    inner: Inner = Inner()
    for_: Duration = Field(default=0.0, alias="for")
    tags: tuple[str, ...] = ()


class Doc(StrictModel):
    items: list[Item]
    extra: Inner | None = None


def describe(loc, data) -> str:  # type: ignore[no-untyped-def]
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        return f'item "{data["items"][loc[1]].get("name", "?")}": '
    return ""


def problems(text: str) -> list[str]:
    positioned, found = parse_yaml(text, "f.yaml", describe)
    assert positioned is not None
    _, more = validate(Doc, positioned, describe)
    return [str(p) for p in sorted(found + more)]


def test_positions_are_one_based_line_and_column() -> None:
    positioned, found = parse_yaml("items:\n  - name: a\n    for: 5m\n", "f.yaml")
    assert found == [] and positioned is not None
    assert positioned.position(("items", 0, "for")) == (3, 10)
    assert positioned.position(("items", 0, "for", "__key__")) == (3, 5)
    assert positioned.position(("items", 0, "missing")) == (2, 5)
    assert positioned.data == {"items": [{"name": "a", "for": "5m"}]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "items:\n  - name: a\n    fro: 5m\n",
            ['f.yaml:3:5: item "a": unknown field "fro" (expected one of: for, inner, name, tags)'],
        ),
        (
            "items:\n  - name: a\n    inner: {sise: 2}\n",
            ['f.yaml:3:13: item "a": unknown field "sise" in "inner" (expected one of: size, when)'],
        ),
        (
            "items:\n  - name: a\n    for: 5 m\n",
            ['f.yaml:3:10: item "a": field "for": "5 m" is not a duration (expected e.g. 5m, 1h30m)'],
        ),
        (
            "items:\n  - name: a\n    for: 90\n",
            ['f.yaml:3:10: item "a": field "for": 90 has no unit (expected a duration such as 90s or 90m)'],
        ),
        (
            "items:\n  - name: a\n    for:\n",
            ['f.yaml:3:9: item "a": field "for": null is not a duration (expected e.g. 5m, 1h30m)'],
        ),
        (
            "items:\n  - name: a\n    inner: {size: big}\n",
            ['f.yaml:3:19: item "a": field "inner.size": "big" is not valid (expected a whole number)'],
        ),
        (
            "items:\n  - name: a\n    tags: [x, [y]]\n",
            ['f.yaml:3:15: item "a": field "tags[1]": a list is not valid (expected text)'],
        ),
        ("items:\n  - inner: {}\n", ['f.yaml:2:5: item "?": missing required field "name"']),
        (
            "extra: {when: 1h, sise: 1}\nitems: []\n",
            ['f.yaml:1:19: unknown field "sise" in "extra" (expected one of: size, when)'],
        ),
        ("items: 3\n", ['f.yaml:1:8: field "items": 3 is not valid (expected a list)']),
        ("[1, 2]\n", ["f.yaml:1:1: expected a mapping with keys: extra, items (got a list)"]),
        ("# nothing\n", ["f.yaml:1:1: expected a mapping with keys: extra, items (got an empty document)"]),
        (
            "items:\n  - name: a\n    for: 1m\n    for: 2m\n",
            ['f.yaml:4:5: item "a": duplicate key "for" (first at line 3)'],
        ),
        (
            "items:\n  - name: a\n    [1]: x\n",
            ['f.yaml:3:5: item "a": a mapping key must be a plain value, not a list or mapping'],
        ),
    ],
)
def test_messages(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_syntax_error_is_one_located_problem() -> None:
    positioned, found = parse_yaml("items:\n  - name: [a\n", "f.yaml")
    assert positioned is None
    assert len(found) == 1 and found[0].path == "f.yaml" and found[0].line == 3
    assert found[0].message.startswith("YAML syntax error: ")


def test_merge_keys_give_defaults_that_the_mapping_overrides() -> None:
    text = "base: &base {size: 2, when: 1m}\nitems:\n  - name: a\n    inner: {<<: *base, size: 3}\n"
    positioned, found = parse_yaml(text, "f.yaml")
    assert found == [] and positioned is not None
    assert positioned.data["items"][0]["inner"] == {"size": 3, "when": "1m"}
    assert positioned.position(("items", 0, "inner")) == (4, 12)


def test_validate_returns_the_model_when_valid() -> None:
    positioned, _ = parse_yaml("items:\n  - {name: a, for: 1m30s}\n", "f.yaml")
    assert positioned is not None
    model, found = validate(Doc, positioned)
    assert found == [] and model is not None and model.items[0].for_ == 90.0


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"\xff\xfe bad")
    positioned, found = load_yaml(path)
    assert positioned is None
    assert found[0] == Problem(str(path), 1, 1, found[0].message) and found[0].message.startswith(
        "cannot read file"
    )

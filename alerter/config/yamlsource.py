"""YAML -> plain data that remembers where every value came from, and pydantic validation whose
errors point back at ``path:line:col``.

First step of every config load (rules, settings, on-call...): text -> :class:`PositionedData` ->
a validated pydantic model, or a list of :class:`~alerter.errors.Problem` written for the person who
must fix the file.

PyYAML's composer keeps each node's start mark; we build the Python data and, beside it, a map from
each value's location tuple (``("groups", 0, "rules", 2, "for")``) to its (line, col), so a pydantic
error's ``loc`` becomes an editor jump (Prometheus ``rulefmt`` does the same with yaml.v3 nodes).
libyaml's composer is used when PyYAML was built with it (about 10x faster: ``alerter rules check``
runs as a pre-commit hook).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from alerter.errors import Problem

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
Describe = Callable[[Loc, Any], str]

_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True, slots=True)
class PositionedData:
    """Parsed YAML data plus the (line, col) of every node, 1-based.

    ``positions[(*loc, key, "__key__")]`` is where a mapping key itself is written.
    """

    path: str
    data: Any
    positions: dict[Loc, tuple[int, int]]

    def position(self, loc: Loc) -> tuple[int, int]:
        """Position of ``loc``, or of its nearest ancestor that has one (for a missing key)."""
        while loc:
            if loc in self.positions:
                return self.positions[loc]
            loc = loc[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, loc: Loc, message: str) -> Problem:
        line, col = self.position(loc)
        return Problem(self.path, line, col, message)


def parse_yaml(
    text: str, path: str, describe: Describe | None = None
) -> tuple[PositionedData | None, list[Problem]]:
    """Parse ``text``; returns (data, problems). A syntax error gives data ``None`` and one problem.

    Duplicate keys are problems (YAML would silently keep the last one); the data keeps the last
    value so validation can still report everything else. ``describe(loc, data)`` prefixes their
    messages with the object they are in (see :func:`validate`).
    """
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(exc, path)]
    builder = _Builder(path)
    data = None if node is None else builder.build(node, ())
    positioned = PositionedData(path, data, builder.positions)
    problems = [
        Problem(path, line, col, f"{describe(loc, data) if describe else ''}{message}")
        for loc, line, col, message in builder.problems
    ]
    return positioned, problems


def load_yaml(
    path: Path | str, describe: Describe | None = None
) -> tuple[PositionedData | None, list[Problem]]:
    """Read and parse a YAML file (see :func:`parse_yaml`); an unreadable file is one problem."""
    p = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(p, 1, 1, f"cannot read file: {exc}")]
    return parse_yaml(text, p, describe)


def _syntax_problem(exc: yaml.YAMLError, path: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark and context_mark is not mark:
        context = f"{context} started at line {context_mark.line + 1}"
    detail = f"{what} ({context})" if context else what
    return Problem(path, line, col, f"YAML syntax error: {detail}")


class _Builder:
    """Node tree -> Python data, recording positions and duplicate/unhashable keys."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.positions: dict[Loc, tuple[int, int]] = {}
        self.problems: list[tuple[Loc, int, int, str]] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.positions[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first: dict[Any, int] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key_node.tag == _MERGE_TAG:
                merged.update(self._merge_source(value_node, loc))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    (loc, line, col, "a mapping key must be a plain value, not a list or mapping")
                )
                continue
            key = self._constructor.construct_object(key_node, deep=True)
            if key in first:
                self.problems.append(
                    (loc, line, col, f"duplicate key {_show(key)} (first at line {first[key]})")
                )
            first[key] = line
            out[key] = self.build(value_node, (*loc, key))
            self.positions[(*loc, key, "__key__")] = (line, col)
        # ``<<: *defaults`` gives keys the mapping does not set itself.
        return {**merged, **out} if merged else out

    def _merge_source(self, node: yaml.Node, loc: Loc) -> dict[Any, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[Any, Any] = {}
        own_position = self.positions[loc]
        for source in reversed(sources):  # earlier sources win, as YAML specifies
            value = self.build(source, loc)
            if isinstance(value, dict):
                merged.update(value)
        self.positions[loc] = own_position
        return merged


def validate(
    model: type[M],
    positioned: PositionedData,
    describe: Describe | None = None,
) -> tuple[M | None, list[Problem]]:
    """Validate ``positioned.data`` as ``model``; every pydantic error becomes a located Problem.

    ``describe(loc, data)`` may return a prefix naming the object at ``loc`` (e.g. ``rule "x": ``),
    so messages say which rule is wrong, not only where. Field names in messages are relative to
    the innermost list item that is a mapping (the described object), e.g. ``thresholds.warning``.
    """
    try:
        return model.model_validate(positioned.data), []
    except ValidationError as exc:
        return None, located_problems(model, positioned, exc, describe)


def located_problems(
    model: type[BaseModel], positioned: PositionedData, exc: ValidationError, describe: Describe | None = None
) -> list[Problem]:
    """Turn a ValidationError of ``model`` on ``positioned.data`` into located, explained Problems."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        anchor = (*loc, "__key__") if err["type"] == "extra_forbidden" else loc
        prefix = describe(loc, positioned.data) if describe else ""
        problems.append(positioned.problem(anchor, prefix + _explain(model, loc, err, positioned.data)))
    return problems


def _explain(model: type[BaseModel], loc: Loc, err: Any, data: Any) -> str:
    etype, msg = err["type"], err["msg"]
    path = _field_path(loc, data)
    if etype == "extra_forbidden":
        where = f" in {_show(path[:-1])}" if path[:-1] else ""
        return f"unknown field {_show(path[-1])}{where}{_allowed(model, loc[:-1])}"
    if etype == "missing":
        where = f" in {_show(path[:-1])}" if path[:-1] else ""
        return f"missing required field {_show(path[-1])}{where}"
    field = f"field {_show(path)}: " if path else ""
    ctx = err.get("ctx") or {}
    if etype == "too_short":
        return f"{field}has {ctx.get('actual_length', 0)} items (expected at least {ctx.get('min_length')})"
    if etype == "string_pattern_mismatch":
        return f"{field}{_got(err.get('input'))} is not valid (expected text matching {ctx.get('pattern')})"
    if etype in ("model_type", "model_attributes_type", "dict_type"):
        if loc and isinstance(loc[-1], int):
            field = ""  # a list item that should be an object: the prefix already names it
        keys = _keys(model, loc)
        expected = f"a mapping with keys: {', '.join(keys)}" if keys else "a mapping"
        got = "an empty document" if data is None and not loc else _got(err.get("input"))
        return f"{field}expected {expected} (got {got})"
    if etype == "value_error":
        return field + msg.removeprefix("Value error, ")
    expected = msg.removeprefix("Input should be ")
    if expected != msg:
        expected = _PLAIN_EXPECTED.get(expected.split(",")[0], expected)
        return f"{field}{_got(err.get('input'))} is not valid (expected {expected})"
    return f"{field}{msg[0].lower() + msg[1:] if msg else msg}"


# pydantic's words -> the YAML author's words
_PLAIN_EXPECTED = {
    "a valid dictionary": "a mapping",
    "a valid list": "a list",
    "a valid tuple": "a list",
    "a valid string": "text",
    "a valid number": "a number",
    "a valid integer": "a whole number",
    "a valid boolean": "true or false",
}


def _field_path(loc: Loc, data: Any) -> tuple[str, ...]:
    """The loc relative to the innermost mapping list item: ("groups",0,"rules",2,"for") -> ("for",)."""
    parts: list[str] = []
    node = data
    for part in loc:
        node = _child(node, part)
        if isinstance(part, int):
            if isinstance(node, dict):
                parts = []
            elif parts:
                parts[-1] = f"{parts[-1]}[{part}]"
        else:
            parts.append(str(part))
    return tuple(parts)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _allowed(model: type[BaseModel], loc: Loc) -> str:
    keys = _keys(model, loc)
    return f" (expected one of: {', '.join(keys)})" if keys else ""


def _keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model accepts at ``loc`` (aliases as written in YAML), sorted; [] if unknown."""
    target = _model_at(model, loc)
    if target is None:
        return []
    return sorted(info.alias or name for name, info in target.model_fields.items())


def _model_at(model: Any, loc: Loc) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
            current = field.annotation if field else None
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X`` (the model branch of an optional field)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        return models[0] if models else (rest[0] if len(rest) == 1 else annotation)
    return annotation


def _got(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return _show(value)


def _show(value: Any) -> str:
    """A value as the person wrote it: strings in double quotes, ``null``, ``true``; dotted paths."""
    if isinstance(value, tuple):
        return json.dumps(".".join(str(v) for v in value))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


__all__ = ["Loc", "PositionedData", "load_yaml", "located_problems", "parse_yaml", "validate"]

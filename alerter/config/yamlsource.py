"""YAML -> plain data that remembers where every value came from, and pydantic validation whose
errors point back at ``path:line:col``.

PyYAML's composer keeps each node's start mark; we build the Python data and, beside it, a map from
each value's location tuple (``("groups", 0, "rules", 2, "for")``) to its (line, col), so a pydantic
error's ``loc`` becomes an editor jump (Prometheus ``rulefmt`` does the same with yaml.v3 nodes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from alerter.errors import Problem

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class PositionedData:
    """Parsed YAML data plus the (line, col) of every node, 1-based."""

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


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader; duplicate keys are reported by :func:`_construct` rather than silently merged."""


def parse_yaml(text: str, path: str) -> tuple[PositionedData | None, list[Problem]]:
    """Parse ``text``; returns (data, problems). A syntax error gives data ``None`` and one problem."""
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or str(exc)
        return None, [Problem(path, line, col, f"YAML syntax error: {what}")]
    positions: dict[Loc, tuple[int, int]] = {}
    problems: list[Problem] = []
    data = None if node is None else _construct(node, (), positions, problems, path)
    return PositionedData(path, data, positions), problems


def load_yaml(path: Path | str) -> tuple[PositionedData | None, list[Problem]]:
    """Read and parse a YAML file (see :func:`parse_yaml`); an unreadable file is one problem."""
    p = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(p, 1, 1, f"cannot read file: {exc}")]
    return parse_yaml(text, p)


def _construct(node: yaml.Node, loc: Loc, positions: dict, problems: list[Problem], path: str) -> Any:
    positions[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in out:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                problems.append(Problem(path, line, col, f"duplicate key {key!r}"))
            out[key] = _construct(value_node, (*loc, key), positions, problems, path)
            positions.setdefault((*loc, key, "__key__"), (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), positions, problems, path) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


def validate(
    model: type[M],
    positioned: PositionedData,
    describe: Callable[[Loc, Any], str] | None = None,
) -> tuple[M | None, list[Problem]]:
    """Validate ``positioned.data`` as ``model``; every pydantic error becomes a located Problem.

    ``describe(loc, data)`` may return a prefix naming the object at ``loc`` (e.g. ``rule "x": ``),
    so messages say which rule is wrong, not only where.
    """
    try:
        return model.model_validate(positioned.data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            problems.append(
                positioned.problem(_error_anchor(loc, err), _format_error(loc, err, positioned.data, describe))
            )
        return None, problems


def _error_anchor(loc: Loc, err: dict) -> Loc:
    # An unknown key points at the key itself, not at its value.
    return (*loc, "__key__") if err["type"] == "extra_forbidden" else loc


def _format_error(loc: Loc, err: dict, data: Any, describe: Callable[[Loc, Any], str] | None) -> str:
    prefix = describe(loc, data) if describe else ""
    named = [part for part in loc if isinstance(part, str)]
    field = named[-1] if named else "document"
    etype, msg = err["type"], err["msg"]
    if etype == "extra_forbidden":
        return f"{prefix}unknown field {field!r}"
    if etype == "missing":
        return f"{prefix}missing required field {field!r}"
    if etype == "value_error":
        msg = msg.removeprefix("Value error, ")
        return f"{prefix}field {field!r}: {msg}"
    if etype in ("model_type", "dict_type") and not loc:
        return f"{prefix}expected a mapping at the top of the file, got {type(data).__name__}"
    given = err.get("input")
    shown = "" if isinstance(given, dict | list) else f": {given!r}"
    return f"{prefix}field {field!r}{shown}: {msg[0].lower() + msg[1:] if msg else msg}"

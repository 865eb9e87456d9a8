"""Rule files on disk -> :class:`RuleSet`: the rules the engine runs, plus every problem found.

First stage of the flow (config -> evaluate -> ...). A broken file or rule never hides the others:
each problem is reported with ``path:line:col`` and the rules that are valid still load, so a
hot reload keeps running the good rules and ``alerter rules check`` reports every mistake at once.
Group defaults are applied here (interval; labels merged, the rule's win), and each rule gets a
``digest`` of its effective definition so a reload can keep per-series state of unchanged rules.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alerter.config.rules import LoadedRule, Location, Rule, RuleFile, RuleGroup
from alerter.config.yamlsource import Loc, PositionedData, load_yaml, located_problems
from alerter.errors import ConfigError, Problem

RULE_SUFFIXES = (".yaml", ".yml")
SKIPPED_DIRS = frozenset({"tests"})
"""Subfolders of a rules directory that hold no rules (rule unit tests live there)."""
SKIPPED_FILES = ("correlation.y*ml", "topology.y*ml", "oncall.y*ml", "routing.y*ml", "maintenance*.y*ml")
"""Other parts of the config that may live beside the rules; skipped when a directory is walked."""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The result of loading: valid rules in file order, and every problem, sorted."""

    rules: tuple[LoadedRule, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...] = ()
    """The rule files read (after directory expansion), in load order."""

    def raise_for_problems(self) -> None:
        """Raise :class:`ConfigError` carrying every problem, if there is any."""
        if self.problems:
            raise ConfigError(list(self.problems))


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """One rule file: its positioned data (None if unreadable/unparsable), rules and problems.

    ``rules`` pairs each loaded rule with its location tuple in the data, so later checks can
    point at a field (``(*loc, "query")``) rather than only at the rule.
    """

    path: str
    positioned: PositionedData | None
    rules: tuple[tuple[LoadedRule, Loc], ...]
    problems: tuple[Problem, ...]


def load_rules(paths: Sequence[Path | str]) -> RuleSet:
    """Load every rule file under ``paths`` (files, or directories walked recursively, sorted).

    Never raises for a bad file: problems are in the result (see :meth:`RuleSet.raise_for_problems`).
    """
    files, problems = rule_files(paths)
    loaded = [load_rule_file(f) for f in files]
    rules = tuple(rule for lf in loaded for rule, _ in lf.rules)
    problems += [p for lf in loaded for p in lf.problems]
    return RuleSet(rules, tuple(sorted(problems)), tuple(str(f) for f in files))


def rule_files(paths: Sequence[Path | str]) -> tuple[list[Path], list[Problem]]:
    """Expand ``paths``: a file is taken as given, a directory yields its rule files (sorted).

    Walking a directory skips ``tests/`` subfolders, hidden files and folders (``.github/``,
    ``.pre-commit-config.yaml``) and the non-rule config files in :data:`SKIPPED_FILES`.

    A path that does not exist is a problem (a typo in a pre-commit hook must not pass silently).
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(_walk(path))
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(str(raw), 1, 1, "no such file or directory"))
    return list(dict.fromkeys(files)), problems


def _walk(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.suffix not in RULE_SUFFIXES or not path.is_file():
            continue
        if any(part in SKIPPED_DIRS for part in relative.parts[:-1]):
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue  # .github/workflows/*.yml, .pre-commit-config.yaml: not rules
        if any(fnmatch.fnmatchcase(path.name, pattern) for pattern in SKIPPED_FILES):
            continue
        found.append(path)
    return sorted(found)


def load_rule_file(path: Path | str) -> LoadedFile:
    """Load one rule file; a broken rule is dropped and reported, the file's other rules load."""
    p = str(path)
    positioned, problems = load_yaml(path, describe_location)
    if positioned is None:
        return LoadedFile(p, None, (), tuple(problems))
    # Parse problems (duplicate keys) make their rule ambiguous: drop it like an invalid one.
    broken: set[Loc] = {_owner_at(positioned, problem) for problem in problems}
    try:
        model: RuleFile | None = RuleFile.model_validate(positioned.data)
    except ValidationError as exc:
        model = None
        problems += located_problems(RuleFile, positioned, exc, describe_location)
        broken |= {_owner(tuple(err["loc"])) for err in exc.errors()}
    rules = _loaded_rules(positioned, model if not broken else None, broken)
    return LoadedFile(p, positioned, tuple(rules), tuple(problems))


def _owner(loc: tuple[Any, ...]) -> Loc:
    """The group or rule an error belongs to: ("groups", 0, "rules", 2, ...) -> its first 4 parts."""
    if len(loc) >= 4 and loc[2] == "rules" and isinstance(loc[3], int):
        return loc[:4]
    return loc[:2]


def _owner_at(positioned: PositionedData, problem: Problem) -> Loc:
    """The innermost group/rule whose mapping starts at or before ``problem`` and encloses its column."""
    owner: Loc = ()
    best = (0, 0)
    for loc, (line, col) in positioned.positions.items():
        is_object = (len(loc) == 2 and loc[0] == "groups") or (len(loc) == 4 and loc[2] == "rules")
        if is_object and isinstance(loc[-1], int) and line <= problem.line and col <= problem.col:
            if (line, col) > best:
                owner, best = loc, (line, col)
    return owner


def _loaded_rules(
    positioned: PositionedData, model: RuleFile | None, broken: set[Loc]
) -> list[tuple[LoadedRule, Loc]]:
    groups = model.groups if model is not None else _valid_groups(positioned.data, broken)
    out = []
    for g, group, indexes in _with_indexes(groups, positioned.data, broken, model is not None):
        for rule, r in zip(group.rules, indexes, strict=True):
            loc: Loc = ("groups", g, "rules", r)
            line, col = positioned.position(loc)
            out.append((build_loaded_rule(rule, group, Location(positioned.path, line, col)), loc))
    return out


def _valid_groups(data: Any, broken: set[Loc]) -> list[RuleGroup | None]:
    """Re-validate each group that has no group-level error, keeping only its valid rules."""
    raw_groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(raw_groups, list):
        return []
    out: list[RuleGroup | None] = []
    for g, raw in enumerate(raw_groups):
        if ("groups", g) in broken or not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
            out.append(None)
            continue
        good = [r for i, r in enumerate(raw["rules"]) if ("groups", g, "rules", i) not in broken]
        try:
            out.append(RuleGroup.model_validate({**raw, "rules": good}) if good else None)
        except ValidationError:
            out.append(None)  # already reported by the whole-file validation
    return out


def _with_indexes(
    groups: Sequence[RuleGroup | None], data: Any, broken: set[Loc], complete: bool
) -> Iterable[tuple[int, RuleGroup, list[int]]]:
    """Each group with the original index of each of its (kept) rules, for their locations."""
    for g, group in enumerate(groups):
        if group is None or ("groups", g) in broken:
            continue
        count = len(data["groups"][g]["rules"])
        indexes = [r for r in range(count) if complete or ("groups", g, "rules", r) not in broken]
        yield g, group, indexes


def build_loaded_rule(rule: Rule, group: RuleGroup, location: Location) -> LoadedRule:
    """Apply the group's defaults to ``rule`` and compute its digest."""
    interval = rule.interval if rule.interval is not None else group.interval
    labels = {**group.labels, **rule.labels}
    return LoadedRule(
        rule, group.name, interval, labels, location, rule_digest(rule, group.name, interval, labels)
    )


def rule_digest(rule: Rule, group: str, interval: float, labels: dict[str, str]) -> str:
    """Stable hash of what the rule does (not where it is written: moving it keeps its state).

    Uses effective values, so moving ``interval: 30s`` from the rule to its group changes nothing.
    """
    definition = rule.model_dump(mode="json", by_alias=True, exclude={"interval", "labels"})
    effective = {"rule": definition, "group": group, "interval": interval, "labels": labels}
    text = json.dumps(effective, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def describe_location(loc: Loc, data: Any) -> str:
    """Message prefix naming the rule or group at ``loc``: ``rule "disk_full": `` or ``group "db": ``."""
    if len(loc) < 2 or loc[0] != "groups" or not isinstance(loc[1], int):
        return ""
    group = _item(data.get("groups") if isinstance(data, dict) else None, loc[1])
    group_name = _name(group)
    if len(loc) >= 4 and loc[2] == "rules" and isinstance(loc[3], int):
        rule_name = _name(_item(group.get("rules") if isinstance(group, dict) else None, loc[3]))
        if rule_name:
            return f"rule {json.dumps(rule_name)}: "
        where = f"group {json.dumps(group_name)}" if group_name else f"group #{loc[1] + 1}"
        return f"rule #{loc[3] + 1} in {where}: "
    return f"group {json.dumps(group_name)}: " if group_name else f"group #{loc[1] + 1}: "


def _item(items: Any, index: int) -> Any:
    return items[index] if isinstance(items, list) and 0 <= index < len(items) else None


def _name(obj: Any) -> str | None:
    name = obj.get("name") if isinstance(obj, dict) else None
    return name if isinstance(name, str) and name else None


__all__ = [
    "LoadedFile",
    "RuleSet",
    "build_loaded_rule",
    "describe_location",
    "load_rule_file",
    "load_rules",
    "rule_digest",
    "rule_files",
]

"""The config files that live beside the rules: correlation, topology, on-call, routing, maintenance.

``alerter rules check`` checks them too, so one command in a rules repository's CI covers the
whole directory. Each kind has its own loader; this module only knows which file is which.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from pathlib import Path

from alerter.config.maintenance import load_maintenance
from alerter.config.oncall import check_oncall
from alerter.config.policy_check import check_policy
from alerter.config.routing import check_routing
from alerter.errors import Problem


def _maintenance(path: Path) -> list[Problem]:
    return load_maintenance(path)[1]


# file-name pattern -> checker of one such file
CHECKERS: tuple[tuple[str, Callable[[Path], list[Problem]]], ...] = (
    ("oncall.y*ml", check_oncall),
    ("routing.y*ml", check_routing),
    ("maintenance*.y*ml", _maintenance),
)
POLICY_FILES = ("correlation.y*ml", "topology.y*ml")


def is_companion(path: Path) -> bool:
    """True for a file that is part of the config beside the rules, not a rule file."""
    return any(fnmatch.fnmatchcase(path.name, p) for p, _ in CHECKERS) or any(
        fnmatch.fnmatchcase(path.name, p) for p in POLICY_FILES
    )


def check_companions(paths: Sequence[Path | str]) -> tuple[list[Problem], list[str]]:
    """Problems of the companion files in ``paths`` (directories: their top level), and the files
    checked. Correlation and topology are checked per directory, against that directory's rules."""
    problems: list[Problem] = []
    checked: list[str] = []
    for path in map(Path, paths):
        folder = path if path.is_dir() else path.parent
        files = sorted(folder.iterdir()) if path.is_dir() else [path]
        if any(any(fnmatch.fnmatchcase(f.name, p) for p in POLICY_FILES) for f in files):
            problems += check_policy(folder)
            checked += [str(f) for f in files if any(fnmatch.fnmatchcase(f.name, p) for p in POLICY_FILES)]
        for file in files:
            for pattern, check in CHECKERS:
                if file.is_file() and fnmatch.fnmatchcase(file.name, pattern):
                    problems += check(file)
                    checked.append(str(file))
    return sorted(set(problems)), checked

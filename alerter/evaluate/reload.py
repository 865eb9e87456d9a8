"""Hot reload of the rule files: poll their content hash, validate, swap the rule set at once.

Place in the flow: ``config.load.load_rules`` -> **RuleReloader** -> :meth:`RuleEngine.apply
<alerter.evaluate.cycle.RuleEngine.apply>` (which the schedulers follow). The app calls
:meth:`RuleReloader.poll` on an interval (``scheduler.every("reload", settings.reload_interval,
reloader.poll)``; with the virtual scheduler that interval is virtual time) and
:meth:`RuleReloader.reload` on SIGHUP. Polling a hash needs no inotify and works on every
filesystem, including the bind mounts and ConfigMaps rule files often live on.

A reload is all or nothing: if any file has a problem, the previous rules keep running, the
problems go to the log and, as one critical engine event, to the sink; the next successful
reload sends the matching ok event. What happens to each rule's state is :class:`Change`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from alerter.clock import Clock
from alerter.config.load import RuleSet, load_rules
from alerter.errors import ConfigError, Problem
from alerter.evaluate import engine_events
from alerter.evaluate.cycle import Change, RuleEngine

log = logging.getLogger(__name__)

LoadFn = Callable[[Sequence[Path | str]], RuleSet]


class ReloadResult(StrEnum):
    """What a poll or reload did."""

    UNCHANGED = "unchanged"  # poll: the files' content hash is the same; nothing was loaded
    APPLIED = "applied"  # the new rules run now (possibly identical to the old ones)
    REJECTED = "rejected"  # the files have problems; the previous rules keep running


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    result: ReloadResult
    changes: Mapping[str, Change] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def summary(self) -> str:
        """One line for logs and the CLI, e.g. ``applied: 1 added, 1 changed, 12 unchanged``."""
        if self.result is ReloadResult.REJECTED:
            return f"rejected: {len(self.problems)} problem(s); the previous rules keep running"
        counts = {c: sum(1 for v in self.changes.values() if v is c) for c in Change}
        parts = [f"{n} {c.value}" for c, n in counts.items() if n]
        return f"{self.result.value}: {', '.join(parts) or 'no rules'}"


class RuleReloader:
    """Loads ``paths`` into ``engine`` at start and whenever their content changes."""

    def __init__(
        self,
        paths: Sequence[Path | str],
        engine: RuleEngine,
        clock: Clock,
        *,
        load: LoadFn = load_rules,
    ) -> None:
        self._paths = tuple(Path(p) for p in paths)
        self._engine = engine
        self._clock = clock
        self._load = load
        self._digest: str | None = None
        self._rejected = False

    def load_initial(self, *, strict: bool = True) -> ReloadOutcome:
        """The first load. ``strict``: raise :class:`ConfigError` with every problem and start nothing.

        Not strict: run the rules of the good files and report the problems as :meth:`reload` does
        (for an engine that must keep paging even when one team's file is broken); the outcome is
        ``APPLIED`` with the problems attached. Either way, raises :class:`ConfigError` when the
        engine refuses the rules (duplicate names, a template that does not compile).
        """
        self._digest = files_digest(self._paths)
        ruleset = self._load(self._paths)
        if ruleset.problems and strict:
            raise ConfigError(list(ruleset.problems))
        changes = self._engine.apply(ruleset.rules)
        log.info("rules loaded: %d rule(s) from %s", len(changes), ", ".join(map(str, self._paths)))
        if ruleset.problems:
            self._report(ruleset.problems)
        return ReloadOutcome(ReloadResult.APPLIED, changes, tuple(sorted(ruleset.problems)))

    def poll(self) -> ReloadOutcome:
        """Reload if the rule files' content changed since the last load; cheap when it did not."""
        if files_digest(self._paths) == self._digest:
            return ReloadOutcome(ReloadResult.UNCHANGED)
        return self.reload()

    def reload(self) -> ReloadOutcome:
        """Load and validate the rule files now (SIGHUP); swap them in only if all are valid.

        Never raises for a problem in the files: a rejected reload is reported, not thrown, so a
        typo in a rule file can never stop the running engine.
        """
        self._digest = files_digest(self._paths)  # remembered even when rejected: report once per edit
        ruleset = self._load(self._paths)
        if ruleset.problems:
            return self._reject(ruleset.problems)
        try:
            changes = self._engine.apply(ruleset.rules)
        except ConfigError as exc:
            return self._reject(exc.problems)
        outcome = ReloadOutcome(ReloadResult.APPLIED, changes)
        log.info("rules reload %s", outcome.summary())
        if self._rejected:
            self._rejected = False
            self._engine.report(engine_events.reload_recovered(self._engine.name, self._clock.now()))
        return outcome

    def _reject(self, problems: Sequence[Problem]) -> ReloadOutcome:
        self._report(problems)
        return ReloadOutcome(ReloadResult.REJECTED, {}, tuple(sorted(problems)))

    def _report(self, problems: Sequence[Problem]) -> None:
        self._rejected = True
        lines = "\n".join(str(p) for p in sorted(problems))
        log.error("rule files have %d problem(s); the previous rules keep running:\n%s", len(problems), lines)
        self._engine.report(engine_events.reload_failed(self._engine.name, problems, self._clock.now()))


def files_digest(paths: Sequence[Path]) -> str:
    """SHA-256 over the names and contents of every YAML file under ``paths`` (sorted).

    A superset of what ``load_rules`` reads (it also skips some file names), which only costs a
    reload that changes nothing. A missing or unreadable path hashes as such, so its appearance
    or repair is a change too.
    """
    h = hashlib.sha256()
    for path in paths:
        for file in _yaml_files(path):
            h.update(str(file).encode() + b"\x00")
            try:
                h.update(file.read_bytes())
            except OSError as exc:
                h.update(f"unreadable: {exc.strerror}".encode())
            h.update(b"\x01")
    return h.hexdigest()


def _yaml_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]

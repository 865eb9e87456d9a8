"""Events about the engine itself: a rule that cannot be evaluated, a rules reload that failed.

Place in the flow: :mod:`alerter.evaluate.cycle` and :mod:`alerter.evaluate.reload` send these to
the same sink as rule events, so a broken rule or a bad rules file pages through the normal path
(streams -> incidents -> route) instead of hiding in a log. They look like rule events
(host/service/state + ``rule``, ``fingerprint``, ``reason="engine"`` attributes) with
``host`` = the engine's name, so one incident per broken rule dedups across evaluations.
"""

from __future__ import annotations

from collections.abc import Sequence

from alerter.errors import Problem
from alerter.model import ATTR_FINGERPRINT, ATTR_REASON, ATTR_RULE, ATTR_SUMMARY, Event, Severity, fingerprint

REASON_ENGINE = "engine"
RELOAD_SERVICE = "alerter rules reload"
RELOAD_RULE = "alerter.reload"
"""The ``rule`` attribute of reload events (not a valid rule name, so it never clashes with one)."""


def rule_service(rule: str) -> str:
    """The service of engine events about ``rule``."""
    return f"alerter rule {rule}"


def _event(
    engine: str, service: str, rule: str, state: Severity, description: str, now: float, ttl: float | None
) -> Event:
    attributes = {
        ATTR_RULE: rule,
        ATTR_REASON: REASON_ENGINE,
        ATTR_FINGERPRINT: fingerprint(REASON_ENGINE, {"host": engine, "service": service}),
        ATTR_SUMMARY: description.splitlines()[0] if description else "",
    }
    return Event(
        host=engine,
        service=service,
        state=state.value,
        description=description,
        time=now,
        ttl=ttl,
        attributes=attributes,
    )


def rule_failed(engine: str, rule: str, error: str, now: float, ttl: float | None) -> Event:
    """Critical: ``rule`` could not be evaluated at ``now`` because of ``error``.

    Sent on every failed evaluation (with the rule's ttl) so it stays fresh while the failure lasts.
    """
    return _event(
        engine,
        rule_service(rule),
        rule,
        Severity.CRITICAL,
        f'rule "{rule}" could not be evaluated: {error}',
        now,
        ttl,
    )


def rule_recovered(
    engine: str, rule: str, now: float, ttl: float | None, why: str = "evaluates again"
) -> Event:
    """Ok: a rule that had failed evaluates again (or was removed: ``why="was removed"``)."""
    return _event(engine, rule_service(rule), rule, Severity.OK, f'rule "{rule}" {why}', now, ttl)


def reload_failed(engine: str, problems: Sequence[Problem], now: float) -> Event:
    """Critical: the rule files changed but are invalid; the previous rules keep running.

    No ttl: the condition lasts until a reload succeeds, which sends :func:`reload_recovered`.
    """
    lines = "\n".join(str(p) for p in sorted(problems))
    text = f"rules reload rejected ({len(problems)} problem(s)); the previous rules keep running:\n{lines}"
    return _event(engine, RELOAD_SERVICE, RELOAD_RULE, Severity.CRITICAL, text, now, None)


def reload_recovered(engine: str, now: float) -> Event:
    """Ok: a reload succeeded after a rejected one."""
    return _event(engine, RELOAD_SERVICE, RELOAD_RULE, Severity.OK, "rules reloaded", now, None)

"""The alerter error tree.

Every error alerter raises on purpose derives from :class:`AlerterError`, so a caller can catch
"anything alerter meant" without catching bugs::

    AlerterError
    ├── ConfigError            a file a person wrote is wrong; carries every Problem found
    ├── SourceError            a MetricSource could not answer
    │   ├── SourceUnavailable  transport failure / 5xx after retries: try again later
    │   └── QueryError         the server rejected the query (InfluxQL error text attached)
    ├── EvaluationError        a rule could not be evaluated on the data it got
    └── DeliveryError          a notifier could not deliver (see notify.Delivery for classes)

Messages are written for the person who must fix the problem: they name the object (rule, file,
incident), the outside system, and the cause. Secrets never appear in them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True, slots=True)
class Problem:
    """One thing wrong in a file a person wrote, located for an editor jump (``path:line:col``).

    Sorted by (path, line, col, message) so reports are stable.
    """

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class AlerterError(Exception):
    """Base of every error alerter raises on purpose."""


class ConfigError(AlerterError):
    """A configuration file is invalid. ``problems`` holds every problem found, sorted."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SourceError(AlerterError):
    """A metric source could not answer a query."""


class SourceUnavailable(SourceError):
    """The source could not be reached or kept failing (connection error, timeout, 5xx)."""


class QueryError(SourceError):
    """The source rejected a query; the message carries the server's own words."""


class EvaluationError(AlerterError):
    """A rule could not be evaluated on the data it got (e.g. a non-numeric value column)."""


class DeliveryError(AlerterError):
    """A notification could not be delivered."""

"""Where metric samples come from: the :class:`MetricSource` protocol and its result types.

The evaluator owns this interface (the consumer owns the interface); ``integrations/influxdb``
implements it over InfluxDB's HTTP ``/query`` API, and :mod:`alerter.source.static` implements it in
memory (for rule unit tests, replay from files and the contract suite both must pass).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a statement's result, InfluxDB's shape.

    ``columns[0]`` is ``"time"``; each row in ``values`` has one value per column, ``None`` for
    null. Times are POSIX seconds. ``tags`` are the GROUP BY tag values of this series.
    """

    name: str
    columns: tuple[str, ...]
    values: Sequence[Sequence[Any]]
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatementResult:
    """The answer to one InfluxQL statement: its series, or the server's error text.

    An empty ``series`` with no ``error`` means "no data", which is not an error. ``partial`` is
    True when the server truncated the result (chunking / max-row-limit).
    """

    series: tuple[Series, ...] = ()
    error: str | None = None
    partial: bool = False


class MetricSource(Protocol):
    """Answers InfluxQL statements.

    ``query`` sends all ``statements`` (several rules' queries may share one round trip) and
    returns one :class:`StatementResult` per statement, in order. ``now`` is the evaluation time:
    ``now()`` in a statement means this instant, which is what makes replay and tests exact.

    Raises :class:`alerter.errors.SourceUnavailable` when the source cannot be reached (after its
    own retries); a statement the server rejects is reported in its result's ``error`` instead,
    so one broken rule never hides the others' results.
    """

    async def query(self, statements: Sequence[str], *, now: float) -> list[StatementResult]: ...

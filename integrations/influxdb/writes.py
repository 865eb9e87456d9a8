"""Pure reading of ``/write`` answers: which lines of a batch the server refused, and why.

Place in the flow: :meth:`InfluxMetricSource.write` -> ``/write`` -> :func:`parse_partial_write`
(here). A partial write answers HTTP 400 but KEEPS the good lines. influxd 1.6 words it as::

    partial write: unable to parse 'bad line': invalid field format
    unable to parse 'cpu v= 1': missing field value dropped=0

    partial write: field type conflict: input field "v" on measurement "cpu" is type string,
    already exists as type float dropped=2

Parse errors quote the line, so they map to line numbers here. Other drops (type conflicts,
points outside retention) only give a count; the client finds those lines by re-writing halves
of the batch (see :mod:`integrations.influxdb.client`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_PREFIX = "partial write: "
_DROPPED = re.compile(r"\s*dropped=(\d+)\s*$")
_UNPARSABLE = re.compile(r"^unable to parse '(?P<line>.*)': (?P<reason>.*)$")


@dataclass(frozen=True, slots=True)
class FailedLine:
    """One line the server refused: its 0-based ``index`` in the batch, text and reason."""

    index: int
    line: str
    reason: str


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Outcome of one ``write``: how many lines were kept, and each refused line.

    ``unattributed`` counts refusals the server reported but that could not be tied to a line
    (only lines without a timestamp, which are never re-sent because the server would stamp
    them again, creating duplicates).
    """

    written: int
    failed: tuple[FailedLine, ...] = ()
    unattributed: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unattributed


@dataclass(frozen=True, slots=True)
class PartialWrite:
    """What a 400 ``partial write`` body says: the unparsable lines and the other drop count."""

    unparsable: tuple[FailedLine, ...]
    dropped: int
    message: str


#: 400 texts that refuse points (so some lines may be fine), not the request as a whole.
_POINT_REFUSALS = ("partial write", "unable to parse", "field type conflict", "points beyond retention")


def is_point_refusal(error: str) -> bool:
    """True if a 400 ``error`` blames individual points, so finding the bad lines is worth it."""
    return error.startswith(_POINT_REFUSALS)


def parse_partial_write(error: str, lines: Sequence[str]) -> PartialWrite | None:
    """Return what the ``error`` text of a 400 says about ``lines``; None if not a partial write.

    Every line whose text the server quotes as unparsable is listed (all of them if the same
    text appears twice). ``dropped`` is the count of other refused points, ``message`` the
    server's text without the count.
    """
    if error.startswith(_PREFIX):
        body = error[len(_PREFIX) :]
    elif error.startswith("unable to parse"):
        body = error  # every line was unparsable: influxd leaves out the "partial write" prefix
    else:
        return None
    match = _DROPPED.search(body)
    dropped = int(match.group(1)) if match else 0
    body = body[: match.start()] if match else body
    by_text: dict[str, list[int]] = {}
    for index, line in enumerate(lines):
        by_text.setdefault(line.strip(), []).append(index)
    unparsable: list[FailedLine] = []
    for part in body.split("\n"):
        parsed = _UNPARSABLE.match(part)
        if parsed is None:
            continue
        for index in by_text.get(parsed["line"].strip(), ()):
            unparsable.append(FailedLine(index, lines[index], parsed["reason"]))
    return PartialWrite(tuple(sorted(set(unparsable), key=lambda f: f.index)), dropped, body.strip())

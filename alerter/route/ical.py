"""The on-call rotation as an iCalendar feed (RFC 5545) that people subscribe to.

Place in the flow: :mod:`alerter.route.rotation` (shifts) -> here -> ``alerter oncall --format ics``
(or a web endpoint serving it). One VEVENT per shift per role, times in UTC (``DTSTART:...Z``) so no
VTIMEZONE is needed and no client gets DST wrong. The UID is built from the rotation name, role and
shift start, so a regenerated feed updates the same events in subscribed calendars (a swap changes
the SUMMARY of an existing event rather than adding a new one). Lines are CRLF-terminated, TEXT
values escaped (RFC 5545 3.3.11) and lines folded at 75 octets without splitting a UTF-8 character
(3.1). Events are TRANSPARENT: being on call does not make anyone "busy".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from alerter.config.oncall import OnCallSpec
from alerter.route.rotation import Shift

MAX_OCTETS = 75
PRODID = "-//alerter//on-call rotation//EN"


def calendar(spec: OnCallSpec, shifts: Iterable[Shift], *, stamp: datetime) -> str:
    """The feed as text. ``stamp`` (the generation time, from the caller's clock) is each DTSTAMP."""
    name = spec.rotation.name
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(f'On call: {name}')}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for shift in shifts:
        lines += _event(name, shift, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def event_uid(rotation: str, shift: Shift) -> str:
    """Stable identity of a shift's event: same rotation, role and start -> same UID."""
    return f"{rotation}-{shift.role}-{_utc(shift.start)}@alerter"


def _event(rotation: str, shift: Shift, stamp: datetime) -> list[str]:
    member = shift.member
    title = f"{shift.role.capitalize()} on call: {member.name}"
    details = [
        *(str(r) for r in shift.reasons),
        f"{member.name} <{member.email}>, PagerDuty {member.pagerduty_user_id}",
    ]
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event_uid(rotation, shift))}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(shift.start)}",
        f"DTEND:{_utc(shift.end)}",
        f"SUMMARY:{escape_text(title)}",
        f"DESCRIPTION:{escape_text(chr(10).join(details))}",
        f"CATEGORIES:{escape_text('on-call')},{escape_text(str(shift.role))}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    for raw, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        value = value.replace(raw, escaped)
    return value


def fold(line: str) -> str:
    """Fold a content line into 75-octet pieces joined by CRLF + space, never inside a character."""
    data = line.encode("utf-8")
    pieces: list[bytes] = []
    limit = MAX_OCTETS
    while len(data) > limit:
        cut = limit
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its character
            cut -= 1
        pieces.append(data[:cut])
        data = data[cut:]
        limit = MAX_OCTETS - 1  # continuation lines start with a space
    pieces.append(data)
    return "\r\n ".join(p.decode("utf-8") for p in pieces)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


__all__ = ["calendar", "escape_text", "event_uid", "fold"]

"""The iCalendar feed, parsed back: structure, one event per shift per role, UTC times, UIDs stable
across regenerations, TEXT escaping, and folding at 75 octets without splitting characters."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml
from rotation_specs import make_spec, spec_data, utc

from alerter.config.oncall import OnCallSpec, parse_oncall
from alerter.route.ical import calendar, escape_text, fold
from alerter.route.rotation import shifts

STAMP = utc("2026-03-01T12:00Z")
OVERRIDE = {
    "role": "primary",
    "member": "ben",
    "start": "2026-03-03T18:00:00+01:00",
    "end": "2026-03-04T08:00:00+01:00",
}


def unfold(feed: str) -> list[str]:
    """Content lines of a feed (RFC 5545 3.1): CRLF + one space or tab continues a line."""
    assert feed.endswith("\r\n")
    assert "\n" not in feed.replace("\r\n", "")  # every line ends in CRLF, no bare LF or CR
    for physical in feed.split("\r\n"):
        assert len(physical.encode("utf-8")) <= 75
    return feed.replace("\r\n ", "").replace("\r\n\t", "").removesuffix("\r\n").split("\r\n")


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            out.append("\n" if value[i + 1] in "nN" else value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def events(feed: str) -> list[dict[str, str]]:
    lines = unfold(feed)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert {"VERSION:2.0", "METHOD:PUBLISH"} <= set(lines)
    assert any(line.startswith("PRODID:") for line in lines)
    out: list[dict[str, str]] = []
    for line in lines[1:-1]:
        if line == "BEGIN:VEVENT":
            out.append({})
        elif line != "END:VEVENT" and out and "END" not in out[-1]:
            name, _, value = line.partition(":")
            out[-1][name] = value
        elif line == "END:VEVENT":
            out[-1]["END"] = ""
    return out


def feed_of(spec: OnCallSpec, at: str, weeks: int, stamp: datetime = STAMP) -> str:
    return calendar(spec, shifts(spec, utc(at), weeks), stamp=stamp)


def test_one_event_per_shift_per_role_in_utc() -> None:
    spec = make_spec(overrides=[OVERRIDE])
    planned = shifts(spec, utc("2026-03-04T12:00Z"), 2)
    found = events(calendar(spec, planned, stamp=STAMP))
    assert len(found) == len(planned) == 6  # week 8: 3 primary pieces + sub; week 9: primary + sub
    assert [(e["DTSTART"], e["DTEND"], e["SUMMARY"]) for e in found] == [
        ("20260302T090000Z", "20260303T170000Z", "Primary on call: Clara"),
        ("20260302T090000Z", "20260309T090000Z", "Sub on call: David"),
        ("20260303T170000Z", "20260304T070000Z", "Primary on call: Ben"),
        ("20260304T070000Z", "20260309T090000Z", "Primary on call: Clara"),
        ("20260309T090000Z", "20260316T090000Z", "Primary on call: David"),
        ("20260309T090000Z", "20260316T090000Z", "Sub on call: Eva"),
    ]
    assert {e["DTSTAMP"] for e in found} == {"20260301T120000Z"}
    assert {e["TRANSP"] for e in found} == {"TRANSPARENT"}
    assert len({e["UID"] for e in found}) == 6


def test_dst_weeks_have_their_real_utc_bounds() -> None:
    found = events(feed_of(make_spec(), "2026-03-25T12:00Z", 1))
    assert {(e["DTSTART"], e["DTEND"]) for e in found} == {("20260323T090000Z", "20260330T080000Z")}


def test_uids_are_stable_across_regenerations() -> None:
    first = events(feed_of(make_spec(), "2026-03-02T09:00Z", 4))
    assert first[0]["UID"] == "team-primary-20260302T090000Z@alerter"
    # regenerated later in the same week, with an override added in week 8
    again = events(
        feed_of(make_spec(overrides=[OVERRIDE]), "2026-03-05T09:00Z", 4, stamp=utc("2026-03-05T09:00Z"))
    )
    by_uid = {e["UID"]: e for e in again}
    assert {e["UID"] for e in first} <= set(by_uid)  # the override adds events, renames none
    assert len(by_uid) == len(first) + 2
    for event in first:
        same = by_uid[event["UID"]]
        assert same["DTSTART"] == event["DTSTART"]
        if event["DTSTART"] >= "20260309":  # weeks the override does not touch: same event
            assert {**same, "DTSTAMP": ""} == {**event, "DTSTAMP": ""}


def test_text_is_escaped_and_folded_without_splitting_characters() -> None:
    data = spec_data()
    tricky = 'Zoë Ångström-Müller, "ops"; lead\\oncall 李小龍 ' + "é" * 40
    data["members"][0]["name"] = tricky
    spec, problems = parse_oncall(yaml.safe_dump(data, allow_unicode=True), "t.yaml")
    assert problems == []
    assert spec is not None
    feed = feed_of(spec, "2026-01-05T09:00Z", 1)
    [event] = [e for e in events(feed) if e["SUMMARY"].startswith("Primary")]
    assert unescape(event["SUMMARY"]) == f"Primary on call: {tricky}"
    assert r'Zoë Ångström-Müller\, "ops"\; lead\\oncall' in event["SUMMARY"]
    description = unescape(event["DESCRIPTION"]).split("\n")
    assert description[-1] == f"{tricky} <anna@example.com>, PagerDuty PANNA"
    assert any(line.startswith(" ") for line in feed.split("\r\n"))  # it did fold


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("a,b;c", "a\\,b\\;c"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two\\nlines"),
        ("crlf\r\nend", "crlf\\nend"),
        ('quote " and colon :', 'quote " and colon :'),
    ],
)
def test_escape_text(raw: str, escaped: str) -> None:
    assert escape_text(raw) == escaped
    assert unescape(escaped) == raw.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("line", "pieces"),
    [
        ("x" * 75, ["x" * 75]),
        ("x" * 76, ["x" * 75, " x"]),
        ("x" * 75 + "y" * 74 + "z", ["x" * 75, " " + "y" * 74, " z"]),
        # 'é' is two octets: 37 of them are 74 octets; the 38th would cross 75, so it moves on
        ("é" * 38, ["é" * 37, " é"]),
        ("a" + "é" * 37, ["a" + "é" * 37]),
        ("a" + "é" * 38, ["a" + "é" * 37, " é"]),
        ("李" * 26, ["李" * 25, " 李"]),  # 3 octets each: 25 fit (75), the 26th moves on
    ],
)
def test_fold_at_75_octets_never_inside_a_character(line: str, pieces: list[str]) -> None:
    folded = fold(line)
    assert folded.split("\r\n") == pieces
    assert folded.replace("\r\n ", "") == line

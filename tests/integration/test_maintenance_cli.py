"""``alerter maintenance`` through click's CliRunner on a real database, time from a FakeClock."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from alerter.cli.maintenance import maintenance_group
from alerter.clock import FakeClock
from alerter.incidents.maintenance_store import MaintenanceAction, MaintenanceStore
from alerter.route.maintenance import MaintenanceBook

pytestmark = pytest.mark.timeout(60)

T0 = 1_795_000_000.0  # 2026-11-18T11:06:40Z


def run(clock: FakeClock, db: str, *args: str) -> Result:
    return CliRunner().invoke(maintenance_group(clock), [*args, "--db", db])


def test_start_list_end_with_audit(store_url: str) -> None:
    clock = FakeClock(T0)
    started = run(
        clock,
        store_url,
        "start",
        "--host",
        "web1",
        "--host",
        "web2",
        "--for",
        "10m",
        "--reason",
        "release 42",
        "--owner",
        "web",
        "--by",
        "alice",
    )
    assert started.exit_code == 0, started.output
    assert started.output == (
        "started maintenance 1: host web1,web2 2026-11-18T11:06:40Z .. 2026-11-18T11:16:40Z (release 42)\n"
    )
    listed = run(clock, store_url, "list")
    assert listed.output == (
        "1\tactive\thost web1,web2\t2026-11-18T11:06:40Z .. 2026-11-18T11:16:40Z\tweb\talice\trelease 42\n"
    )
    with MaintenanceStore(store_url) as store:
        book = MaintenanceBook(store.windows(now=clock.now()))
    assert book.reason({"host": "web2"}, clock.now()) == 'maintenance "1": release 42 (owner web, by alice)'

    clock.advance(120)
    ended = run(clock, store_url, "end", "--id", "1", "--by", "bob")
    assert (ended.exit_code, ended.output) == (0, "ended maintenance 1\n")
    assert run(clock, store_url, "list").output == "no maintenance windows\n"
    assert "1\tended\t" in run(clock, store_url, "list", "--all").output
    with MaintenanceStore(store_url) as store:
        assert [(e.actor, e.action, e.at) for e in store.audit()] == [
            ("alice", MaintenanceAction.START, T0),
            ("bob", MaintenanceAction.END, T0 + 120),
        ]
    audit = run(clock, store_url, "audit", "--id", "1").output.splitlines()
    assert audit == [
        "2026-11-18T11:06:40Z\talice\tstart\twindow 1\trelease 42",
        "2026-11-18T11:08:40Z\tbob\tend\twindow 1\trelease 42",
    ]


def test_announce_with_absolute_times_and_matchers(store_url: str) -> None:
    clock = FakeClock(T0)
    result = run(
        clock,
        store_url,
        "start",
        "--match",
        'role=~"db|cache"',
        "--match",
        "env=prod",
        "--start",
        "2026-11-20T22:00:00+01:00",
        "--end",
        "2026-11-20T23:00:00+01:00",
        "--reason",
        "failover test",
        "--by",
        "dba",
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        'announced maintenance 1: role=~"db|cache" env="prod" 2026-11-20T21:00:00Z .. 2026-11-20T22:00:00Z (failover test)\n'
    )
    assert "\tannounced\t" in run(clock, store_url, "list").output
    with MaintenanceStore(store_url) as store:
        assert [e.action for e in store.audit()] == [MaintenanceAction.ANNOUNCE]


def test_end_by_host_and_extend(store_url: str) -> None:
    clock = FakeClock(T0)
    run(clock, store_url, "start", "--host", "web1", "--for", "10m", "--reason", "r", "--by", "a")
    run(
        clock,
        store_url,
        "start",
        "--host",
        "web1",
        "--host",
        "web2",
        "--for",
        "10m",
        "--reason",
        "r",
        "--by",
        "a",
    )
    extended = run(clock, store_url, "extend", "--id", "2", "--for", "1h", "--by", "a")
    assert extended.output == "maintenance 2: 2026-11-18T11:06:40Z .. 2026-11-18T12:06:40Z\n"
    ended = run(clock, store_url, "end", "--host", "web1", "--by", "b")
    assert ended.output == "ended maintenance 1\nmaintenance 2: now host web2\n"
    again = run(clock, store_url, "end", "--host", "web1", "--by", "b")
    assert (again.exit_code, again.output) == (1, "Error: host web1: in no open maintenance window\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["start", "--host", "h", "--reason", "r"], "give either --for or --end"),
        (
            ["start", "--host", "h", "--for", "10m", "--end", "2026-11-20T23:00:00Z", "--reason", "r"],
            "give either --for or --end",
        ),
        (["start", "--for", "10m", "--reason", "r"], "a window needs hosts or label matchers"),
        (["start", "--host", "h", "--for", "10", "--reason", "r"], '"10" is not a duration'),
        (
            ["start", "--host", "h", "--start", "2026-11-20T22:00:00", "--for", "1h", "--reason", "r"],
            "has no timezone offset",
        ),
        (["start", "--match", "env", "--for", "1h", "--reason", "r"], '"env" is not a label matcher'),
        (
            [
                "start",
                "--host",
                "h",
                "--start",
                "2026-11-01T00:00:00Z",
                "--end",
                "2026-11-01T01:00:00Z",
                "--reason",
                "r",
            ],
            "would already be over",
        ),
        (["start", "--host", "h", "--for", "10m"], "Missing option '--reason'"),
        (["end", "--by", "x"], "give either --id or --host"),
        (["end", "--id", "7", "--by", "x"], "maintenance window 7: no such window"),
    ],
)
def test_mistakes_are_refused_with_a_message(args: list[str], message: str, tmp_path: Path) -> None:
    result = run(FakeClock(T0), f"sqlite:///{tmp_path}/m.db", *args)
    assert result.exit_code != 0
    assert message in result.output


def test_a_database_that_cannot_be_opened_is_one_line_without_the_password(tmp_path: Path) -> None:
    missing = run(FakeClock(T0), f"sqlite:///{tmp_path}/no/such/dir/m.db", "list")
    assert (missing.exit_code, missing.output) == (
        1,
        f"Error: maintenance: cannot open database sqlite:///{tmp_path}/no/such/dir/m.db: unable to open database file\n",
    )
    refused = run(FakeClock(T0), "postgresql://ops:hunter2@127.0.0.1:1/alerter", "list")
    assert refused.exit_code == 1
    assert refused.output.startswith(
        "Error: maintenance: cannot open database postgresql://ops:***@127.0.0.1:1/alerter: "
    )
    assert "hunter2" not in refused.output

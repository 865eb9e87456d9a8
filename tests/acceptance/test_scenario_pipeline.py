"""The pipeline's contracts: one transaction per batch (a failing later stage loses nothing),
Python streams beside the policy, and the deliver hook inside the transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from alerter.incidents.tables import Incident
from alerter.incidents.unit import StoreTransaction
from alerter.pipeline import BatchResult, Pipeline
from alerter.streams import Index
from tests.acceptance.timeline import T0, Series, World, policy_from, topology_from

DISK = Series("host_disk_full", host="mysql-prod-01", env="prod", role="mysql", path="/var/lib/mysql")
CPU = Series("host_cpu_high", host="api-prod-01", env="prod", role="api")


class Outbox:
    """A stand-in for the notify stage: writes nothing, remembers what it saw, can fail once."""

    def __init__(self, fail_at: float | None = None) -> None:
        self.fail_at = fail_at
        self.seen: list[tuple[float, int]] = []

    def __call__(self, tx: StoreTransaction, result: BatchResult) -> None:
        opened = tx.session.exec(select(Incident)).all()  # the batch's rows are visible here
        if result.at == self.fail_at:
            self.fail_at = None
            raise RuntimeError("outbox: disk full")
        self.seen.append((result.at, len(opened)))


def _pipeline(world: World, deliver: Outbox | None = None, extra: tuple = ()) -> Pipeline:
    return Pipeline(
        world.store,
        policy_from(None, world.tmp_path),
        topology_from(None, world.tmp_path),
        deliver=deliver,
        extra=extra,
        start=T0,
    )


def test_deliver_runs_inside_the_batch_transaction(tmp_path: Path) -> None:
    world = World(tmp_path)
    outbox = Outbox()
    world.pipeline = _pipeline(world, outbox)
    world.evaluate(T0, [DISK.at("critical")])
    assert outbox.seen == [(T0, 1)]


def test_a_failing_later_stage_rolls_the_whole_batch_back_and_loses_nothing(tmp_path: Path) -> None:
    world = World(tmp_path)
    outbox = Outbox(fail_at=T0)
    world.pipeline = _pipeline(world, outbox)
    with pytest.raises(RuntimeError, match="disk full"):
        world.evaluate(T0, [DISK.at("critical"), CPU.at("critical")])
    assert world.incidents() == []  # nothing half-stored
    world.evaluate(T0 + 30, [DISK.at("critical"), CPU.at("critical")])  # the next evaluation
    assert len(world.incidents()) == 2
    assert len(world.pages) == 2


def test_python_streams_see_every_event_beside_the_policy(tmp_path: Path) -> None:
    world = World(tmp_path)
    index = Index()
    world.pipeline = _pipeline(world, extra=(index,))
    world.evaluate(T0, [DISK.at("critical"), CPU.at("ok")])
    assert index.lookup("api-prod-01", "host_cpu_high").state == "ok"
    assert index.lookup("mysql-prod-01", "host_disk_full").state == "critical"
    assert len(world.incidents()) == 1


def test_membership_follows_the_store_when_a_group_resolves_and_refires_in_one_batch(tmp_path: Path) -> None:
    policy = (
        "grouping: [{name: cpu, match: {rule: host_cpu_high}, by: [env]}]\n"
        "lifecycle: {resolve_delay: 0s, reopen_window: 1h}\n"
        "paging: [{match: {env: prod}, page: true}]\n"
    )
    world = World(tmp_path, policy, "{}")
    other = Series("host_cpu_high", host="api-prod-02", env="prod", role="api")
    world.evaluate(T0, [CPU.at("critical"), other.at("ok")])
    world.evaluate(T0 + 30, [CPU.at("ok"), other.at("critical")])  # resolves, then reopens

    (incident,) = world.incidents()
    assert incident.incident.reopened_count == 1 and incident.incident.is_open
    assert world.pipeline.graph.state.member_of == {other.fingerprint: "group:cpu:env=prod"}
    world.evaluate(T0 + 60, [CPU.at("ok"), other.at("ok")])
    assert not world.incidents()[0].incident.is_open
    assert world.pipeline.graph.state.groups == {}

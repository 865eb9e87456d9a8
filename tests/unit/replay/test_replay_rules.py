"""replay_rules: rules over a StaticSource through the live wiring (PipelinedEngine -> Pipeline)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping

import pytest
from replay_world import T0, cpu_points

from alerter.clock import FakeClock
from alerter.config.correlation import CorrelationPolicy
from alerter.config.rules import LoadedRule
from alerter.evaluate.timing import Timing
from alerter.incidents.store import IncidentStore
from alerter.incidents.unit import StoreTransaction
from alerter.pipeline import BatchResult
from alerter.replay import (
    ReplaySetup,
    ReplaySummary,
    build_engine,
    incident_dicts,
    iso,
    replay_rules,
    write_incidents,
    write_pages,
)
from alerter.source.static import StaticSource

END = T0 + 1800


def world() -> StaticSource:
    """vm-1 (prod) and vm-3 (stg) run hot over [T0+300, T0+900); vm-2 (prod) never does."""
    hot = (T0 + 300, T0 + 900)
    return StaticSource(
        [
            *cpu_points("vm-1", "prod", T0 - 120, END, hot),
            *cpu_points("vm-2", "prod", T0 - 120, END, None),
            *cpu_points("vm-3", "stg", T0 - 120, END, hot),
        ]
    )


def setup(store: IncidentStore, policy: CorrelationPolicy, **kw: object) -> ReplaySetup:
    return ReplaySetup(store, policy, timing=Timing(max_jitter=0.0), **kw)  # type: ignore[arg-type]


async def run(rules: tuple[LoadedRule, ...], s: ReplaySetup, **kw: object) -> ReplaySummary:
    return await replay_rules(rules, world(), s, T0, END, **kw)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_prod_host_running_hot_pages_once_and_a_stg_one_never(
    cpu_rule: tuple[LoadedRule, ...], store: IncidentStore, policy: CorrelationPolicy
) -> None:
    summary = await run(cpu_rule, setup(store, policy))

    # hot from +300: the 1-minute mean is all hot at +360 (pending), critical after for: 1m
    [page] = summary.pages
    assert (page.time, page.hosts, page.severity, page.transition) == (
        T0 + 420,
        ("vm-1",),
        "critical",
        "opened",
    )
    assert page.title == "cpu_high on vm-1 (PROD)"
    assert (page.root_cause, page.target) == (None, None)
    assert (summary.evaluations, summary.events, summary.alerts, summary.incidents) == (60, 180, 2, 2)
    assert summary.suppressed == {"policy": 1}  # vm-3's STG incident opened without paging


@pytest.mark.anyio
async def test_incidents_resolve_on_the_batch_after_resolve_delay(
    cpu_rule: tuple[LoadedRule, ...], store: IncidentStore, policy: CorrelationPolicy
) -> None:
    await run(cpu_rule, setup(store, policy))

    incidents = incident_dicts(store)
    assert [(i["title"], i["status"], i["suppressed"]) for i in incidents] == [
        ("cpu_high on vm-1 (PROD)", "resolved", None),
        ("cpu_high on vm-3 (STG)", "resolved", "policy"),
    ]
    # ok at +900 (the 1-minute mean drops to 85.8%); every alert ok for 5m -> resolved at +1200
    assert incidents[0]["resolved_at"] == iso(T0 + 1200)
    [member] = incidents[0]["alerts"]
    assert (member["host"], member["rule"], member["state"]) == ("vm-1", "cpu_high", "ok")
    assert (member["first"], member["last"]) == (iso(T0 + 420), iso(T0 + 900))


@pytest.mark.anyio
async def test_progress_is_told_the_virtual_time_every_step_up_to_the_end(
    cpu_rule: tuple[LoadedRule, ...], store: IncidentStore, policy: CorrelationPolicy
) -> None:
    seen: list[float] = []
    await run(cpu_rule, setup(store, policy), progress=seen.append, step=420.0)
    assert seen == [T0 + 420, T0 + 840, T0 + 1260, T0 + 1680, END]


@pytest.mark.anyio
async def test_a_suppressor_keeps_an_alert_from_opening_anything(
    cpu_rule: tuple[LoadedRule, ...], store: IncidentStore, policy: CorrelationPolicy
) -> None:
    def maintenance(labels: Mapping[str, str], now: float) -> str | None:
        return "vm-1 patching" if labels.get("host") == "vm-1" else None

    summary = await run(cpu_rule, setup(store, policy, suppressor=maintenance))
    assert summary.pages == ()
    # counted once, though the firing alert's 5-minute refresh is suppressed again
    assert summary.suppressed == {"maintenance": 1, "policy": 1}
    assert [i["title"] for i in incident_dicts(store)] == ["cpu_high on vm-3 (STG)"]


@pytest.mark.anyio
async def test_the_target_names_whom_each_page_goes_to(
    cpu_rule: tuple[LoadedRule, ...], store: IncidentStore, policy: CorrelationPolicy
) -> None:
    summary = await run(
        cpu_rule, setup(store, policy, target=lambda d, labels: f"{labels['env']}-oncall@{iso(d.at)}")
    )
    assert [p.target for p in summary.pages] == [f"prod-oncall@{iso(T0 + 420)}"]


@pytest.mark.anyio
async def test_the_pipelined_engine_flushes_once_per_run_at_the_runs_time(
    cpu_rule: tuple[LoadedRule, ...], store: IncidentStore, policy: CorrelationPolicy
) -> None:
    batches: list[BatchResult] = []
    clock = FakeClock(T0 + 400)
    wiring = build_engine(world(), store, policy, clock, on_batch=batches.append)
    wiring.engine.apply(cpu_rule)

    await wiring.engine.run(["cpu_high"], now=T0 + 390)
    await wiring.engine.run(["cpu_high"])  # now: the clock

    assert [b.at for b in batches] == [T0 + 390, T0 + 400]
    assert wiring.counter.events == 6
    assert wiring.engine.status("cpu_high").evaluations == 2


@pytest.mark.anyio
async def test_a_window_that_ends_before_it_starts_is_refused(
    cpu_rule: tuple[LoadedRule, ...], store: IncidentStore, policy: CorrelationPolicy
) -> None:
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        await replay_rules(cpu_rule, world(), setup(store, policy), T0, T0 - 1)


@pytest.mark.anyio
async def test_pages_and_incidents_are_written_as_json_lines(
    cpu_rule: tuple[LoadedRule, ...], store: IncidentStore, policy: CorrelationPolicy
) -> None:
    summary = await run(cpu_rule, setup(store, policy))
    pages, incidents = io.StringIO(), io.StringIO()

    assert write_pages(pages, summary.pages) == 1
    assert write_incidents(incidents, store) == 2

    [page] = [json.loads(line) for line in pages.getvalue().splitlines()]
    assert page == {
        "time": "2026-01-05T08:07:00Z",
        "incident_key": summary.pages[0].incident_key,
        "transition": "opened",
        "severity": "critical",
        "title": "cpu_high on vm-1 (PROD)",
        "root_cause": None,
        "hosts": ["vm-1"],
        "target": None,
    }
    first = json.loads(incidents.getvalue().splitlines()[0])
    assert first["key"] == page["incident_key"]
    assert set(first) == {
        "key", "group_key", "title", "status", "severity", "opened_at", "resolved_at",
        "reopened_count", "root_cause", "flapping", "suppressed", "alerts",
    }  # fmt: skip
    assert set(first["alerts"][0]) == {
        "fingerprint",
        "rule",
        "host",
        "service",
        "state",
        "first",
        "last",
        "suppressed",
    }


def test_the_summary_says_what_happened_and_how_fast() -> None:
    summary = ReplaySummary(T0, T0 + 7200, 4.0, 2400, 77206, 23, 11, (), {"policy": 6, "dependency": 10})
    assert summary.simulated_hours_per_second == 0.5
    assert summary.format().splitlines() == [
        "replay 2026-01-05T08:00:00Z .. 2026-01-05T10:00:00Z: 2.00 h simulated in 4.0 s (0.5 h/s)",
        "evaluations 2,400  events 77,206  alerts 23  incidents 11  pages 0",
        "suppressed: dependency 10, policy 6",
    ]


@pytest.mark.anyio
async def test_the_later_stages_deliver_inside_each_batchs_transaction(
    cpu_rule: tuple[LoadedRule, ...], store: IncidentStore, policy: CorrelationPolicy
) -> None:
    delivered: list[tuple[float, int]] = []

    def deliver(tx: StoreTransaction, result: BatchResult) -> None:
        # the batch's incident is visible to the hook: it runs before the commit, in the same transaction
        delivered.append((result.at, len(tx.open_incidents())))

    wiring = build_engine(world(), store, policy, FakeClock(T0), deliver=deliver)
    wiring.engine.apply(cpu_rule)
    for t in (T0 + 360, T0 + 390, T0 + 420):
        await wiring.engine.run(["cpu_high"], now=t)
    assert delivered == [(T0 + 360, 0), (T0 + 390, 0), (T0 + 420, 2)]

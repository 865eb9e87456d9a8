"""``alerter oncall-sync``: write the on-call rotation to PagerDuty (schedules, overrides, escalation policy).

Thin: the spec comes checked from :mod:`alerter.config.oncall`, the escalation timings from
``routing.yaml`` (:mod:`alerter.config.routing`, its default escalation) and/or the options, and
the work is :func:`integrations.pagerduty.sync.sync_rotation` over
:class:`integrations.pagerduty.rest.PagerDutyRest`. Reads, diffs, and writes only the difference;
``--dry-run`` prints the plan and writes nothing. A spec with problems is never synced.

    PAGERDUTY_TOKEN=... alerter oncall-sync --from-email bot@example.com --dry-run
    PAGERDUTY_TOKEN=... alerter oncall-sync --routing rules/routing.yaml --weeks 12

Exit status: 0 in sync (or plan printed), 1 a problem (spec, unknown user, refused write).

What a team sets up by hand in PagerDuty, once: an API key (``--token-env``), and a service with
an "Events API v2" integration whose routing key alerter pages through, with its escalation
policy set to the synced ``alerter: <rotation>`` policy.
"""

from __future__ import annotations

import math
import os
from dataclasses import replace
from pathlib import Path

import click
from pydantic import SecretStr

from alerter.clock import Clock, SystemClock, to_datetime
from alerter.config.durations import parse_duration
from alerter.config.oncall import load_oncall
from alerter.config.routing import load_routing
from alerter.errors import AlerterError
from integrations.pagerduty.rest import DEFAULT_API_URL, PagerDutyRest
from integrations.pagerduty.sync import DEFAULT_WEEKS, Escalation, SyncResult, sync_rotation

DEFAULT_ONCALL_PATH = Path("rules/oncall.yaml")


def oncall_sync_command(clock: Clock | None = None) -> click.Command:
    """The ``oncall-sync`` command reading time from ``clock`` (default: the system clock)."""

    @click.command(name="oncall-sync")
    @click.option(
        "--file",
        "path",
        type=click.Path(path_type=Path),
        default=DEFAULT_ONCALL_PATH,
        show_default=True,
        help="The on-call rotation file.",
    )
    @click.option(
        "--api-url", default=DEFAULT_API_URL, show_default=True, help="PagerDuty REST API base URL."
    )
    @click.option(
        "--token-env",
        default="PAGERDUTY_TOKEN",
        show_default=True,
        help="Environment variable holding the REST API key (never pass the key itself).",
    )
    @click.option("--from-email", help="E-mail of a PagerDuty user, sent as From on writes.")
    @click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
    @click.option(
        "--weeks",
        type=click.IntRange(1, 104),
        default=DEFAULT_WEEKS,
        show_default=True,
        help="Sync overrides (swaps, covers) from now to this many weeks ahead.",
    )
    @click.option(
        "--routing",
        "routing_path",
        type=click.Path(path_type=Path),
        help="routing.yaml: take escalate_after, final member, final_after, renotify_every and "
        "max_renotify (as num_loops) from its default escalation.",
    )
    @click.option("--escalate-after", help="Primary -> sub delay, e.g. 10m (default 10m or --routing's).")
    @click.option("--final-member", help="Member id paged at level 3 (default none or --routing's).")
    @click.option("--num-loops", type=click.IntRange(0, 9), help="Repeats of the whole policy (default 0).")
    def oncall_sync(
        path: Path,
        api_url: str,
        token_env: str,
        from_email: str | None,
        dry_run: bool,
        weeks: int,
        routing_path: Path | None,
        escalate_after: str | None,
        final_member: str | None,
        num_loops: int | None,
    ) -> None:
        """Write the rotation to PagerDuty: two schedules, their overrides, an escalation policy."""
        spec, problems = load_oncall(path)
        if spec is None:
            for problem in problems:
                click.echo(str(problem), err=True)
            raise SystemExit(1)
        escalation = _escalation(routing_path, escalate_after, final_member, num_loops)
        token = os.environ.get(token_env, "")
        if not token:
            raise click.ClickException(f"${token_env} is not set (it must hold the PagerDuty REST API key)")
        now = to_datetime((clock or SystemClock()).now())
        try:
            with PagerDutyRest(SecretStr(token), base_url=api_url, from_email=from_email) as rest:
                result = sync_rotation(
                    rest, spec, now=now, weeks=weeks, escalation=escalation, dry_run=dry_run
                )
        except (AlerterError, ValueError) as error:
            raise click.ClickException(str(error)) from None
        _report(result, dry_run)
        if not result.ok:
            raise SystemExit(1)

    return oncall_sync


oncall_sync = oncall_sync_command()


def _escalation(
    routing_path: Path | None, escalate_after: str | None, final_member: str | None, num_loops: int | None
) -> Escalation:
    """Timings from ``routing.yaml``'s default escalation (if given), then the options over them."""
    base = Escalation()
    if routing_path is not None:
        policy, problems = load_routing(routing_path)
        if policy is None:
            for problem in problems:
                click.echo(str(problem), err=True)
            raise SystemExit(1)
        e = policy.escalation
        base = Escalation(
            escalate_after=_minutes(e.escalate_after),
            final_member=e.final.member if e.final is not None else None,
            final_after=_minutes(e.final_delay),
            loop_after=_minutes(e.renotify_every),
            num_loops=e.max_renotify,
        )
    if escalate_after is not None:
        try:
            base = replace(base, escalate_after=_minutes(parse_duration(escalate_after)))
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--escalate-after") from None
    if final_member is not None:
        base = replace(base, final_member=final_member)
    if num_loops is not None:
        base = replace(base, num_loops=num_loops)
    return base


def _minutes(seconds: float) -> int:
    """PagerDuty delays are whole minutes, at least 1: round up so nobody is paged early."""
    return max(1, math.ceil(seconds / 60))


def _report(result: SyncResult, dry_run: bool) -> None:
    if dry_run:
        click.echo("dry run: nothing written. The plan:")
    for line in result.plan.lines():
        click.echo(line if dry_run or result.plan.empty else f"planned: {line}")
    for line in result.done:
        click.echo(f"done: {line}")
    for line in result.failures:
        click.echo(f"FAILED: {line}", err=True)

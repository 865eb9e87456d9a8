"""Paging decisions -> routed, escalating pages in the durable outbox. The glue of route + notify.

Place in the flow: the :class:`~alerter.pipeline.Pipeline`'s ``deliver(tx, result)`` hook, so it
runs INSIDE each batch's store transaction: an incident change, its escalation state and the
outbox rows it causes commit together or not at all (nothing is lost, nothing doubled)::

    pipeline -> Dispatcher.deliver(tx, result)
                  paging decision (opened / reopened / worse severity)
                    -> route.routing.route(labels, rotations, policy, at)   who is responsible
                    -> route.escalation.start(...)                            pages due now
                    -> outbox.enqueue(...) per page, timeline note per step
                  resolved incident -> escalation.stop + resolve follow-ups
                  every batch -> escalation.tick(...) for each active escalation (the Sub at
                  start + escalate_after, the final target, renotifies)
    people and PagerDuty webhooks -> Dispatcher.acknowledge / resolve (same transaction rules)

Outbox tokens are derived from the incident's occurrence and each step's planned time, which the
persisted escalation state fixes; so a re-run batch or a restarted engine produces the same
tokens, and the outbox's unique constraint turns a repeat into a no-op.

PagerDuty: one trigger per incident occurrence (the PagerDuty service's escalation policy
addresses the people); later steps on that channel are recorded, not sent (see
:mod:`alerter.route.escalation`). Every row names the person paged (``target`` = member id):
e-mail reaches them through a personal pager (the app registers one per member), PagerDuty and
webhook (Slack) channels through the channel's own pager, with the person in the details.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlmodel import col, select

from alerter.config.oncall import Member
from alerter.config.routing import ChannelType, Level, RoutingConfig
from alerter.incidents.escalation_tables import Escalation
from alerter.incidents.lifecycle import Transition
from alerter.incidents.records import Applied, IncidentRecord
from alerter.incidents.suppression import Page, PagingDecision
from alerter.incidents.unit import IncidentRef, StoreTransaction
from alerter.model import Severity
from alerter.notify.inbound import IncidentUpdate, UpdateKind
from alerter.notify.outbox import enqueue, enqueue_follow_up, transition_token
from alerter.notify.pager import PageAction, PageLink, PageRequest, PageSeverity
from alerter.route import escalation
from alerter.route.escalation import EscalationState, PageIntent, Step, Stopped
from alerter.route.handoff import handoff_summaries
from alerter.route.routing import ChannelTarget, RouteDecision, RouteWhy, matching_route, route

log = logging.getLogger(__name__)

_RESOLVED = frozenset({Transition.RESOLVED_AUTO, Transition.RESOLVED_MANUAL})
_PD_SEVERITY = {Severity.CRITICAL: PageSeverity.CRITICAL, Severity.WARNING: PageSeverity.WARNING}
MAX_HOSTS_IN_PAGE = 50


class Batch(Protocol):
    """What :meth:`Dispatcher.deliver` reads of a pipeline batch (``pipeline.BatchResult``)."""

    @property
    def at(self) -> float: ...
    @property
    def decisions(self) -> Sequence[PagingDecision]: ...
    @property
    def applied(self) -> Sequence[Applied]: ...


@dataclass(frozen=True, slots=True)
class Dispatched:
    """What one call queued: outbox rows added and timeline steps recorded."""

    queued: int = 0
    recorded: int = 0


class Dispatcher:
    """Routes paging incidents, drives their escalation and queues every page in the outbox.

    ``incident_url(key)`` makes the link to the incident page put in every page; ``source`` is the
    PagerDuty ``payload.source`` (the engine's name).
    """

    def __init__(
        self,
        routing: RoutingConfig,
        *,
        source: str = "alerter",
        incident_url: Callable[[str], str] | None = None,
    ) -> None:
        self._routing = routing
        self._source = source
        self._incident_url = incident_url
        # Handoffs are looked for in (last tick, this tick]. In memory: a handoff that falls while
        # the engine is down gets no summary (the on-call page and feed still show it).
        self._handoffs_checked: float | None = None

    # -- the pipeline's hook ------------------------------------------------------------------

    def deliver(self, tx: StoreTransaction, result: Batch) -> None:
        """``Pipeline``'s ``deliver`` hook: page what pages, stop what resolved, escalate what is due."""
        at = result.at
        for decision in result.decisions:
            if decision.pages:
                self.page(tx, decision)
        for applied in result.applied:
            if applied.decision is not None and _RESOLVED & set(applied.decision.transitions):
                self._stopped(tx, applied.decision.incident.key, Stopped.RESOLVED, at, None)
        self.tick(tx, at)

    def page(self, tx: StoreTransaction, decision: PagingDecision) -> Dispatched:
        """Route one paging decision and queue its first pages (a worse severity re-pages the
        levels already reached). Returns what was queued."""
        assert isinstance(decision.outcome, Page)
        record = _require(tx, decision.incident_key)
        state = self._load(tx, decision.incident_key)
        fresh = decision.transition in (Transition.OPENED, Transition.REOPENED) or state is None
        if fresh or state is None or state.incident_key != decision.incident_key:
            labels = _routing_labels(record)
            try:
                routed = route(labels, self._routing.rotations, self._routing.policy, _dt(decision.at))
            except (KeyError, ValueError) as exc:
                # Nobody to route to (before the rotation starts, a rotation file missing): the
                # page must still go out, so it goes to the route's first-level channels with no
                # person, and the timeline says why. Never fail the batch: that would lose it.
                return self._unrouted(tx, record, decision, labels, exc)
            state, intents = escalation.start(decision.incident_key, decision.at, routed)
            tx.note(record.id, decision.at, "routed", "; ".join(routed.reasons))
            if decision.transition is Transition.REOPENED:
                # a reopened incident's escalation starts again; its earlier one is over
                tx.note(record.id, decision.at, "escalation", "restarted: the incident reopened")
        else:
            intents = _repage(state, decision.at)
        self._save(tx, state, decision.at)
        return self._emit(tx, record, intents, decision.outcome.severity, occurrence=_occurrence(record))

    def tick(self, tx: StoreTransaction, now: float) -> Dispatched:
        """Queue every escalation step due at or before ``now`` (the Sub, the final target,
        renotifies), for incidents still unacknowledged."""
        total = self.handoffs(tx, now)
        due = tx.session.exec(
            select(Escalation).where(col(Escalation.next_at).is_not(None), col(Escalation.next_at) <= now)
        ).all()
        for row in sorted(due, key=lambda r: (r.next_at or 0.0, r.incident_key)):
            state = EscalationState.from_dict(row.state)
            record = tx.incident(row.incident_key)
            if record is None or not record.incident.is_open or record.incident.acked_at is not None:
                self._save(tx, escalation.stop(state, _why_stopped(record), now), now)
                continue
            state, intents = escalation.tick(state, now)
            self._save(tx, state, now)
            done = self._emit(tx, record, intents, record.incident.severity, occurrence=_occurrence(record))
            total = Dispatched(total.queued + done.queued, total.recorded + done.recorded)
        return total

    def _unrouted(
        self,
        tx: StoreTransaction,
        record: IncidentRecord,
        decision: PagingDecision,
        labels: Mapping[str, str],
        error: Exception,
    ) -> Dispatched:
        assert isinstance(decision.outcome, Page)
        policy = self._routing.policy
        index = matching_route(labels, policy)
        channels = policy.escalation_of(index).channels.primary
        reason = f"no on-call person to route to ({error}); paging the channel(s) {', '.join(channels)}"
        log.warning("incident %s: %s", record.key, reason)
        tx.note(record.id, decision.at, "routed", reason)
        intents = [
            PageIntent(
                record.key,
                Step.PRIMARY,
                Level.PRIMARY,
                ChannelTarget(name, policy.channels[name].type),
                name,
                decision.at,
                reason,
                True,
            )
            for name in channels
        ]
        return self._emit(tx, record, intents, decision.outcome.severity, occurrence=_occurrence(record))

    def handoffs(self, tx: StoreTransaction, now: float) -> Dispatched:
        """Send each Primary who took over since the last call a summary of what is still open
        (its responders stay on it). Not on PagerDuty: a summary is no incident to page; it goes
        to the e-mail and webhook channels of the rotation's escalation, addressed to the new
        Primary, and every open incident's timeline notes the handoff."""
        since, self._handoffs_checked = self._handoffs_checked, now
        if since is None or now <= since:
            return Dispatched()
        records = tx.open_incidents()
        states = {
            r.incident_key: EscalationState.from_dict(r.state)
            for r in tx.session.exec(select(Escalation)).all()
        }
        queued = recorded = 0
        for name, spec in self._routing.rotations.items():
            mine = [
                (r.incident, states.get(r.key))
                for r in records
                if states.get(r.key) is None or states[r.key].rotation == name  # type: ignore[union-attr]
            ]
            for summary in handoff_summaries(spec, mine, _dt(since), _dt(now)):
                at = summary.at.timestamp()
                text = summary.text()
                for record in records:
                    if record.incident.opened_at <= at:
                        tx.note(record.id, at, "handoff", text.splitlines()[0])
                        recorded += 1
                page = PageRequest(
                    PageAction.TRIGGER,
                    f"handoff-{name}-{int(at)}",
                    summary=f"Handoff to {summary.new.name}: {len(summary.incidents)} open incident(s)",
                    source=self._source,
                    severity=PageSeverity.INFO,
                    custom_details={
                        "handoff": text,
                        "responder": _who(summary.new),
                        "responder_id": summary.new.id,
                        "step": "handoff",
                    },
                )
                for channel in self._summary_channels():
                    queued += enqueue(
                        tx.session,
                        page,
                        transition=f"handoff@{int(at)}",
                        channel=channel,
                        target=summary.new.id,
                        now=at,
                    )
        return Dispatched(queued, recorded)

    def _summary_channels(self) -> tuple[str, ...]:
        policy = self._routing.policy
        levels = policy.escalation_of(None).channels
        names = dict.fromkeys((*levels.primary, *levels.sub))
        return tuple(n for n in names if policy.channels[n].type is not ChannelType.PAGERDUTY)

    # -- people and webhooks --------------------------------------------------------------------

    def acknowledge(
        self,
        tx: StoreTransaction,
        ref: IncidentRef,
        who: str,
        now: float,
        note: str | None = None,
        *,
        came_from: Collection[str] = (),
    ) -> Applied:
        """Acknowledge for a person: the incident, its escalation stops, acks go where pages went
        (but not back to ``came_from``, the channels the ack arrived through)."""
        return self._settle(
            tx, tx.acknowledge(ref, who, now, note), Stopped.ACKNOWLEDGED, now, who, came_from
        )

    def resolve(
        self,
        tx: StoreTransaction,
        ref: IncidentRef,
        who: str,
        now: float,
        note: str | None = None,
        *,
        came_from: Collection[str] = (),
    ) -> Applied:
        """Resolve for a person: the incident, its escalation stops, resolves go where pages went
        (but not back to ``came_from``)."""
        return self._settle(tx, tx.resolve(ref, who, now, note), Stopped.RESOLVED, now, who, came_from)

    def _settle(
        self,
        tx: StoreTransaction,
        applied: Applied,
        why: Stopped,
        now: float,
        who: str,
        came_from: Collection[str],
    ) -> Applied:
        if applied.key is not None:
            self._stopped(tx, applied.key, why, now, who, came_from)
        return applied

    def apply_update(self, tx: StoreTransaction, update: IncidentUpdate) -> Applied | None:
        """An ack/resolve that arrived from outside (PagerDuty webhooks v3). Unknown keys (an
        incident opened by hand in PagerDuty) and already-settled incidents are ignored."""
        record = tx.incident(update.incident_key)
        if record is None:
            log.info("webhook update for unknown incident %s ignored", update.incident_key)
            return None
        who = update.actor or "pagerduty"
        pagerduty = self._pagerduty_channels()
        if (
            update.kind is UpdateKind.ACKNOWLEDGED
            and record.incident.is_open
            and record.incident.acked_at is None
        ):
            return self.acknowledge(
                tx, record.id, who, update.at, "acknowledged in PagerDuty", came_from=pagerduty
            )
        if update.kind is UpdateKind.RESOLVED and record.incident.is_open:
            return self.resolve(tx, record.id, who, update.at, "resolved in PagerDuty", came_from=pagerduty)
        tx.note(record.id, update.at, "webhook", f"PagerDuty says {update.kind.value} (no change here)", who)
        return None

    # -- internals ---------------------------------------------------------------------------

    def _pagerduty_channels(self) -> frozenset[str]:
        return frozenset(
            n for n, c in self._routing.policy.channels.items() if c.type is ChannelType.PAGERDUTY
        )

    def _stopped(
        self,
        tx: StoreTransaction,
        key: str,
        why: Stopped,
        at: float,
        who: str | None,
        came_from: Collection[str] = (),
    ) -> None:
        state = self._load(tx, key)
        if state is not None:
            self._save(tx, escalation.stop(state, why, at), at)
        record = _require(tx, key)
        action = PageAction.ACKNOWLEDGE if why is Stopped.ACKNOWLEDGED else PageAction.RESOLVE
        word = "acknowledged" if why is Stopped.ACKNOWLEDGED else "resolved"
        added = enqueue_follow_up(
            tx.session,
            PageRequest(action, key),
            transition=transition_token(word, _occurrence(record)),
            now=at,
            skip_channels=came_from,
        )
        if added:
            tx.note(record.id, at, "notified", f"{word}: sent to {added} channel(s) that were paged", who)

    def _emit(
        self,
        tx: StoreTransaction,
        record: IncidentRecord,
        intents: Iterable[PageIntent],
        severity: Severity,
        *,
        occurrence: int,
    ) -> Dispatched:
        queued = recorded = 0
        for intent in intents:
            who = _who(intent.target)
            kind = "paged" if intent.send else "escalation"
            how = "" if intent.send else " (recorded: the channel escalates by itself)"
            tx.note(
                record.id,
                intent.due_at,
                kind,
                f"{intent.step.value} {who} via {intent.channel}{how}: {intent.reason}",
            )
            recorded += 1
            if not intent.send:
                continue
            # the person paged, on every channel: the outbox row says who (reports, the UI), and
            # the deliverer uses a personal pager ("email:eva") where one exists, else the channel's
            target = intent.target.id if isinstance(intent.target, Member) else None
            token = transition_token(
                f"{intent.step.value}:{intent.level.value}@{int(intent.due_at)}", occurrence
            )
            page = self._request(record, intent, severity, self._load(tx, record.key))
            queued += enqueue(
                tx.session, page, transition=token, channel=intent.channel, target=target, now=intent.due_at
            )
        return Dispatched(queued, recorded)

    def _request(
        self, record: IncidentRecord, intent: PageIntent, severity: Severity, state: EscalationState | None
    ) -> PageRequest:
        incident = record.incident
        active = [a for a in record.alerts if a.active] or list(record.alerts)
        hosts = sorted({a.host for a in active if a.host})
        first = active[0] if active else None
        labels = _routing_labels(record)
        details: dict[str, object] = {
            "incident": incident.key,
            "title": incident.title,
            "status": incident.status.value,
            "alert_count": len(record.alerts),
            "active_alerts": sum(1 for a in record.alerts if a.active),
            "affected_hosts": hosts[:MAX_HOSTS_IN_PAGE],
            "affected_host_count": len(hosts),
            "root_cause": record.root_cause,
            "responder": _who(intent.target),
            "primary": None if state is None else _who(state.responder),
            "sub": None if state is None else _who(state.sub),
            "responder_id": intent.target.id if isinstance(intent.target, Member) else None,
            "step": intent.step.value,
            "why": intent.reason,
            "labels": dict(labels),
        }
        links = []
        if self._incident_url is not None:
            links.append(PageLink(self._incident_url(incident.key), "incident in alerter"))
        runbook = first.labels.get("runbook_url") if first is not None else None
        if runbook:
            links.append(PageLink(runbook, "runbook"))
        return PageRequest(
            PageAction.TRIGGER,
            incident.key,
            summary=incident.title,
            source=self._source,
            severity=_PD_SEVERITY.get(severity, PageSeverity.ERROR),
            component=first.rule if first is not None else None,
            group=labels.get("role") or labels.get("cluster") or labels.get("app"),
            class_=first.rule if first is not None else None,
            custom_details=details,
            links=tuple(links),
        )

    @staticmethod
    def _load(tx: StoreTransaction, key: str) -> EscalationState | None:
        row = tx.session.get(Escalation, key)
        return None if row is None else EscalationState.from_dict(row.state)

    @staticmethod
    def _save(tx: StoreTransaction, state: EscalationState, now: float) -> None:
        row = tx.session.get(Escalation, state.incident_key)
        next_at = state.next_at if state.active else None
        if row is None:
            tx.session.add(
                Escalation(
                    incident_key=state.incident_key, state=state.to_dict(), next_at=next_at, updated_at=now
                )
            )
        else:
            row.state, row.next_at, row.updated_at = state.to_dict(), next_at, now
            tx.session.add(row)
        tx.session.flush()


def _repage(state: EscalationState, at: float) -> list[PageIntent]:
    """A worse severity re-pages the levels reached so far, now (PagerDuty: a new trigger for the
    same dedup_key updates the open alert)."""
    intents: list[PageIntent] = []
    for intent in escalation.timeline(state.incident_key, state.started_at, _decision_of(state)):
        if intent.level.number <= state.level.number and intent.send and intent.step.value != "renotify":
            intents.append(
                PageIntent(
                    intent.incident_key,
                    intent.step,
                    intent.level,
                    intent.target,
                    intent.channel,
                    at,
                    f"severity rose: {intent.reason}",
                    True,
                )
            )
    return intents


def _decision_of(state: EscalationState) -> RouteDecision:
    """The route decision an escalation was started from, rebuilt from its saved state."""
    return RouteDecision(
        at=_dt(state.started_at),
        rotation=state.rotation,
        why=RouteWhy.DEFAULT,
        route=None,
        primary=state.responder,
        sub=state.sub,
        final=state.final,
        plan=state.plan,
        reasons=(),
    )


def _routing_labels(record: IncidentRecord) -> Mapping[str, str]:
    """Labels all active members share (team, env, role...): what the incident is about."""
    members = [a for a in record.alerts if a.active] or list(record.alerts)
    if not members:
        return {}
    common = dict(members[0].labels)
    for alert in members[1:]:
        common = {k: v for k, v in common.items() if alert.labels.get(k) == v}
    return common


def _occurrence(record: IncidentRecord) -> int:
    return record.incident.reopened_count


def _require(tx: StoreTransaction, key: str) -> IncidentRecord:
    record = tx.incident(key)
    if record is None:
        raise LookupError(f"dispatch: incident {key} is not in the store")
    return record


def _why_stopped(record: IncidentRecord | None) -> Stopped:
    if record is not None and record.incident.is_open:
        return Stopped.ACKNOWLEDGED
    return Stopped.RESOLVED


def _who(target: Member | ChannelTarget | object) -> str:
    if isinstance(target, Member):
        return f"{target.name} ({target.id})"
    return str(target)


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)

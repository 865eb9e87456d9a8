"""What the fake PagerDuty REST API remembers: users, schedules, overrides, escalation policies. Pure.

Place in the flow: test-only; :mod:`.rest_api` validates a request and calls one method here.
Objects are kept in PagerDuty's response shape (``id``, ``type``, ``summary``, ``self``,
``html_url`` + the fields the client sent), so answering is just copying them out. References
to other objects (a layer's users, a rule's targets, an override's user) must exist, as in
PagerDuty, or the write is refused with :class:`InvalidInput`.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from typing import Any

API = "https://api.pagerduty.com"
WEB = "https://fake.pagerduty.com"
PLURAL = {"user": "users", "schedule": "schedules", "escalation_policy": "escalation_policies"}

JSON = dict[str, Any]


class InvalidInput(ValueError):
    """A write PagerDuty would refuse with 400 "Invalid Input Provided"; the message is the detail."""


class NotFound(LookupError):
    """No object with that id (PagerDuty's 404, code 2100)."""


class RestStore:
    """The REST objects, keyed by id, with PagerDuty-style ids (``P`` + 6 characters)."""

    def __init__(self) -> None:
        self.users: dict[str, JSON] = {}
        self.schedules: dict[str, JSON] = {}
        self.overrides: dict[str, list[JSON]] = {}
        self.escalation_policies: dict[str, JSON] = {}
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        n, digits = next(self._ids), "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        text = ""
        for _ in range(6):
            n, d = divmod(n, 36)
            text = digits[d] + text
        return "P" + text

    # -- users ------------------------------------------------------------------------------
    def add_user(self, name: str, email: str, *, time_zone: str = "Etc/UTC", role: str = "user") -> JSON:
        """Seed a user (tests create users this way; alerter only reads them)."""
        user = {**_identity(self.new_id(), "user", name), "name": name, "email": email}
        user.update({"time_zone": time_zone, "role": role, "teams": [], "contact_methods": []})
        self.users[user["id"]] = user
        return copy.deepcopy(user)

    # -- schedules --------------------------------------------------------------------------
    def put_schedule(self, schedule_id: str | None, sent: JSON) -> JSON:
        """Create (``schedule_id`` None) or replace a schedule from the request's ``schedule``."""
        if schedule_id is not None and schedule_id not in self.schedules:
            raise NotFound(schedule_id)
        sid = schedule_id or self.new_id()
        layers = [self._layer(layer) for layer in sent.get("schedule_layers", [])]
        members = {ref["id"]: ref for layer in layers for ref in (u["user"] for u in layer["users"])}
        schedule = {**_writable(sent), **_identity(sid, "schedule", sent.get("name") or sid)}
        schedule.update({"schedule_layers": layers, "users": list(members.values())})
        schedule.update({"escalation_policies": [], "teams": []})
        self.schedules[sid] = schedule
        self.overrides.setdefault(sid, [])
        return self.schedule(sid)

    def _layer(self, sent: JSON) -> JSON:
        users = [{"user": self.reference("user", u["user"]["id"])} for u in sent["users"]]
        return {**_writable(sent), "id": sent.get("id") or self.new_id(), "users": users}

    def schedule(self, schedule_id: str) -> JSON:
        """The schedule as PagerDuty shows it now (``escalation_policies`` computed on read)."""
        if schedule_id not in self.schedules:
            raise NotFound(schedule_id)
        shown = copy.deepcopy(self.schedules[schedule_id])
        shown["escalation_policies"] = self._policies_using(schedule_id)
        return shown

    def all_schedules(self) -> list[JSON]:
        return [self.schedule(sid) for sid in self.schedules]

    # -- overrides --------------------------------------------------------------------------
    def add_overrides(self, schedule_id: str, sent: list[JSON]) -> list[JSON]:
        """One result per requested override: ``{"status": 201, "override": ...}`` or a 400 item."""
        if schedule_id not in self.schedules:
            raise NotFound(schedule_id)
        return [self._add_override(schedule_id, item) for item in sent]

    def _add_override(self, schedule_id: str, item: JSON) -> JSON:
        try:
            user = self.reference("user", item["user"]["id"])
            if _instant(item["end"]) <= _instant(item["start"]):
                raise InvalidInput("Override end must be after its start")
        except InvalidInput as error:
            return {"status": 400, "errors": [str(error)], "override": item}
        override = {"id": self.new_id(), "start": item["start"], "end": item["end"], "user": user}
        self.overrides[schedule_id].append(override)
        return {"status": 201, "override": copy.deepcopy(override)}

    def overrides_between(self, schedule_id: str, since: str, until: str) -> list[JSON]:
        """Overrides of the schedule that overlap [since, until)."""
        if schedule_id not in self.schedules:
            raise NotFound(schedule_id)
        lo, hi = _instant(since), _instant(until)
        found = [
            o for o in self.overrides[schedule_id] if _instant(o["start"]) < hi and _instant(o["end"]) > lo
        ]
        return copy.deepcopy(found)

    def delete_override(self, schedule_id: str, override_id: str, *, now: float) -> bool:
        """Delete an override; one already in progress at ``now`` is cut short instead.

        Returns True if it was truncated (PagerDuty answers 200), False if deleted (204).
        Raises NotFound for an unknown schedule or override.
        """
        found = [o for o in self.overrides.get(schedule_id, []) if o["id"] == override_id]
        if schedule_id not in self.schedules or not found:
            raise NotFound(f"{schedule_id}/{override_id}")
        override = found[0]
        if _instant(override["start"]).timestamp() < now < _instant(override["end"]).timestamp():
            override["end"] = datetime.fromtimestamp(now, tz=UTC).isoformat().replace("+00:00", "Z")
            return True
        self.overrides[schedule_id].remove(override)
        return False

    # -- escalation policies ----------------------------------------------------------------
    def put_escalation_policy(self, policy_id: str | None, sent: JSON) -> JSON:
        """Create (``policy_id`` None) or replace an escalation policy."""
        if policy_id is not None and policy_id not in self.escalation_policies:
            raise NotFound(policy_id)
        pid = policy_id or self.new_id()
        rules = [self._rule(rule) for rule in sent["escalation_rules"]]
        policy = {**_writable(sent), **_identity(pid, "escalation_policy", sent["name"])}
        policy.update({"escalation_rules": rules, "services": [], "teams": sent.get("teams", [])})
        policy.setdefault("num_loops", 0)
        policy.setdefault("on_call_handoff_notifications", "if_has_services")
        self.escalation_policies[pid] = policy
        return copy.deepcopy(policy)

    def _rule(self, sent: JSON) -> JSON:
        targets = [self._target(t) for t in sent["targets"]]
        return {**_writable(sent), "id": self.new_id(), "targets": targets}

    def _target(self, sent: JSON) -> JSON:
        kind = sent["type"].removesuffix("_reference")
        if kind not in ("user", "schedule"):
            raise InvalidInput(f"Escalation target type {sent['type']} is not supported by the fake")
        return self.reference(kind, sent["id"])

    def escalation_policy(self, policy_id: str) -> JSON:
        if policy_id not in self.escalation_policies:
            raise NotFound(policy_id)
        return copy.deepcopy(self.escalation_policies[policy_id])

    def _policies_using(self, schedule_id: str) -> list[JSON]:
        return [
            self.reference("escalation_policy", pid)
            for pid, policy in self.escalation_policies.items()
            if any(t["id"] == schedule_id for r in policy["escalation_rules"] for t in r["targets"])
        ]

    # -- references -------------------------------------------------------------------------
    def reference(self, kind: str, object_id: str) -> JSON:
        """``{"id", "type": "<kind>_reference", "summary", "self", "html_url"}``; InvalidInput if absent."""
        table = {
            "user": self.users,
            "schedule": self.schedules,
            "escalation_policy": self.escalation_policies,
        }
        target = table[kind].get(object_id)
        if target is None:
            raise InvalidInput(f"{kind.replace('_', ' ').capitalize()} {object_id} not found")
        return {**_identity(object_id, f"{kind}_reference", target["summary"]), "type": f"{kind}_reference"}


def _identity(object_id: str, kind: str, summary: str) -> JSON:
    base = kind.removesuffix("_reference")
    path = f"{PLURAL[base]}/{object_id}"
    return {
        "id": object_id,
        "type": kind,
        "summary": summary,
        "self": f"{API}/{path}",
        "html_url": f"{WEB}/{path}",
    }


def _writable(sent: JSON) -> JSON:
    """The client's fields minus those PagerDuty computes (ids and links are the server's)."""
    return {k: copy.deepcopy(v) for k, v in sent.items() if k not in ("id", "summary", "self", "html_url")}


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidInput(f"{text!r} is not an ISO 8601 date-time") from error
    # No offset: PagerDuty reads it in the account's time zone; the fake's account is UTC.
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)

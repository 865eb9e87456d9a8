"""What a responder does to an incident from the web: acknowledge or resolve, with an optional note.

Place in the flow: the incident page's forms and ``POST /api/v1/incidents/{key}/ack|resolve`` ->
**here** -> the :class:`~alerter.web.context.IncidentAction` the composition root chose (the
incident store's own method by default). The actor recorded on the timeline is the logged-in
user's name or the API token's name, never anything the request body says.
"""

from __future__ import annotations

from enum import StrEnum

from alerter.incidents.records import Applied
from alerter.web.context import IncidentAction, WebContext

MAX_NOTE = 500


class Action(StrEnum):
    """The two things a person does to an incident from the web."""

    ACK = "ack"
    RESOLVE = "resolve"


def act(ctx: WebContext, action: Action, key: str, who: str, note: str | None) -> Applied:
    """Apply ``action`` to incident ``key`` as ``who`` at the clock's now.

    Raises ``UnknownIncident``, ``IncidentStateError`` (ack of a resolved incident), ValueError
    (a note over :data:`MAX_NOTE` characters).
    """
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise ValueError(f"the note is {len(note)} characters long; at most {MAX_NOTE} are kept")
    return _handler(ctx, action)(key, who, ctx.clock.now(), note)


def _handler(ctx: WebContext, action: Action) -> IncidentAction:
    if action is Action.ACK:
        return ctx.acknowledge or ctx.incidents.acknowledge
    return ctx.resolve or ctx.incidents.resolve


__all__ = ["MAX_NOTE", "Action", "act"]

"""The notify stage: pages leave alerter here.

Place in the flow: ``route`` decides who is paged; ``notify`` turns that into
:class:`PageRequest` values, queues them (outbox) and hands them to a :class:`Pager`, which
returns a classified :class:`Delivery`. Adapters (PagerDuty, ...) live in ``integrations/``.
"""

from alerter.notify.pager import (
    Delivery,
    Outcome,
    PageAction,
    PageLink,
    Pager,
    PageRequest,
    PageSeverity,
)

__all__ = [
    "Delivery",
    "Outcome",
    "PageAction",
    "PageLink",
    "PageRequest",
    "PageSeverity",
    "Pager",
]

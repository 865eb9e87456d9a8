"""Keep webhook URLs out of httpx's own request log.

Place in the flow: :class:`~integrations.webhook.pager.WebhookPager` registers its URL here when
built. A Slack incoming-webhook URL is a credential (``/services/T…/B…/<token>``), and httpx logs
every request's full URL at INFO on the ``httpx`` logger (``HTTP Request: POST <url> ...``), so
without this a normal log level would write the token to the logs. The filter rewrites only
records of that logger, replacing each registered URL path with ``/…``.
"""

from __future__ import annotations

import logging
import threading

HTTPX_LOGGER = "httpx"
SHOWN_PATH = "/…"


class UrlPathRedactor(logging.Filter):
    """A logging filter that replaces registered secret URL paths in a record's message."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._paths: frozenset[str] = frozenset()

    def add(self, path: str) -> None:
        """Redact ``path`` from now on (paths of one character, ``/``, hide nothing and are skipped)."""
        if len(path) > 1:
            with self._lock:
                self._paths = self._paths | {path}

    def filter(self, record: logging.LogRecord) -> bool:
        paths = self._paths
        if not paths:
            return True
        message = redacted = record.getMessage()
        for path in paths:
            redacted = redacted.replace(path, SHOWN_PATH)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_REDACTOR = UrlPathRedactor()


def redact_from_httpx_log(path: str) -> None:
    """Hide ``path`` (a URL's path + query) in httpx's request log; installs the filter once."""
    logger = logging.getLogger(HTTPX_LOGGER)
    if _REDACTOR not in logger.filters:
        logger.addFilter(_REDACTOR)
    _REDACTOR.add(path)

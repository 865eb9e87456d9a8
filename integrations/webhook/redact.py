"""Keep webhook URLs out of httpx's own request log.

Place in the flow: :class:`~integrations.webhook.pager.WebhookPager` registers its URL here when
built. A Slack incoming-webhook URL is a credential (``/services/T…/B…/<token>``), and httpx logs
every request's full URL at INFO on the ``httpx`` logger (``HTTP Request: POST <url> ...``), so
without this a normal log level would write the token to the logs. The filter rewrites only
records of that logger, replacing each registered URL (as httpx prints it) with its origin + ``/…``.
"""

from __future__ import annotations

import logging
import threading

HTTPX_LOGGER = "httpx"


class UrlPathRedactor(logging.Filter):
    """A logging filter that replaces registered secret URLs in a record's message."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._urls: dict[str, str] = {}

    def add(self, url: str, shown: str) -> None:
        """Write ``shown`` instead of ``url`` from now on."""
        with self._lock:
            # Longest first, so a URL that extends another is replaced whole.
            urls = {**self._urls, url: shown}
            self._urls = dict(sorted(urls.items(), key=lambda item: -len(item[0])))

    def filter(self, record: logging.LogRecord) -> bool:
        urls = self._urls
        if not urls:
            return True
        message = redacted = record.getMessage()
        for url, shown in urls.items():
            redacted = redacted.replace(url, shown)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_REDACTOR = UrlPathRedactor()


def redact_from_httpx_log(url: str, shown: str) -> None:
    """Show ``shown`` instead of ``url`` in httpx's request log; installs the filter once."""
    logger = logging.getLogger(HTTPX_LOGGER)
    if _REDACTOR not in logger.filters:
        logger.addFilter(_REDACTOR)
    _REDACTOR.add(url, shown)

"""The HTML pages, one router module per screen; each renders the same view values its
``/api/v1`` twin returns as JSON (:mod:`alerter.web.views`)."""

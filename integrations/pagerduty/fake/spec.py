"""PagerDuty's OpenAPI descriptions, loaded once per process for the fake's validation.

Place in the flow: test-only. :class:`~integrations.pagerduty.fake.server.FakePagerDuty` checks every
request it receives, and every response it sends, against these files.

The files are PagerDuty's and may not be copied into this project (see README.md beside them):
they are read from ``$ALERTER_PAGERDUTY_SPEC_DIR`` or from ``../shared/pagerduty/`` next to the
project checkout. The REST file (2.7 MB) is parsed only when first needed, and our JSON Patch of
its known defects (``rest-api-v2.fake-server-patches.json``) is applied in memory.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonpatch
from openapi_core import Config, OpenAPI

SPEC_DIR_ENV = "ALERTER_PAGERDUTY_SPEC_DIR"
EVENTS_FILE = "events-api-v2.openapiv3.json"
REST_FILE = "rest-api-v2.openapiv3.json"
REST_PATCH_FILE = "rest-api-v2.fake-server-patches.json"
# The spec files' own servers: requests are validated as if sent there, so paths keep their prefix.
EVENTS_HOST = "https://events.pagerduty.com"
REST_HOST = "https://api.pagerduty.com"


def spec_dir() -> Path:
    """Where the PagerDuty OpenAPI files are; raises FileNotFoundError naming both places tried."""
    configured = os.environ.get(SPEC_DIR_ENV)
    project_root = Path(__file__).resolve().parents[3]
    folder = Path(configured) if configured else project_root.parent / "shared" / "pagerduty"
    if not (folder / EVENTS_FILE).is_file():
        raise FileNotFoundError(
            f"pagerduty fake: {folder / EVENTS_FILE} not found; set ${SPEC_DIR_ENV} to the folder "
            f"holding PagerDuty's OpenAPI files (default: ../shared/pagerduty beside the project)"
        )
    return folder


@cache
def events_api() -> OpenAPI:
    """The Events API v2 description (as published)."""
    return OpenAPI.from_dict(_read(spec_dir() / EVENTS_FILE))


@cache
def rest_api() -> OpenAPI:
    """The REST API v2 description with our documented patch applied in memory."""
    folder = spec_dir()
    patch = [
        {key: value for key, value in op.items() if key != "why"}
        for op in _read(folder / REST_PATCH_FILE)["patch"]
    ]
    patched = jsonpatch.apply_patch(_read(folder / REST_FILE), patch)
    # Checking the 2.7 MB description itself costs ~4 s; the patched file was checked once with
    # openapi-spec-validator (README beside it), so only requests and responses are validated here.
    return OpenAPI.from_dict(patched, config=Config(spec_validator_cls=None))


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data

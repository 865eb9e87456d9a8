"""The fake's Events API v2: one request (method, path, body) -> PagerDuty's answer. No sockets.

Place in the flow: test-only; :mod:`.server` feeds it every HTTP request that is not faulted.
Checks run in PagerDuty's order of concern, collecting every error rather than the first:

1. path and method against ``events-api-v2.openapiv3.json`` (``/v2/enqueue/`` is a 404);
2. body size (512 KB) and JSON syntax (the spec's own "Unrecognized object" example);
3. the request schema, plus the documented limits the file leaves out (README beside the files):
   summary <= 1024, dedup_key <= 255, routing_key 32 characters, ``payload`` required for
   ``trigger``, ``dedup_key`` required for acknowledge/resolve, image ``src`` over HTTPS, change
   events not to ruleset keys (``R...``);
4. the per-routing-key rate window (429 with an empty body, as the docs show);
5. the alert book; 202 ``{"status":"success","message":"Event processed","dedup_key":...}``.

Every answer is itself checked against the spec's response schemas; a mismatch is a bug in the
fake and is kept in :attr:`EventsEndpoint.violations` for the fake's own tests to assert empty.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema.exceptions import ValidationError as JsonSchemaError
from openapi_core.templating.paths.exceptions import OperationNotFound, PathError
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

from alerter.clock import Clock
from integrations.pagerduty.fake.spec import EVENTS_HOST, events_api
from integrations.pagerduty.fake.state import AlertBook, Applied, RateWindow

MAX_BODY_BYTES = 512 * 1024
MAX_SUMMARY_CHARS = 1024
MAX_DEDUP_KEY_CHARS = 255
ROUTING_KEY_CHARS = 32
ENQUEUE = "/v2/enqueue"
CHANGE_ENQUEUE = "/v2/change/enqueue"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer; ``applied`` says what an accepted event did (None otherwise)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    applied: Applied | None = None


def json_answer(status: int, data: dict[str, Any], applied: Applied | None = None) -> Answer:
    return Answer(status, json.dumps(data).encode(), {"Content-Type": "application/json"}, applied)


def invalid(errors: list[str]) -> Answer:
    return json_answer(
        400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
    )


UNRECOGNIZED = {"status": "Unrecognized object", "message": "Event object format is unrecognized"}


class EventsEndpoint:
    """``/v2/enqueue`` and ``/v2/change/enqueue`` with PagerDuty's validation, limits and state."""

    def __init__(self, clock: Clock, window: RateWindow, new_key: Callable[[], str] | None = None) -> None:
        self.clock = clock
        self.window = window
        self.book = AlertBook()
        self.change_events: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self._new_key = new_key or (lambda: uuid.uuid4().hex)

    def handle(self, method: str, path: str, content_type: str, body: bytes) -> Answer:
        """Answer one request the way PagerDuty documents it."""
        request = MockRequest(EVENTS_HOST, method, path, data=body, content_type=content_type)
        answer = self._answer(request, path, body)
        self._check_response(request, answer)
        return answer

    def _answer(self, request: MockRequest, path: str, body: bytes) -> Answer:
        spec_errors = list(events_api().iter_request_errors(request))
        if any(isinstance(e, OperationNotFound) for e in spec_errors):
            return json_answer(405, {"status": "Method Not Allowed", "message": f"{path} takes POST"})
        if any(isinstance(e, PathError) for e in spec_errors):  # no such path, or outside /v2
            return json_answer(404, {"status": "Not Found", "message": f"no route for {path}"})
        if len(body) > MAX_BODY_BYTES:
            return invalid([f"event body is {len(body)} bytes; the limit is 512 KB"])
        try:
            event = json.loads(body)
        except ValueError:
            return json_answer(400, {**UNRECOGNIZED, "errors": ["JSON parse error"]})
        if not isinstance(event, dict):
            return json_answer(400, {**UNRECOGNIZED, "errors": ["event is not a JSON object"]})
        errors = [m for e in spec_errors for m in _messages(e)] + _limit_errors(path, event)
        if errors:
            return invalid(errors)
        if not self.window.admit(event["routing_key"], self.clock.now()):
            return Answer(429)
        return self._accept(path, event)

    def _accept(self, path: str, event: dict[str, Any]) -> Answer:
        if path == CHANGE_ENQUEUE:
            self.change_events.append(event)
            return json_answer(202, {"status": "success", "message": "Change event processed"})
        key = event.get("dedup_key") or self._new_key()
        applied = self.book.apply(event["routing_key"], event["event_action"], key, event)
        return json_answer(
            202, {"status": "success", "message": "Event processed", "dedup_key": key}, applied
        )

    def _check_response(self, request: MockRequest, answer: Answer) -> None:
        if answer.status in (404, 405):
            return  # no operation in the spec to check against
        response = MockResponse(answer.body, status_code=answer.status, content_type="application/json")
        for error in events_api().iter_response_errors(request, response):
            self.violations.append(f"{request.path} {answer.status}: {error}")


def _messages(error: Exception) -> list[str]:
    """Readable messages of one openapi-core error: each schema error with its field path."""
    cause = error.__cause__
    if isinstance(cause, InvalidSchemaValue):
        return [_schema_message(e) for e in cause.schema_errors]
    return [f"{error}: {cause}" if cause else str(error)]


def _schema_message(error: Exception) -> str:
    """``payload.severity: 'x' is not one of [...]``: a jsonschema error with its field path."""
    if not isinstance(error, JsonSchemaError):
        return str(error)
    where = ".".join(str(p) for p in error.path)
    return f"{where}: {error.message}" if where else error.message


def _limit_errors(path: str, event: dict[str, Any]) -> list[str]:
    """The documented limits the OpenAPI file does not express."""
    errors = _routing_key_errors(path, event.get("routing_key"))
    payload = event.get("payload")
    summary = payload.get("summary") if isinstance(payload, dict) else None
    if isinstance(summary, str) and len(summary) > MAX_SUMMARY_CHARS:
        errors.append(f"payload.summary: {len(summary)} characters; the limit is {MAX_SUMMARY_CHARS}")
    for image in event.get("images") or []:
        if isinstance(image, dict) and not str(image.get("src", "")).startswith("https://"):
            errors.append("images.src: must be served over HTTPS")
    if path == ENQUEUE:
        errors += _enqueue_errors(event)
    return errors


def _routing_key_errors(path: str, key: Any) -> list[str]:
    if not isinstance(key, str):
        return []  # missing or wrong type: the schema already said so
    if len(key) != ROUTING_KEY_CHARS:
        return [f"routing_key: must be a {ROUTING_KEY_CHARS}-character integration key (Invalid routing key)"]
    if path == CHANGE_ENQUEUE and key.startswith("R"):
        return ["routing_key: change events cannot be sent to a ruleset key"]
    return []


def _enqueue_errors(event: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    action, dedup_key = event.get("event_action"), event.get("dedup_key")
    if isinstance(dedup_key, str) and len(dedup_key) > MAX_DEDUP_KEY_CHARS:
        errors.append(f"dedup_key: {len(dedup_key)} characters; the limit is {MAX_DEDUP_KEY_CHARS}")
    if action == "trigger" and "payload" not in event:
        errors.append("payload: required for a trigger event ('payload' is missing or blank)")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(f"dedup_key: required for {action} ('dedup_key' is missing or blank)")
    return errors

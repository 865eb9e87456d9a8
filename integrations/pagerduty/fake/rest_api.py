"""The fake's REST API v2 subset: one request -> PagerDuty's answer. No sockets.

Place in the flow: test-only; :mod:`.server` sends every path outside ``/v2/`` here. It serves
what alerter's rotation sync uses: ``GET /users[/{id}]``, ``GET|POST /schedules``,
``GET|PUT /schedules/{id}``, ``GET|POST /schedules/{id}/overrides``, ``GET|POST
/escalation_policies``, ``GET|PUT /escalation_policies/{id}``. Any other operation the spec
knows answers 501, so a test that strays learns it at once.

Every request is validated against the REST file with our JSON Patch applied
(:func:`~integrations.pagerduty.fake.spec.rest_api`): auth header ``Authorization: Token
token=...`` (401, code 2006), parameters and bodies (400, code 2001), paths (404, code 2100).
Lists use PagerDuty's classic pagination: ``limit`` (default 25, at most 100), ``offset``,
``total=true`` to count; ``offset + limit`` beyond 10,000 is a 400
(https://developer.pagerduty.com/docs/rest-api-v2/pagination/). Every answer is checked against
the spec's response schemas; mismatches land in :attr:`RestEndpoint.violations`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from openapi_core.templating.paths.exceptions import OperationNotFound, PathError
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.request.exceptions import SecurityValidationError
from werkzeug.datastructures import MultiDict  # openapi-core's own dependency

from alerter.clock import Clock, SystemClock
from integrations.pagerduty.fake.events_api import Answer, json_answer
from integrations.pagerduty.fake.rest_store import JSON, InvalidInput, NotFound, RestStore
from integrations.pagerduty.fake.spec import REST_HOST, rest_api

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000

Query = Mapping[str, list[str]]
Handler = Callable[["RestEndpoint", str, Query, JSON], Answer]


def error(status: int, code: int, message: str, errors: list[str] | None = None) -> Answer:
    """PagerDuty's REST error body: ``{"error": {"code", "message", "errors"}}``."""
    body: JSON = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return json_answer(status, {"error": body})


class RestEndpoint:
    """Validated REST requests over a :class:`RestStore`; ``token`` is the accepted API key."""

    def __init__(self, token: str, clock: Clock | None = None) -> None:
        self.token = token
        self.clock = clock or SystemClock()
        self.store = RestStore()
        self.violations: list[str] = []

    def handle(self, method: str, path: str, query: Query, headers: Mapping[str, str], body: bytes) -> Answer:
        """Answer one request as PagerDuty documents it (``headers`` keys lower-case)."""
        request = MockRequest(
            REST_HOST,
            method,
            path,
            args=_multi(query),
            headers=dict(headers),
            data=body or None,
            content_type=headers.get("content-type", "application/json").split(";")[0],
        )
        answer = self._answer(request, method, path, query, headers, body)
        if answer.status not in (404, 405, 501):
            response = MockResponse(answer.body, status_code=answer.status, content_type="application/json")
            for problem in rest_api().iter_response_errors(request, response):
                self.violations.append(f"{method} {path} {answer.status}: {problem}")
        return answer

    def _answer(
        self,
        request: MockRequest,
        method: str,
        path: str,
        query: Query,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Answer:
        problems = list(rest_api().iter_request_errors(request))
        if any(isinstance(p, OperationNotFound) for p in problems):
            return error(405, 2100, "Method Not Allowed")
        if any(isinstance(p, PathError) for p in problems):
            return error(404, 2100, "Not Found")
        if any(isinstance(p, SecurityValidationError) for p in problems) or not self._authorised(headers):
            return error(401, 2006, "Authentication failed")
        if problems:
            return error(400, 2001, "Invalid Input Provided", [_describe(p) for p in problems])
        route, object_id = _route(method, path)
        if route is None:
            return error(501, 2100, f"the fake does not implement {method} {path}")
        try:
            return route(self, object_id, query, json.loads(body) if body else {})
        except NotFound:
            return error(404, 2100, "Not Found")
        except InvalidInput as problem:
            return error(400, 2001, "Invalid Input Provided", [str(problem)])

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        return headers.get("authorization", "") == f"Token token={self.token}"


def _list_users(self: RestEndpoint, _: str, query: Query, __: JSON) -> Answer:
    users = [u for u in self.store.users.values() if _matches(u, query)]
    return _page("users", users, query)


def _get_user(self: RestEndpoint, user_id: str, _: Query, __: JSON) -> Answer:
    if user_id not in self.store.users:
        raise NotFound(user_id)
    return json_answer(200, {"user": self.store.users[user_id]})


def _list_schedules(self: RestEndpoint, _: str, query: Query, __: JSON) -> Answer:
    schedules = [s for s in self.store.all_schedules() if _matches(s, query)]
    return _page("schedules", schedules, query)


def _create_schedule(self: RestEndpoint, _: str, __: Query, body: JSON) -> Answer:
    return json_answer(201, {"schedule": self.store.put_schedule(None, body["schedule"])})


def _get_schedule(self: RestEndpoint, schedule_id: str, _: Query, __: JSON) -> Answer:
    return json_answer(200, {"schedule": self.store.schedule(schedule_id)})


def _put_schedule(self: RestEndpoint, schedule_id: str, _: Query, body: JSON) -> Answer:
    return json_answer(200, {"schedule": self.store.put_schedule(schedule_id, body["schedule"])})


def _list_overrides(self: RestEndpoint, schedule_id: str, query: Query, _: JSON) -> Answer:
    found = self.store.overrides_between(schedule_id, query["since"][0], query["until"][0])
    return json_answer(200, {"overrides": found})


def _create_overrides(self: RestEndpoint, schedule_id: str, _: Query, body: JSON) -> Answer:
    items = body.get("overrides") or []
    if not items:
        raise InvalidInput("overrides must list at least one override")
    results = self.store.add_overrides(schedule_id, items)
    return Answer(201, json.dumps(results).encode(), {"Content-Type": "application/json"})


def _delete_override(self: RestEndpoint, ids: str, _: Query, __: JSON) -> Answer:
    # PagerDuty: an override that has not started is deleted (204); one in progress is cut
    # short at "now" (200, "The override was truncated").
    schedule_id, override_id = ids.split("/")
    truncated = self.store.delete_override(schedule_id, override_id, now=self.clock.now())
    return Answer(200, b"") if truncated else Answer(204, b"")


def _list_policies(self: RestEndpoint, _: str, query: Query, __: JSON) -> Answer:
    policies = [p for p in self.store.escalation_policies.values() if _matches(p, query)]
    return _page("escalation_policies", policies, query)


def _create_policy(self: RestEndpoint, _: str, __: Query, body: JSON) -> Answer:
    policy = self.store.put_escalation_policy(None, body["escalation_policy"])
    return json_answer(201, {"escalation_policy": policy})


def _get_policy(self: RestEndpoint, policy_id: str, _: Query, __: JSON) -> Answer:
    return json_answer(200, {"escalation_policy": self.store.escalation_policy(policy_id)})


def _put_policy(self: RestEndpoint, policy_id: str, _: Query, body: JSON) -> Answer:
    policy = self.store.put_escalation_policy(policy_id, body["escalation_policy"])
    return json_answer(200, {"escalation_policy": policy})


_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r"/users"), _list_users),
    ("GET", re.compile(r"/users/(\w+)"), _get_user),
    ("GET", re.compile(r"/schedules"), _list_schedules),
    ("POST", re.compile(r"/schedules"), _create_schedule),
    ("GET", re.compile(r"/schedules/(\w+)"), _get_schedule),
    ("PUT", re.compile(r"/schedules/(\w+)"), _put_schedule),
    ("GET", re.compile(r"/schedules/(\w+)/overrides"), _list_overrides),
    ("POST", re.compile(r"/schedules/(\w+)/overrides"), _create_overrides),
    ("DELETE", re.compile(r"/schedules/(\w+)/overrides/(\w+)"), _delete_override),
    ("GET", re.compile(r"/escalation_policies"), _list_policies),
    ("POST", re.compile(r"/escalation_policies"), _create_policy),
    ("GET", re.compile(r"/escalation_policies/(\w+)"), _get_policy),
    ("PUT", re.compile(r"/escalation_policies/(\w+)"), _put_policy),
]


def _route(method: str, path: str) -> tuple[Handler | None, str]:
    for verb, pattern, handler in _ROUTES:
        match = pattern.fullmatch(path)
        if verb == method and match:
            return handler, "/".join(match.groups())
    return None, ""


def _page(name: str, items: list[JSON], query: Query) -> Answer:
    """PagerDuty's classic (offset) pagination of ``items``."""
    limit = min(int(_first(query, "limit", str(DEFAULT_LIMIT))), MAX_LIMIT)
    offset = int(_first(query, "offset", "0"))
    if limit < 0 or offset < 0 or offset + limit > MAX_OFFSET_PLUS_LIMIT:
        return error(400, 2001, "Invalid Input Provided", ["Offset must be less than 10000."])
    total = len(items) if _first(query, "total", "false") == "true" else None
    page = items[offset : offset + limit]
    body = {name: page, "limit": limit, "offset": offset, "more": offset + limit < len(items), "total": total}
    return json_answer(200, body)


def _matches(obj: JSON, query: Query) -> bool:
    """``query=`` filters on the name, case-insensitively (PagerDuty: "name matches the query")."""
    text = _first(query, "query", "").lower()
    return text in str(obj.get("name") or obj.get("summary") or "").lower()


def _first(query: Query, name: str, default: str) -> str:
    values = query.get(name)
    return values[0] if values else default


def _multi(query: Query) -> MultiDict[str, str]:
    return MultiDict([(k, v) for k, values in query.items() for v in values])


def _describe(problem: Exception) -> str:
    cause = problem.__cause__
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        return "; ".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in schema_errors)
    return f"{problem}: {cause}" if cause else str(problem)

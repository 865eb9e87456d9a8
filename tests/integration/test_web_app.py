"""The web app over a real incident database (SQLite and PostgreSQL), through httpx's ASGI
transport, with time from a FakeClock: every page and API answer, roles, CSRF, and no secrets.

The database is filled through the real store API (observe, acknowledge, resolve, annotate), so
the counts the pages show are checked against what the store itself says.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select

from alerter.clock import FakeClock
from alerter.config.maintenance import MaintenanceWindow, Matcher, Recurrence
from alerter.config.oncall import OnCallSpec, load_oncall
from alerter.config.web import WebRole, WebSettings, WebToken, WebUser, hash_password
from alerter.errors import Problem
from alerter.evaluate.cycle import RuleStatus
from alerter.incidents.lifecycle import LifecyclePolicy
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.incidents.outbox_tables import OutboxPage
from alerter.incidents.records import AlertObservation
from alerter.incidents.store import IncidentStore
from alerter.incidents.tables import Incident
from alerter.model import Severity
from alerter.web.app import create_app
from alerter.web.context import WebContext
from alerter.web.report_provider import StoreReportProvider

pytestmark = [pytest.mark.timeout(120), pytest.mark.anyio]

T0 = 1_773_000_000.0  # 2026-03-08T20:00:00Z: a week with an override before it and a swap after
POLICY = LifecyclePolicy(resolve_delay=300.0, reopen_window=600.0)
ONCALL = Path(__file__).resolve().parents[2] / "rules" / "oncall.yaml"

SESSION_SECRET = "session-secret-0123456789-abcdefghijkl"
VIEWER_TOKEN = "viewer-token-ZZZZ-1111-2222"
RESPONDER_TOKEN = "responder-token-YYYY-3333-4444"
WEBHOOK_SECRET = "pd-webhook-secret-a1b2-5555"
PASSWORDS = {"anna": "anna-password-1", "manager": "manager-password-2"}
HASHES = {name: hash_password(pw, n=2**10) for name, pw in PASSWORDS.items()}


def web_settings(*, cookie_secure: bool = False) -> WebSettings:
    return WebSettings(
        users=(
            WebUser(name="anna", role=WebRole.RESPONDER, password_hash=SecretStr(HASHES["anna"])),
            WebUser(name="manager", role=WebRole.VIEWER, password_hash=SecretStr(HASHES["manager"])),
        ),
        tokens=(
            WebToken(name="dashboard", role=WebRole.VIEWER, token=SecretStr(VIEWER_TOKEN)),
            WebToken(name="chatops", role=WebRole.RESPONDER, token=SecretStr(RESPONDER_TOKEN)),
        ),
        session_secret=SecretStr(SESSION_SECRET),
        cookie_secure=cookie_secure,
        pagerduty_webhook_secrets=(SecretStr(WEBHOOK_SECRET),),
    )


SECRETS = [SESSION_SECRET, VIEWER_TOKEN, RESPONDER_TOKEN, WEBHOOK_SECRET, *PASSWORDS.values()]
SECRETS += [part for h in HASHES.values() for part in (h, *h.split("$")[4:])]


def obs(
    fp: str, state: Severity, at: float, group: str, host: str, rule: str = "disk_full"
) -> AlertObservation:
    return AlertObservation(
        fingerprint=fp, rule=rule, state=state, at=at, group_key=group, title=f"{group}: {rule}",
        host=host, labels={"host": host, "role": group.split("/")[0]}, value=97.5,
    )  # fmt: skip


@dataclass
class Seeded:
    web: str  # triggered, 2 alerts on web1 and web2, root cause, one page to anna
    db: str  # acknowledged by anna
    cache: str  # resolved by hand 30 min ago: recent
    old: str  # resolved 30 days ago: not recent


def seed(store: IncidentStore) -> Seeded:
    """Four incidents in four states, written through the store's own API."""

    def opened(o: AlertObservation) -> str:
        key = store.observe(o, POLICY).key
        assert key is not None
        return key

    old = opened(obs("fp-old", Severity.CRITICAL, T0 - 30 * 86400, "old/prod", "old1"))
    store.resolve(old, "ben", T0 - 30 * 86400 + 60)
    web = opened(obs("fp-web1", Severity.CRITICAL, T0 - 3600, "web/prod", "web1"))
    store.observe(obs("fp-web2", Severity.WARNING, T0 - 3000, "web/prod", "web2"), POLICY)
    db = opened(obs("fp-db1", Severity.WARNING, T0 - 1200, "db/prod", "db1", "replication_lag"))
    store.acknowledge(db, "anna", T0 - 600, "looking at it")
    cache = opened(obs("fp-cache1", Severity.CRITICAL, T0 - 7200, "cache/prod", "cache1"))
    store.resolve(cache, "clara", T0 - 1800, "restarted redis")
    with store.transaction() as tx:
        tx.annotate(web, T0 - 2900, root_cause="web1 disk full: log rotation broken", actor="correlation")
        tx.session.add(
            OutboxPage(created_at=T0 - 3590, incident_key=web, transition="opened#0", channel="pagerduty",
                       target="anna", request={"routing_key": WEBHOOK_SECRET}, status="delivered",
                       next_attempt_at=T0 - 3590, delivered_at=T0 - 3585, attempts=1)
        )  # fmt: skip
    return Seeded(web, db, cache, old)


RULES = [
    RuleStatus("disk_full", "host", 60.0, "rules/host.yaml:3:5", 42, 0, T0 - 20, 0.012, 12, 2, None),
    RuleStatus(
        "replication_lag", "db", 30.0, "rules/db.yaml:7:5", 80, 3, T0 - 5, 0.3, 4, 1, "influx: timeout"
    ),
]
PROBLEMS = [Problem("rules/broken.yaml", 4, 7, 'rule "x": field "for": "5 m" is not a duration')]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def stores(store_url: str) -> Iterator[tuple[IncidentStore, MaintenanceStore]]:
    with IncidentStore(store_url) as incidents, MaintenanceStore(store_url) as maintenance:
        yield incidents, maintenance


def seed_all(incidents: IncidentStore, maintenance: MaintenanceStore) -> Seeded:
    """:func:`seed` plus one active and one announced maintenance window."""
    keys = seed(incidents)
    maintenance.start(
        MaintenanceWindow("new", ("web9",), (), T0 - 60, T0 + 1800, owner="web", reason="release 42"),
        by="anna", now=T0 - 60,
    )  # fmt: skip
    maintenance.start(
        MaintenanceWindow("new", ("db7",), (), T0 + 86400, T0 + 90000, owner="dba", reason="failover test"),
        by="anna", now=T0 - 60,
    )  # fmt: skip
    return keys


@pytest.fixture
def seeded(stores: tuple[IncidentStore, MaintenanceStore]) -> Seeded:
    return seed_all(*stores)


def oncall_spec() -> OnCallSpec:
    spec, problems = load_oncall(ONCALL)
    assert spec is not None and not problems
    return spec


def context(
    stores: tuple[IncidentStore, MaintenanceStore], clock: FakeClock, settings: WebSettings
) -> WebContext:
    incidents, maintenance = stores
    return WebContext(
        incidents=incidents,
        maintenance=maintenance,
        clock=clock,
        settings=settings,
        oncall=oncall_spec,
        rule_statuses=lambda: RULES,
        rule_problems=lambda: PROBLEMS,
        report=StoreReportProvider(incidents, oncall_spec),
    )


class Recorder:
    """Every response body the tests saw, for the secrets check."""

    def __init__(self) -> None:
        self.bodies: list[str] = []

    async def __call__(self, response: httpx.Response) -> None:
        await response.aread()
        self.bodies.append(response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items()))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(
    stores: tuple[IncidentStore, MaintenanceStore], clock: FakeClock, seeded: Seeded, recorder: Recorder
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(context(stores, clock, web_settings()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://alerter.test", event_hooks={"response": [recorder]}
    ) as c:
        yield c


LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def login(client: httpx.AsyncClient, name: str, password: str | None = None) -> str:
    """Log in through the form; returns the session's CSRF token (read from a page's form)."""
    form = await client.get("/login")
    token = LOGIN_TOKEN.search(form.text)
    assert token is not None
    answer = await client.post(
        "/login",
        data={
            "name": name,
            "password": password or PASSWORDS[name],
            "login_token": token[1],
            "next": "/rules",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/rules"
    page = await client.get("/incidents")
    csrf = CSRF.search(page.text)
    assert csrf is not None
    return csrf[1]


def db_status(store: IncidentStore, key: str) -> tuple[str, str | None]:
    with store.transaction() as tx:
        row = tx.session.exec(select(Incident).where(Incident.key == key)).one()
        return row.status, row.acked_by


PAGES = ["/incidents", "/oncall", "/report", "/rules", "/maintenance"]
APIS = [
    "/api/v1/incidents",
    "/api/v1/oncall",
    "/api/v1/report",
    "/api/v1/rules",
    "/api/v1/maintenance/current",
]


# -- anonymous ---------------------------------------------------------------------------------


async def test_anonymous_pages_redirect_to_login_and_apis_answer_401(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    for path in [*PAGES, f"/incidents/{seeded.web}", "/oncall.ics", "/report.csv", "/"]:
        r = await client.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=/"), path
    for path in [*APIS, f"/api/v1/incidents/{seeded.web}"]:
        r = await client.get(path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/login")).status_code == 200
    assert (await client.get("/openapi.json")).status_code in (303, 404)
    assert (await client.get("/docs")).status_code in (303, 404)


async def test_anonymous_writes_change_nothing(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore], seeded: Seeded
) -> None:
    incidents, maintenance = stores
    assert (await client.post(f"/api/v1/incidents/{seeded.web}/ack")).status_code == 401
    assert (await client.post(f"/incidents/{seeded.web}/ack", data={"csrf_token": "x"})).status_code == 303
    assert (
        await client.post("/maintenance/start", data={"hosts": "x", "for": "5m", "reason": "r"})
    ).status_code == 303
    assert db_status(incidents, seeded.web) == ("triggered", None)
    assert len(maintenance.windows()) == 2


# -- pages for a viewer ------------------------------------------------------------------------


def open_rows(html: str, table: str) -> list[str]:
    section = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'data-incident-key="([^"]+)"', section)


async def test_incident_list_matches_the_database(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore], seeded: Seeded
) -> None:
    await login(client, "manager")
    with stores[0].transaction() as tx:
        open_keys = [r.key for r in tx.open_incidents()]
    page = await client.get("/incidents")
    assert page.status_code == 200
    assert open_rows(page.text, "incidents-table") == open_keys == [seeded.web, seeded.db]
    assert open_rows(page.text, "recent-incidents-table") == [seeded.cache]
    assert 'id="open-count" data-count="2"' in page.text
    assert 'id="triggered-count" data-count="1"' in page.text
    assert 'id="acknowledged-count" data-count="1"' in page.text
    web_row = page.text.split(f'data-incident-key="{seeded.web}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-active="2" data-total="2"' in web_row
    assert '<td class="responder">anna</td>' in web_row  # paged
    assert 'data-seconds="3600"' in web_row
    api = (await client.get("/api/v1/incidents")).json()
    assert [i["key"] for i in api["open"]] == open_keys
    assert [i["key"] for i in api["recent"]] == [seeded.cache]
    assert api["open"][1] | {} == api["open"][1] and api["open"][1]["responder"] == "anna"  # acked by
    assert (api["triggered"], api["acknowledged"]) == (1, 1)


async def test_incident_page_shows_alerts_hosts_root_cause_and_timeline(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore], seeded: Seeded
) -> None:
    await login(client, "manager")
    page = await client.get(f"/incidents/{seeded.web}")
    assert page.status_code == 200
    html = page.text
    assert 'id="root-cause">web1 disk full: log rotation broken<' in html
    assert re.findall(r'<li class="host">([^<]+)</li>', html) == ["web1", "web2"]
    assert re.findall(r'data-fingerprint="([^"]+)"', html) == ["fp-web1", "fp-web2"]
    with stores[0].transaction() as tx:
        kinds = [e.kind for e in tx.timeline(seeded.web)]
    shown = re.findall(r'class="timeline-entry kind-\w+" data-kind="(\w+)"', html)
    assert sorted(shown) == sorted([*kinds, "paged"])
    assert shown[:2] == ["opened", "paged"]
    assert "pagerduty to anna for opened#0: delivered" in html
    assert 'id="ack-button"' not in html  # a viewer sees no forms
    detail = (await client.get(f"/api/v1/incidents/{seeded.web}")).json()
    assert detail["affected_hosts"] == ["web1", "web2"]
    assert detail["root_cause"] == "web1 disk full: log rotation broken"
    assert [e["kind"] for e in detail["timeline"]] == shown
    assert "request" not in detail["pages"][0]
    assert (await client.get("/incidents/no-such-key")).status_code == 404
    assert (await client.get("/api/v1/incidents/no-such-key")).status_code == 404


async def test_oncall_page_shows_this_week_and_eight_more_with_marks(client: httpx.AsyncClient) -> None:
    await login(client, "manager")
    page = await client.get("/oncall")
    assert page.status_code == 200
    # week 8 (from 2026-03-02): ben primary, clara sub; the override of March 3 is in it
    assert 'id="oncall-primary" data-member="ben"' in page.text
    assert 'id="oncall-sub" data-member="clara"' in page.text
    weeks = re.findall(r'<tr class="week[^"]*" data-week="(\d+)"', page.text)
    assert weeks == [str(w) for w in range(8, 17)]
    assert 'class="week current marked" data-week="8"' in page.text
    assert 'data-member="david" data-role="primary" data-marks="override unavailable"' in page.text
    assert 'data-marks="swap"' in page.text  # weeks of March 16 and 30
    assert 'id="ical-link" href="/oncall.ics"' in page.text
    api = (await client.get("/api/v1/oncall")).json()
    assert (api["primary"]["id"], api["sub"]["id"], api["week"]) == ("ben", "clara", 8)
    assert len(api["weeks"]) == 9
    feed = await client.get("/oncall.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert feed.text.startswith("BEGIN:VCALENDAR\r\n") and feed.text.count("BEGIN:VEVENT") >= 24


async def test_rules_page_lists_rules_failures_and_load_errors(client: httpx.AsyncClient) -> None:
    await login(client, "manager")
    page = await client.get("/rules")
    assert page.status_code == 200
    assert re.findall(r'data-rule="([^"]+)" data-healthy="(\w+)"', page.text) == [
        ("replication_lag", "false"), ("disk_full", "true"),
    ]  # fmt: skip
    assert 'id="rule-firing" data-count="3"' in page.text and 'id="rule-series" data-count="16"' in page.text
    assert "rules/broken.yaml:4:7: rule &#34;x&#34;" in page.text
    api = (await client.get("/api/v1/rules")).json()
    assert (api["total"], api["failing"], api["problems"]) == (2, 1, [str(PROBLEMS[0])])


async def test_report_page_csv_and_charts_agree_with_the_database(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore]
) -> None:
    await login(client, "manager")
    query = "start=2026-03-08&end=2026-03-08&by=day"
    with stores[0].transaction() as tx:
        opened = tx.session.exec(
            select(Incident).where(Incident.opened_at >= T0 - 72000, Incident.opened_at < T0 + 14400)
        ).all()
    page = await client.get(f"/report?{query}")
    assert page.status_code == 200
    assert f'id="total-incidents" data-count="{len(opened)}"' in page.text
    assert len(opened) == 3
    assert 'id="report-csv-volume"' in page.text
    charts = re.findall(r'<img id="chart-(\w+)" src="([^"]+)"', page.text)
    assert charts
    for _name, src in charts:
        svg = await client.get(src.replace("&amp;", "&"))
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        assert svg.text.startswith("<svg") and "sandbox" in svg.headers["content-security-policy"]
    csv = await client.get(f"/report.csv?{query}&table=volume")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    api = (await client.get(f"/api/v1/report?{query}")).json()
    assert api["report"]["volume"]["total"]["incidents"] == len(opened)
    assert (await client.get("/report?start=2026-03-09&end=2026-03-01")).status_code == 422
    assert (await client.get("/api/v1/report?start=nonsense")).status_code == 422
    assert (await client.get(f"/report.csv?{query}&table=nope")).status_code == 404


async def test_maintenance_page_splits_current_and_upcoming(client: httpx.AsyncClient) -> None:
    await login(client, "manager")
    page = await client.get("/maintenance")
    assert page.status_code == 200
    assert (
        'id="current-count" data-count="1"' in page.text and 'id="upcoming-count" data-count="1"' in page.text
    )
    assert "release 42" in page.text and "failover test" in page.text
    assert 'id="start-maintenance-form"' not in page.text  # viewer
    api = (await client.get("/api/v1/maintenance/current")).json()
    assert [w["reason"] for w in api["current"]] == ["release 42"]
    assert [w["reason"] for w in api["upcoming"]] == ["failover test"]


# -- roles and CSRF ----------------------------------------------------------------------------


async def test_viewer_gets_403_on_ack_and_resolve(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore], seeded: Seeded
) -> None:
    csrf = await login(client, "manager")
    for action in ("ack", "resolve"):
        r = await client.post(f"/incidents/{seeded.web}/{action}", data={"csrf_token": csrf})
        assert r.status_code == 403
        r = await client.post(f"/api/v1/incidents/{seeded.web}/{action}", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 403
    viewer = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
    r = await client.post(f"/api/v1/incidents/{seeded.web}/ack", headers=viewer)
    assert r.status_code == 403
    r = await client.post(
        "/maintenance/start", data={"csrf_token": csrf, "hosts": "x", "for": "5m", "reason": "r"}
    )
    assert r.status_code == 403
    assert db_status(stores[0], seeded.web) == ("triggered", None)
    assert len(stores[1].windows()) == 2


async def test_responder_acks_through_the_form(
    client: httpx.AsyncClient,
    stores: tuple[IncidentStore, MaintenanceStore],
    seeded: Seeded,
    clock: FakeClock,
) -> None:
    csrf = await login(client, "anna")
    page = await client.get(f"/incidents/{seeded.web}")
    assert 'id="ack-button"' in page.text and 'id="resolve-button"' in page.text
    clock.advance(30)
    r = await client.post(f"/incidents/{seeded.web}/ack", data={"csrf_token": csrf, "note": "on it"})
    assert r.status_code == 303 and r.headers["location"] == f"/incidents/{seeded.web}"
    assert db_status(stores[0], seeded.web) == ("acknowledged", "anna")
    with stores[0].transaction() as tx:
        entry = tx.timeline(seeded.web)[-1]
    assert (entry.kind, entry.actor, entry.detail, entry.at) == ("acknowledged", "anna", "on it", T0 + 30)
    page = await client.get(f"/incidents/{seeded.web}")
    assert 'data-status="acknowledged"' in page.text and 'id="ack-button"' not in page.text
    r = await client.post(f"/incidents/{seeded.cache}/ack", data={"csrf_token": csrf})
    assert r.status_code == 409 and 'id="error-message"' in r.text


async def test_responder_token_acks_and_resolves_over_the_api(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore], seeded: Seeded
) -> None:
    bot = {"Authorization": f"Bearer {RESPONDER_TOKEN}"}
    r = await client.post(f"/api/v1/incidents/{seeded.web}/ack", headers=bot, json={"note": "from chat"})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    assert db_status(stores[0], seeded.web) == ("acknowledged", "chatops")
    r = await client.post(f"/api/v1/incidents/{seeded.web}/resolve", headers=bot)
    assert r.status_code == 200 and r.json()["resolved_by"] == "chatops"
    assert (await client.post(f"/api/v1/incidents/{seeded.web}/ack", headers=bot)).status_code == 409
    assert (await client.post("/api/v1/incidents/nope/ack", headers=bot)).status_code == 404


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
async def test_missing_or_wrong_csrf_is_403_and_changes_nothing(
    client: httpx.AsyncClient,
    stores: tuple[IncidentStore, MaintenanceStore],
    seeded: Seeded,
    token: str | None,
) -> None:
    await login(client, "anna")
    form = {} if token is None else {"csrf_token": token}
    assert (await client.post(f"/incidents/{seeded.web}/ack", data=form)).status_code == 403
    assert (await client.post(f"/incidents/{seeded.web}/resolve", data=form)).status_code == 403
    headers = {} if token is None else {"X-CSRF-Token": token}
    assert (await client.post(f"/api/v1/incidents/{seeded.web}/ack", headers=headers)).status_code == 403
    start = {**form, "hosts": "web1", "for": "10m", "reason": "sneaky"}
    assert (await client.post("/maintenance/start", data=start)).status_code == 403
    assert (await client.post("/maintenance/1/end", data=form)).status_code == 403
    assert (await client.post("/logout", data=form)).status_code == 403
    assert db_status(stores[0], seeded.web) == ("triggered", None)
    assert [w.ended_at for w in stores[1].windows()] == [None, None]
    assert (await client.get("/rules")).status_code == 200  # still logged in


async def test_responder_starts_and_ends_maintenance(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore]
) -> None:
    csrf = await login(client, "anna")
    form = {
        "csrf_token": csrf,
        "hosts": "web3, web4",
        "match": 'env="prod"',
        "for": "45m",
        "reason": "kernel",
    }
    r = await client.post("/maintenance/start", data=form)
    assert r.status_code == 303
    stored = stores[1].windows()[-1]
    assert (stored.hosts, stored.start, stored.end, stored.created_by) == (
        ("web3", "web4"),
        T0,
        T0 + 2700,
        "anna",
    )
    assert [str(m) for m in stored.matchers] == ['env="prod"']
    page = await client.get("/maintenance")
    assert 'id="current-count" data-count="2"' in page.text
    r = await client.post(f"/maintenance/{stored.id}/end", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert stores[1].get(int(stored.id)).ended_at == T0
    assert [a.actor for a in stores[1].audit(int(stored.id))] == ["anna", "anna"]
    bad = await client.post("/maintenance/start", data={**form, "for": "soon"})
    assert bad.status_code == 422 and "is not a duration" in bad.text


async def test_login_failures_and_logout(client: httpx.AsyncClient) -> None:
    for name, password in (("anna", "wrong"), ("nobody", "anna-password-1")):
        token = LOGIN_TOKEN.search((await client.get("/login")).text)
        assert token is not None
        r = await client.post("/login", data={"name": name, "password": password, "login_token": token[1]})
        assert r.status_code == 401 and "wrong name or password" in r.text
        assert "alerter_session" not in r.headers.get("set-cookie", "")
    r = await client.post(
        "/login", data={"name": "anna", "password": PASSWORDS["anna"], "login_token": "forged"}
    )
    assert r.status_code == 403
    csrf = await login(client, "anna")
    assert (await client.post("/logout", data={"csrf_token": csrf})).status_code == 303
    assert (await client.get("/incidents")).status_code == 303


async def test_login_only_redirects_to_this_site(client: httpx.AsyncClient) -> None:
    for target, expected in (("//evil.example/x", "/incidents"), ("https://evil.example", "/incidents"),
                             ("/oncall?x=1", "/oncall?x=1")):  # fmt: skip
        form = await client.get("/login")
        token = LOGIN_TOKEN.search(form.text)
        assert token is not None
        r = await client.post(
            "/login",
            data={"name": "anna", "password": PASSWORDS["anna"], "login_token": token[1], "next": target},
        )
        assert r.headers["location"] == expected


async def test_session_cookie_flags(
    stores: tuple[IncidentStore, MaintenanceStore], clock: FakeClock, seeded: Seeded
) -> None:
    app = create_app(context(stores, clock, web_settings(cookie_secure=True)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://alerter.test"
    ) as c:
        form = await c.get("/login")
        token = LOGIN_TOKEN.search(form.text)
        assert token is not None
        r = await c.post(
            "/login", data={"name": "anna", "password": PASSWORDS["anna"], "login_token": token[1]}
        )
        cookie = r.headers["set-cookie"].lower()
        assert cookie.startswith("alerter_session=")
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
        page = await c.get("/incidents")
        assert page.status_code == 200
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"


async def test_session_expires_on_the_clock(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await login(client, "manager")
    clock.advance(12 * 3600 - 1)
    assert (await client.get("/rules")).status_code == 200
    clock.advance(1)
    assert (await client.get("/rules")).status_code == 303


# -- secrets -----------------------------------------------------------------------------------


async def test_no_secret_appears_in_any_page_or_api_answer(
    client: httpx.AsyncClient, seeded: Seeded, recorder: Recorder
) -> None:
    await client.get("/login")
    for who in ("anna", "manager"):
        await login(client, who)
        for path in [*PAGES, *APIS, f"/incidents/{seeded.web}", f"/api/v1/incidents/{seeded.web}",
                     "/oncall.ics", "/report.csv", "/static/alerter.css", "/nope"]:  # fmt: skip
            await client.get(path)
    for token in (VIEWER_TOKEN, RESPONDER_TOKEN):
        for path in APIS:
            await client.get(path, headers={"Authorization": f"Bearer {token}"})
    await client.get("/api/v1/maintenance", headers={"Authorization": f"Bearer {RESPONDER_TOKEN}"})
    assert len(recorder.bodies) > 40
    for body in recorder.bodies:
        for secret in SECRETS:
            assert secret not in body


# -- more edges --------------------------------------------------------------------------------


async def test_a_script_in_page_session_acts_over_the_api_with_the_csrf_header(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore], seeded: Seeded
) -> None:
    csrf = await login(client, "anna")
    r = await client.post(f"/api/v1/incidents/{seeded.web}/ack", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert db_status(stores[0], seeded.web) == ("acknowledged", "anna")


async def test_markup_in_stored_text_is_escaped(
    client: httpx.AsyncClient, stores: tuple[IncidentStore, MaintenanceStore]
) -> None:
    evil = '<script>alert("x")</script>'
    key = stores[0].observe(
        AlertObservation(
            fingerprint="fp-evil", rule="r", state=Severity.CRITICAL, at=T0, group_key="evil",
            title=evil, host='h"><img src=x onerror=alert(1)>', labels={"k": evil},
        ),
        POLICY,
    ).key  # fmt: skip
    assert key is not None
    await login(client, "manager")
    for path in ("/incidents", f"/incidents/{key}"):
        html = (await client.get(path)).text
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


async def test_windows_from_the_file_are_shown_but_cannot_be_ended(
    stores: tuple[IncidentStore, MaintenanceStore], clock: FakeClock, seeded: Seeded
) -> None:
    nightly = MaintenanceWindow(
        "nightly-backup", matchers=(Matcher.parse('role="db"'),),
        recurrence=Recurrence("0 20 * * *", 3600.0, "UTC"), owner="dba", reason="nightly backup",
    )  # fmt: skip
    ctx = context(stores, clock, web_settings())
    ctx.configured_windows = lambda: (nightly,)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(ctx)), base_url="http://t"
    ) as c:
        await login(c, "anna")
        page = await c.get("/maintenance")
        assert 'data-window-id="nightly-backup" data-source="file"' in page.text
        assert 'id="end-window-nightly-backup"' not in page.text
        assert 'id="current-count" data-count="2"' in page.text  # 20:00 UTC: the backup is running
        api = (await c.get("/api/v1/maintenance/current")).json()
        assert [(w["id"], w["source"]) for w in api["current"]] == [
            ("1", "store"),
            ("nightly-backup", "file"),
        ]

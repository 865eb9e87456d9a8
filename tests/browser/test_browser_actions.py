"""Who may do what, in a real browser: anonymous visitors are sent to the login form, a viewer
cannot acknowledge (no button, and a forged form POST is refused with nothing changed), a
responder acknowledges through the form and the database and the outbox follow, logout ends the
session."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from alerter.incidents.outbox_tables import OutboxPage
from alerter.incidents.records import IncidentRecord
from alerter.incidents.tables import Incident
from alerter.notify.pager import PageAction
from integrations.pagerduty.fake import AlertStatus
from tests.browser.conftest import RESPONDER, VIEWER, Browser, Site

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

FORGE = """
const form = document.createElement("form");
form.method = "post";
form.action = arguments[0];
for (const [name, value] of Object.entries(arguments[1])) {
  const input = document.createElement("input");
  input.type = "hidden"; input.name = name; input.value = value;
  form.appendChild(input);
}
document.body.appendChild(form);
form.submit();
"""


def record(site: Site, key: str) -> IncidentRecord:
    with site.ctx.incidents.transaction() as tx:
        found = tx.incident(key)
    assert found is not None
    return found


def outbox(site: Site, key: str) -> list[OutboxPage]:
    with site.ctx.incidents.transaction() as tx:
        query = select(OutboxPage).where(OutboxPage.incident_key == key).order_by(col(OutboxPage.id))
        return list(tx.session.exec(query).all())


def triggered_paged_incident(site: Site) -> str:
    """A triggered incident the dispatcher paged for: an ack of it has somewhere to follow."""
    with site.ctx.incidents.transaction() as tx:
        paged = set(tx.session.exec(select(OutboxPage.incident_key)).all())
        keys = tx.session.exec(
            select(Incident.key).where(Incident.status == "triggered").order_by(col(Incident.id))
        ).all()
    found = [k for k in keys if k in paged]
    assert found, "the replay should leave a triggered, paged incident"
    return found[0]


def test_anonymous_visitor_is_sent_to_the_login_form(browser: Browser) -> None:
    browser.open("/incidents")
    assert browser.path == "/login?next=/incidents"
    assert browser.find_all("#login-form") and not browser.find_all("#main-nav")
    browser.shoot("login")


def test_wrong_password_is_refused(browser: Browser) -> None:
    browser.open("/login")
    browser.find("#login-name").send_keys(VIEWER.name)
    browser.find("#login-password").send_keys("not-the-password")
    browser.submit("#login-button")
    assert browser.find("#error-message").text == "wrong name or password"
    browser.open("/incidents")
    assert browser.path.startswith("/login")


def test_viewer_cannot_acknowledge(browser: Browser, site: Site) -> None:
    key = triggered_paged_incident(site)
    before, pages_before = record(site, key), outbox(site, key)
    browser.login(VIEWER, f"/incidents/{key}")
    browser.assert_no_error()
    assert not browser.find_all("#ack-form") and not browser.find_all("#ack-button")
    assert not browser.find_all("#resolve-button") and not browser.find_all("#incident-actions")

    # a form forged in the page: first without the CSRF token, then with the viewer's own
    csrf = browser.find("#logout-form input[name=csrf_token]").get_attribute("value") or ""
    for fields, why in (
        ({"note": "forged"}, "CSRF token"),
        ({"csrf_token": csrf, "note": "forged"}, "viewer"),
    ):
        old = browser.find("html")
        browser.driver.execute_script(FORGE, f"/incidents/{key}/ack", fields)
        browser.wait_stale(old)
        assert browser.find("#error-code").text == "403"
        assert why in browser.find("#error-detail").text
        assert any("403" in e["message"] for e in browser.console()), "the refusal is not in the console"
        browser.shoot(f"viewer-ack-refused-{'with' if 'csrf_token' in fields else 'without'}-csrf")
    assert record(site, key) == before
    assert outbox(site, key) == pages_before


def test_responder_acknowledges_through_the_form(browser: Browser, site: Site) -> None:
    key = triggered_paged_incident(site)
    pages_before = outbox(site, key)
    assert any(p.request.get("action") == PageAction.TRIGGER.value for p in pages_before)
    pagerduty = site.replayed.pagerduty
    alert = pagerduty.alert(key)
    assert alert is not None and alert.status is AlertStatus.TRIGGERED
    browser.login(RESPONDER, f"/incidents/{key}")
    assert browser.find("#incident").get_attribute("data-status") == "triggered"
    browser.find("#ack-note").send_keys("looking at it")
    browser.submit("#ack-button")

    assert browser.path == f"/incidents/{key}"
    browser.assert_no_error()
    assert browser.find("#incident").get_attribute("data-status") == "acknowledged"
    assert browser.find("#incident-acked").text.endswith(f"by {RESPONDER.name}")
    assert not browser.find_all("#ack-button") and browser.find_all("#resolve-button")
    acked = browser.find_all('#timeline li[data-kind="acknowledged"] .actor')
    assert [e.text for e in acked] == [RESPONDER.name]
    browser.shoot("incident-acknowledged")

    stored = record(site, key).incident
    assert stored.status.value == "acknowledged" and stored.acked_by == RESPONDER.name
    assert stored.acked_at == site.now
    new = outbox(site, key)[len(pages_before) :]
    paged_channels = {p.channel for p in pages_before}
    assert new and {p.channel for p in new} == paged_channels
    assert all(p.request.get("action") == PageAction.ACKNOWLEDGE.value for p in new)
    assert all(p.transition.startswith("acknowledged") and p.status == "pending" for p in new)

    # the sender takes the follow-up to PagerDuty, which acknowledges its alert too
    site.replayed.deliver(site.now)
    alert = pagerduty.alert(key)
    assert alert is not None and alert.status is AlertStatus.ACKNOWLEDGED
    sent = [p for p in outbox(site, key) if p.id in {n.id for n in new} and p.channel == "pagerduty"]
    assert sent and all(p.status == "delivered" for p in sent)


def test_logout_ends_the_session(browser: Browser) -> None:
    browser.login(RESPONDER)
    browser.submit("#logout-button")
    assert browser.path == "/login"
    browser.open("/report")
    assert browser.path == "/login?next=/report"
    assert not browser.find_all("#main-nav")

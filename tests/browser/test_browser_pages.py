"""Every page in a real browser after a replay of the demo data, as a viewer: it loads, shows no
error, and its numbers are the database's (counted here with plain queries, or, for the report,
by ``alerter.reports`` over the same store). A screenshot of each page is saved."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select
from sqlmodel import col, func, select

from alerter.clock import to_datetime
from alerter.incidents.outbox_tables import OutboxPage
from alerter.incidents.tables import Incident
from alerter.notify.pager import PageAction
from alerter.reports.volume import Bucket
from alerter.route.maintenance import active_at
from alerter.route.rotation import who_is_on_call
from alerter.web.views.report import parse_range
from tests.browser.conftest import VIEWER, Browser, Site

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def incidents(site: Site) -> list[Incident]:
    with site.ctx.incidents.transaction() as tx:
        return list(tx.session.exec(select(Incident).order_by(col(Incident.id))).all())


def test_incident_list_counts_are_the_databases(browser: Browser, site: Site) -> None:
    browser.login(VIEWER)
    browser.assert_no_error()
    rows = incidents(site)
    open_rows = [i for i in rows if i.status != "resolved"]
    recent = [
        i for i in rows if i.resolved_at is not None and i.resolved_at >= site.now - site.ctx.recent_window
    ]
    assert len(open_rows) >= 2 and len(recent) >= 5, "the replay should leave incidents open and resolved"

    assert browser.count("#open-count") == len(open_rows)
    assert browser.count("#triggered-count") == sum(i.status == "triggered" for i in rows)
    assert browser.count("#acknowledged-count") == sum(i.status == "acknowledged" for i in rows)
    assert browser.count("#recent-count") == len(recent)
    shown = {r.get_attribute("data-incident-key") for r in browser.find_all("#incidents-table tr.incident")}
    assert shown == {i.key for i in open_rows}
    shown_recent = browser.find_all("#recent-incidents-table tr.incident")
    assert {r.get_attribute("data-incident-key") for r in shown_recent} == {i.key for i in recent}
    for row in browser.find_all("#incidents-table tr.incident"):
        stored = next(i for i in open_rows if i.key == row.get_attribute("data-incident-key"))
        assert row.find_element("css selector", ".title").text == stored.title
        assert f"status-{stored.status}" in (row.get_attribute("class") or "")
    assert browser.find("#nav-incidents").get_attribute("aria-current") == "page"
    browser.shoot("incidents")


def test_incident_page_shows_the_stored_incident(browser: Browser, site: Site) -> None:
    paged = _paged_open_incident(site)
    browser.login(VIEWER)
    browser.find(f'#incidents-table tr[data-incident-key="{paged.key}"] a.incident-link').click()
    assert browser.path == f"/incidents/{paged.key}"
    browser.assert_no_error()
    article = browser.find("#incident")
    assert article.get_attribute("data-incident-key") == paged.key
    record = site.ctx.incidents.transaction
    with record() as tx:
        stored = tx.incident(paged.key)
        assert stored is not None
        timeline = tx.timeline(paged.key)
    assert article.get_attribute("data-status") == stored.incident.status.value
    assert browser.find("#incident-title").text == stored.incident.title
    counts = browser.find("#incident-alert-count")
    assert int(counts.get_attribute("data-total") or -1) == len(stored.alerts)
    assert int(counts.get_attribute("data-active") or -1) == sum(a.active for a in stored.alerts)
    assert len(browser.find_all("#alerts-table tr.alert")) == len(stored.alerts)
    kinds = [e.get_attribute("data-kind") for e in browser.find_all("#timeline li.timeline-entry")]
    assert "paged" in kinds and len(kinds) >= len(timeline)
    browser.shoot("incident")


def test_oncall_page_names_who_the_rotation_says(browser: Browser, site: Site) -> None:
    browser.login(VIEWER, "/oncall")
    browser.assert_no_error()
    spec = site.ctx.oncall()
    assert spec is not None
    now = who_is_on_call(spec, to_datetime(site.now))
    assert browser.find("#oncall-primary").get_attribute("data-member") == now.primary.id
    assert browser.find("#oncall-primary").text == now.primary.name
    assert browser.find("#oncall-sub").get_attribute("data-member") == now.sub.id
    weeks = browser.find_all("#oncall-calendar tr.week")
    assert weeks and len([w for w in weeks if "current" in (w.get_attribute("class") or "")]) == 1
    browser.shoot("oncall")


def test_report_totals_are_the_reports_and_the_databases(browser: Browser, site: Site) -> None:
    browser.login(VIEWER, "/report")
    browser.assert_no_error()
    picked = parse_range(None, None, None, site.now)
    assert site.ctx.report is not None
    total = site.ctx.report.report(picked.start_ts, picked.end_ts, picked.by).volume.total
    assert browser.count("#total-alerts") == total.alerts > 0
    assert browser.count("#total-incidents") == total.incidents
    assert browser.count("#total-pages") == total.pages
    assert browser.count("#total-suppressed") == total.suppressed_total > 0
    # and the same figures counted straight from the tables
    assert total.incidents == len(incidents(site))
    with site.ctx.incidents.transaction() as tx:
        rows = tx.session.exec(select(OutboxPage)).all()
        assert total.pages == sum(r.request.get("action") == PageAction.TRIGGER.value for r in rows) > 0
        assert tx.session.exec(select(func.count()).select_from(OutboxPage)).one() == len(rows)
    charts = browser.find_all("#report-charts img")
    assert charts, "the report shows no charts"
    for img in charts:
        drawn = browser.driver.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", img
        )
        assert drawn, f"chart {img.get_attribute('id')} did not load"
    browser.shoot("report")

    # the range form: the same days per week
    Select(browser.find("#report-by")).select_by_value("week")
    browser.submit("#report-apply")
    assert browser.path.startswith("/report?") and "by=week" in browser.path
    browser.assert_no_error()
    weekly = site.ctx.report.report(picked.start_ts, picked.end_ts, Bucket.WEEK).volume
    assert len(browser.find_all("#volume-table tr.bucket")) == len(weekly.rows) == 2
    assert browser.count("#total-alerts") == weekly.total.alerts == total.alerts
    assert browser.count("#total-pages") == weekly.total.pages == total.pages


def test_rules_page_lists_the_rule_set(browser: Browser, site: Site) -> None:
    browser.login(VIEWER, "/rules")
    browser.assert_no_error()
    loaded = [r.rule.name for r in site.replayed.rules.rules]
    statuses = site.replayed.engine.statuses()
    assert browser.count("#rule-total") == len(loaded)
    shown = [r.get_attribute("data-rule") or "" for r in browser.find_all("#rules-table tr.rule")]
    assert sorted(shown) == sorted(loaded) and len(shown) == len(set(shown))
    assert browser.count("#rule-series") == sum(s.series for s in statuses) > 0
    assert browser.count("#rule-firing") == sum(s.firing for s in statuses)
    assert browser.count("#rule-failing") == 0 and not browser.find_all("#rule-problems")
    browser.shoot("rules")


def test_maintenance_page_shows_the_active_window_read_only(browser: Browser, site: Site) -> None:
    browser.login(VIEWER, "/maintenance")
    browser.assert_no_error()
    stored = site.ctx.maintenance.windows(now=site.now)
    configured = site.ctx.configured_windows()
    current = [w for w in (*stored, *configured) if active_at(w, site.now)]
    assert [w.hosts for w in current] == [("runner-stg-03",)]
    assert browser.count("#current-count") == len(current)
    ids = [r.get_attribute("data-window-id") for r in browser.find_all("#current-windows tr.window")]
    assert ids == [w.id for w in current]
    assert "kernel upgrade" in browser.find("#current-windows .reason").text
    assert not browser.find_all("#start-maintenance-form") and not browser.find_all(".end-window-button")
    browser.shoot("maintenance")


def _paged_open_incident(site: Site) -> Incident:
    """An open incident the dispatcher paged for (it has trigger rows in the outbox)."""
    with site.ctx.incidents.transaction() as tx:
        paged = set(tx.session.exec(select(OutboxPage.incident_key)).all())
    found = [i for i in incidents(site) if i.status != "resolved" and i.key in paged]
    assert found, "the replay should leave a paged incident open"
    return found[0]

"""The browser tests' world: the demo data replayed through the engine's real wiring into a temp
SQLite database, the real web app served by :class:`~alerter.web.server.WebServer` on a loopback
port, and Debian's headless Chromium driven by selenium through ``/usr/bin/chromedriver``.

Place in the flow: everything end to end. ``alerter.demo.dataset.generate`` -> ``StaticSource`` ->
the shipped ``rules/`` -> :func:`alerter.replay.build_engine` with the
:class:`~alerter.notify.dispatch.Dispatcher` as the pipeline's deliver hook (what
``app.compose`` wires: incidents, escalation and outbox pages in one transaction), on a
:class:`~alerter.evaluate.virtual.VirtualScheduler` -> the incident store the web app reads. The
app's acknowledge/resolve go through the dispatcher as in ``alerter run``, so an ack from the
browser queues the acknowledge follow-up pages. The outbox is sent every 30 s of virtual time, as
live mode's sender does, by the real ``PagerDutyPager`` to the faithful fake PagerDuty on loopback;
the other channels (Slack, e-mail) have no outside system here, so their pages wait in the outbox.

Chromium runs headless as root with ``--no-sandbox``, a fresh profile, and everything that would
reach the (closed) network turned off. selenium is handed the driver and browser paths, so
selenium-manager never looks anything up. Every test run writes screenshots to
``test-artifacts/screenshots/``; with ``ALERTER_UPDATE_SCREENSHOTS=1`` the README's two pictures in
``docs/screenshots/`` are rewritten too.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver import Chrome
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from alerter.cli.web import oncall_loader, windows_loader
from alerter.clock import FakeClock
from alerter.config.correlation import load_correlation
from alerter.config.load import RuleSet, load_rules
from alerter.config.maintenance import MaintenanceWindow, load_maintenance
from alerter.config.routing import load_routing_config
from alerter.config.topology import load_topology
from alerter.config.web import WebRole, WebSettings, WebUser, hash_password
from alerter.demo.dataset import DEFAULT_START, MINUTE, generate
from alerter.evaluate.cycle import RuleEngine
from alerter.evaluate.timing import Timing
from alerter.evaluate.virtual import VirtualScheduler
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.incidents.records import Applied
from alerter.incidents.store import IncidentStore
from alerter.notify.delivery import Deliverer, DeliveryReport
from alerter.notify.dispatch import Dispatcher
from alerter.notify.outbox import Outbox
from alerter.replay import build_engine
from alerter.route.maintenance import RefreshingBook
from alerter.source.static import StaticSource
from alerter.web.app import create_app
from alerter.web.context import WebContext
from alerter.web.report_provider import StoreReportProvider
from alerter.web.server import WebServer
from integrations.pagerduty import PagerDutyPager
from integrations.pagerduty.fake import FakePagerDuty

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
README_SHOTS = ROOT / "docs" / "screenshots"
UPDATE_ENV = "ALERTER_UPDATE_SCREENSHOTS"
README_PAGES = frozenset({"incidents", "report"})

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1400, 1000)
WAIT = 15.0  # seconds a page may take to load or change

# rules/oncall.yaml's rotation starts Monday 2026-01-05 10:00 Berlin (09:00Z), an hour after the
# demo data's default start, and routing a page before a rotation starts fails the batch. The same
# data one week later has people on call all the time.
DEMO_START = DEFAULT_START + 7 * 86400
# 101 minutes of the 2 h: seven incidents resolved by then (four marked suppressed by policy), the
# Redis OOM and the flapping host still triggered and paged, and the STG runner's memory alerts
# swallowed by the maintenance window below. About 3 s on one core (6 s with the outbox sender).
REPLAY_END = DEMO_START + 101 * MINUTE
STG_WINDOW = MaintenanceWindow(
    "kernel",
    ("runner-stg-03",),
    (),
    DEMO_START + 55 * MINUTE,
    DEMO_START + 150 * MINUTE,
    owner="platform",
    reason="kernel upgrade on runner-stg-03",
    created_by="anna",
)


@dataclass(frozen=True, slots=True)
class Person:
    """A user of the web UI, with the password typed into the login form."""

    name: str
    password: str
    role: WebRole


VIEWER = Person("manager", "manager-browser-password", WebRole.VIEWER)
RESPONDER = Person("anna", "anna-browser-password", WebRole.RESPONDER)
SESSION_SECRET = "browser-tests-session-secret-0123456789"
ROUTING_KEY = "0123456789abcdef0123456789abcdef"
DELIVERY_TICK = 30.0


@dataclass
class Replayed:
    """The database after the replay and the engine parts the web app shows."""

    store: IncidentStore
    maintenance: MaintenanceStore
    rules: RuleSet
    engine: RuleEngine
    dispatcher: Dispatcher
    pagerduty: FakePagerDuty
    end: float

    def deliver(self, now: float) -> DeliveryReport:
        """Send what the outbox holds at ``now``, as live mode's sender would (own event loop)."""
        return asyncio.run(_deliver_once(self.store, self.pagerduty, now))


@dataclass
class Site:
    """The served app: its base URL and the context it reads (the test's view of the database)."""

    url: str
    ctx: WebContext
    replayed: Replayed

    @property
    def now(self) -> float:
        return self.ctx.clock.now()


def _replay(db_url: str, pagerduty: FakePagerDuty, clock: FakeClock) -> Replayed:
    """Replay the demo slice through the wiring ``app.compose`` uses, with the dispatcher paging
    and the outbox sent to ``pagerduty`` every :data:`DELIVERY_TICK` seconds of ``clock``."""
    demo = generate(start=DEMO_START, duration=REPLAY_END - DEMO_START)
    store, maintenance = IncidentStore(db_url), MaintenanceStore(db_url)
    maintenance.start(STG_WINDOW, by="anna", now=DEMO_START)
    policy, p1 = load_correlation(RULES / "correlation.yaml")
    topology, p2 = load_topology(RULES / "topology.yaml")
    routing, p3 = load_routing_config(RULES / "routing.yaml")
    fixed, p4 = load_maintenance(RULES / "maintenance.yaml")
    rules = load_rules([RULES])
    problems = [*p1, *p2, *p3, *p4, *rules.problems]
    assert policy is not None and routing is not None and not problems, problems
    book = RefreshingBook(lambda now: maintenance.windows(now=now), refresh=15.0, fixed=fixed)
    dispatcher = Dispatcher(routing, incident_url=lambda key: f"http://127.0.0.1/incidents/{key}")
    wiring = build_engine(
        StaticSource(demo.points), store, policy, clock,
        topology=topology, suppressor=book.reason, deliver=dispatcher.deliver,
    )  # fmt: skip
    wiring.engine.apply(rules.rules)
    scheduler = VirtualScheduler(wiring.engine, clock, Timing(2.0, seed="alerter"))
    asyncio.run(_run_and_deliver(scheduler, store, pagerduty, clock))
    return Replayed(store, maintenance, rules, wiring.engine, dispatcher, pagerduty, REPLAY_END)


async def _run_and_deliver(
    scheduler: VirtualScheduler, store: IncidentStore, pagerduty: FakePagerDuty, clock: FakeClock
) -> None:
    async with PagerDutyPager(SecretStr(ROUTING_KEY), base_url=pagerduty.url, timeout=5.0) as pager:
        deliverer = Deliverer(Outbox(store), {"pagerduty": pager}, clock, rng=random.Random(0))
        t = clock.now()
        while t < REPLAY_END:
            t = min(t + DELIVERY_TICK, REPLAY_END)
            await scheduler.run_until(t)
            await deliverer.run_once(t)


async def _deliver_once(store: IncidentStore, pagerduty: FakePagerDuty, now: float) -> DeliveryReport:
    async with PagerDutyPager(SecretStr(ROUTING_KEY), base_url=pagerduty.url, timeout=5.0) as pager:
        deliverer = Deliverer(Outbox(store), {"pagerduty": pager}, FakeClock(now), rng=random.Random(0))
        return await deliverer.run_once(now)


def web_settings() -> WebSettings:
    # a cheap scrypt cost: logins are not what these tests measure
    users = tuple(
        WebUser(name=p.name, role=p.role, password_hash=SecretStr(hash_password(p.password, n=2**10)))
        for p in (VIEWER, RESPONDER)
    )
    return WebSettings(users=users, session_secret=SecretStr(SESSION_SECRET), cookie_secure=False)


def web_context(replayed: Replayed) -> WebContext:
    """The context ``alerter run`` gives the app: acks and resolves go through the dispatcher."""
    store, dispatcher = replayed.store, replayed.dispatcher
    oncall = oncall_loader(RULES / "oncall.yaml")

    def acknowledge(key: str, who: str, now: float, note: str | None) -> Applied:
        return store.run(lambda tx: dispatcher.acknowledge(tx, key, who, now, note))

    def resolve(key: str, who: str, now: float, note: str | None) -> Applied:
        return store.run(lambda tx: dispatcher.resolve(tx, key, who, now, note))

    return WebContext(
        incidents=store,
        maintenance=replayed.maintenance,
        clock=FakeClock(replayed.end),
        settings=web_settings(),
        oncall=oncall,
        rule_statuses=replayed.engine.statuses,
        rule_problems=lambda: replayed.rules.problems,
        configured_windows=windows_loader(RULES / "maintenance.yaml"),
        report=StoreReportProvider(store, oncall),
        acknowledge=acknowledge,
        resolve=resolve,
    )


class BackgroundServer:
    """``WebServer`` on its own event loop in a thread: selenium's calls block the test's thread.

    The socket is bound and listening before the thread starts, so the browser can connect at once.
    """

    def __init__(self, ctx: WebContext) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._server = WebServer(create_app(ctx), sock=self._sock, log_level="warning")
        self._thread = threading.Thread(target=self._run, name="alerter-web", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.stop()
        self._thread.join(timeout=10)
        self._sock.close()
        assert not self._thread.is_alive(), "the web server did not stop within 10 s"


@pytest.fixture(scope="session")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    path = tmp_path_factory.mktemp("browser") / "alerter.db"
    clock = FakeClock(DEMO_START)
    with FakePagerDuty(clock=clock) as pagerduty:
        result = _replay(f"sqlite:///{path}", pagerduty, clock)
        yield result
        result.store.close()
        result.maintenance.close()
        assert pagerduty.violations == []


@pytest.fixture(scope="session")
def site(replayed: Replayed) -> Iterator[Site]:
    ctx = web_context(replayed)
    with BackgroundServer(ctx) as server:
        yield Site(server.url, ctx, replayed)


def chromium_options(profile: Path) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-dev-shm-usage",  # a small /dev/shm in containers crashes tabs
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(flag)
    # the console: a CSP violation or a stylesheet/chart that failed to load shows up here
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture(scope="session")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chrome]:
    """One headless Chromium for the session (each test starts with no cookies)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: apt-get install chromium chromium-driver")
    os.environ["SE_OFFLINE"] = "true"  # selenium-manager must never try the network
    driver = Chrome(
        service=Service(str(CHROMEDRIVER)), options=chromium_options(tmp_path_factory.mktemp("chromium"))
    )
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


class Browser:
    """The driver with the few moves the tests make: open, log in, find, wait, screenshot."""

    def __init__(self, driver: Chrome, site: Site) -> None:
        self.driver = driver
        self.site = site

    def open(self, path: str) -> None:
        self.driver.get(self.site.url + path)

    @property
    def path(self) -> str:
        url: str = self.driver.current_url
        return url.removeprefix(self.site.url)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def count(self, css: str) -> int:
        """The ``data-count`` of the element at ``css``."""
        return int(self.find(css).get_attribute("data-count") or "-1")

    def submit(self, button_css: str) -> None:
        """Click a submit button and wait for the page it leads to."""
        old = self.find("html")
        self.find(button_css).click()
        self.wait_stale(old)

    def wait_stale(self, old: WebElement) -> None:
        """Wait until the page ``old`` belonged to is replaced and the new one has loaded."""
        WebDriverWait(self.driver, WAIT).until(lambda _d: _stale(old))
        WebDriverWait(self.driver, WAIT).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    def login(self, person: Person, next_path: str = "/incidents") -> None:
        self.open(f"/login?next={next_path}")
        self.find("#login-name").send_keys(person.name)
        self.find("#login-password").send_keys(person.password)
        self.submit("#login-button")
        assert self.path == next_path, f"login as {person.name} ended on {self.path}"
        assert self.find("#current-user").get_attribute("data-role") == person.role.value

    def assert_no_error(self) -> None:
        """The page is a normal page: no error page, no error message, the navigation is there."""
        assert not self.find_all("#error-code"), self.find("#error-detail").text
        assert not self.find_all("#error-message"), self.find("#error-message").text
        assert self.find_all("#main-nav")
        console = [e["message"] for e in self.console() if e["level"] in ("SEVERE", "WARNING")]
        assert not console, console

    def console(self) -> list[dict[str, str]]:
        """The browser console's entries since the last call (each entry is read once)."""
        entries: list[dict[str, str]] = self.driver.get_log("browser")
        return entries

    def shoot(self, name: str) -> Path:
        """Save the whole page as ``test-artifacts/screenshots/<name>.png`` (and, for the README's
        pictures with ``ALERTER_UPDATE_SCREENSHOTS=1``, the window as ``docs/screenshots/``)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": self._page_clip()},
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        if name in README_PAGES and os.environ.get(UPDATE_ENV) == "1":
            # the window only (what a reader sees first), which keeps the PNG under ~200 kB
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            assert self.driver.save_screenshot(str(README_SHOTS / f"{name}.png")), f"no screenshot of {name}"
        return path

    def _page_clip(self) -> dict[str, float]:
        width, height = self.driver.execute_script(
            "const e = document.documentElement; return [e.scrollWidth, Math.min(e.scrollHeight, 6000)];"
        )
        return {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}


def _stale(element: WebElement) -> bool:
    try:
        element.is_enabled()
    except WebDriverException:
        return True
    return False


@pytest.fixture
def browser(chrome: Chrome, site: Site) -> Browser:
    """The session's Chromium, logged out (every cookie of every path cleared)."""
    chrome.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser = Browser(chrome, site)
    browser.console()  # what earlier tests left in the console is theirs
    return browser

"""``alerter web`` (the web UI and API without the engine) and ``alerter hash-password``.

Place in the flow: a thin command that builds a :class:`~alerter.web.context.WebContext` over the
engine's database and serves :func:`alerter.web.app.create_app` with uvicorn. Alone, it shows what
the database holds (incidents, maintenance, reports), the on-call rotation and the rule files'
load errors; the running rules' health appears when ``alerter run`` mounts the same app with the
engine's ``RuleEngine.statuses``. Examples::

    alerter hash-password                        # prompts twice; prints scrypt$... for web.users
    alerter web --config alerter.yaml --port 8080

:func:`web_context` and :func:`pagerduty_webhook_handler` are the wiring ``alerter run`` reuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from alerter.app import oncall_loader, pagerduty_webhook_handler, windows_loader
from alerter.clock import Clock, SystemClock
from alerter.config.load import load_rules
from alerter.config.routing import load_routing_config
from alerter.config.settings import load_settings
from alerter.config.web import WebSettings, hash_password, load_web_settings
from alerter.errors import ConfigError
from alerter.incidents.maintenance_store import MaintenanceStore
from alerter.incidents.records import Applied
from alerter.incidents.store import IncidentStore
from alerter.notify.dispatch import Dispatcher
from alerter.notify.inbound import IncidentUpdate
from alerter.web.context import WebContext
from alerter.web.report_provider import StoreReportProvider


def web_context(
    db_url: str,
    settings: WebSettings,
    rules: Sequence[str],
    oncall_path: Path,
    clock: Clock,
    maintenance_path: Path | None = None,
    routing_path: Path | None = None,
    source: str = "alerter",
) -> WebContext:
    """The context of a standalone web server over ``db_url`` (both stores migrate on open).

    With a routing file, acks, resolves and PagerDuty webhooks go through the dispatcher, as in
    ``alerter run``: escalation stops and every channel that was paged is told.
    """
    incidents = IncidentStore(db_url)
    oncall = oncall_loader(oncall_path)
    dispatcher = None
    if routing_path is not None and routing_path.exists():
        routing, problems = load_routing_config(routing_path)
        if routing is None:
            raise ConfigError(problems)
        dispatcher = Dispatcher(routing, source=source)

    def acknowledge(key: str, who: str, now: float, note: str | None) -> Applied:
        assert dispatcher is not None
        return incidents.run(lambda tx: dispatcher.acknowledge(tx, key, who, now, note))

    def resolve(key: str, who: str, now: float, note: str | None) -> Applied:
        assert dispatcher is not None
        return incidents.run(lambda tx: dispatcher.resolve(tx, key, who, now, note))

    def apply(update: IncidentUpdate) -> object:
        assert dispatcher is not None
        return incidents.run(lambda tx: dispatcher.apply_update(tx, update))

    routed = dispatcher is not None
    return WebContext(
        incidents=incidents,
        maintenance=MaintenanceStore(db_url),
        clock=clock,
        settings=settings,
        oncall=oncall,
        rule_problems=lambda: load_rules(rules).problems,
        configured_windows=windows_loader(maintenance_path) if maintenance_path else lambda: (),
        report=StoreReportProvider(incidents, oncall),
        acknowledge=acknowledge if routed else None,
        resolve=resolve if routed else None,
        pagerduty_webhook=pagerduty_webhook_handler(settings, incidents, clock, apply if routed else None),
    )


@click.command("web")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="alerter.yaml: its web: section (users, tokens, secrets) and database_url.",
)
@click.option(
    "--db",
    "db",
    default=None,
    envvar="ALERTER_DATABASE_URL",
    help="Database URL (default: the config's database_url).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--maintenance",
    "maintenance_path",
    type=click.Path(path_type=Path),
    default=Path("rules/maintenance.yaml"),
    show_default=True,
    help="The recurring maintenance windows file.",
)
@click.option(
    "--routing",
    "routing_path",
    type=click.Path(path_type=Path),
    default=Path("rules/routing.yaml"),
    show_default=True,
    help="The routing file: acks and resolves stop escalation and notify the paged channels.",
)
@click.option(
    "--oncall",
    "oncall_path",
    type=click.Path(path_type=Path),
    default=Path("rules/oncall.yaml"),
    show_default=True,
    help="The on-call rotation file.",
)
def web(
    config_file: Path | None,
    db: str | None,
    host: str,
    port: int,
    maintenance_path: Path,
    routing_path: Path,
    oncall_path: Path,
) -> None:
    """Serve the web UI and JSON API (incidents, on call, report, rules, maintenance)."""
    import uvicorn

    from alerter.web.app import create_app

    try:
        web_settings = load_web_settings(config_file)  # first: its errors are the likely ones here
        settings = load_settings(config_file)  # accepts the web: key once Settings declares it
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not web_settings.users and not web_settings.tokens:
        click.echo("alerter web: no users or tokens in the web: section: nobody can log in", err=True)
    url = db or settings.database_url
    try:
        ctx = web_context(
            url,
            web_settings,
            settings.rules,
            oncall_path,
            SystemClock(),
            maintenance_path,
            routing_path,
            settings.engine_name,
        )
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    uvicorn.run(create_app(ctx), host=host, port=port, log_level="info", proxy_headers=False)


@click.command("hash-password")
@click.password_option("--password", prompt="Password", help="The password (prompted when not given).")
def hash_password_command(password: str) -> None:
    """Print the password_hash of a password for the web: users list."""
    try:
        click.echo(hash_password(password))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


__all__ = [
    "hash_password_command",
    "oncall_loader",
    "pagerduty_webhook_handler",
    "web",
    "web_context",
    "windows_loader",
]

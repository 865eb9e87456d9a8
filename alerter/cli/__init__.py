"""The ``alerter`` command: thin click commands over the engine's stages.

Each command group lives in its own module and is registered here; commands parse arguments,
call one function of the stage they serve, print, and set the exit code.
"""

from __future__ import annotations

import logging

import click

from alerter import __version__
from alerter.cli.demo import demo
from alerter.cli.maintenance import maintenance
from alerter.cli.oncall import oncall
from alerter.cli.oncall_sync import oncall_sync
from alerter.cli.outbox import outbox
from alerter.cli.replay import replay
from alerter.cli.report import report
from alerter.cli.route import route_cmd
from alerter.cli.rules import rules
from alerter.cli.rules_test import test as rules_test_command
from alerter.cli.run import run
from alerter.cli.web import hash_password_command, web

rules.add_command(rules_test_command)


@click.group()
@click.version_option(__version__, prog_name="alerter")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """alerter: YAML rules over InfluxDB, Riemann-style correlation, on-call paging."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every job run at INFO; its news is only interesting when something is wrong.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))


main.add_command(rules)
main.add_command(run)
main.add_command(demo)
main.add_command(maintenance)
main.add_command(oncall)
main.add_command(oncall_sync)
main.add_command(outbox)
main.add_command(route_cmd)
main.add_command(replay)
main.add_command(report)
main.add_command(web)
main.add_command(hash_password_command)

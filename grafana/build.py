"""Builds alerter's Grafana dashboards with grafana-foundation-sdk and writes ``grafana/dashboards/*.json``.

Place in the flow: the reading end of :mod:`alerter.selfmetrics`. The engine writes its own
measurements (``alerter_*``) to InfluxDB every interval; these dashboards chart them with InfluxQL
through the provisioned datasource (uid :data:`DATASOURCE_UID`, see
``provisioning/datasources/influxdb.yaml``; its ``timeInterval`` is the collector's interval, so
Grafana never groups finer than the data). The JSON files are generated: edit this file, then run

    .venv/bin/python grafana/build.py           # rewrite grafana/dashboards/*.json
    .venv/bin/python grafana/build.py --check   # exit 1 if the committed JSON is not a fresh build

(tests/integration/test_grafana_dashboards.py runs the same check). Every query uses Grafana's
InfluxDB macros ``$timeFilter`` and ``$__interval``, which the datasource replaces before sending.

The SDK has no InfluxDB query type, so :class:`InfluxQLQuery` is one (Grafana's InfluxQL raw-mode
target: ``query``, ``rawQuery``, ``resultFormat``, ``alias``), registered with the SDK's runtime
so :meth:`Dashboard.from_json` reads it back.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Self

from grafana_foundation_sdk.builders import bargauge, common, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import runtime as cogruntime
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

DASHBOARDS_DIR = Path(__file__).resolve().parent / "dashboards"
DATASOURCE_UID = "alerter-influxdb"
DATASOURCE = dm.DataSourceRef(type_val="influxdb", uid=DATASOURCE_UID)
ResultFormat = Literal["time_series", "table"]


class InfluxQLQuery(cogvariants.Dataquery):
    """One InfluxQL target in raw mode, as Grafana's InfluxDB datasource stores it."""

    def __init__(
        self, ref_id: str, query: str, alias: str = "", result_format: ResultFormat = "time_series"
    ) -> None:
        self.ref_id, self.query, self.alias, self.result_format = ref_id, query, alias, result_format

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "datasource": DATASOURCE.to_json(),
            "query": self.query,
            "rawQuery": True,
            "refId": self.ref_id,
            "resultFormat": self.result_format,
        }
        if self.alias:
            data["alias"] = self.alias
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(
            data["refId"], data["query"], data.get("alias", ""), data.get("resultFormat", "time_series")
        )


class InfluxQL(cogbuilder.Builder[cogvariants.Dataquery]):
    """Builder of an :class:`InfluxQLQuery` (the SDK's panels take builders)."""

    def __init__(
        self, ref_id: str, query: str, alias: str = "", result_format: ResultFormat = "time_series"
    ) -> None:
        self._query = InfluxQLQuery(ref_id, query, alias, result_format)

    def build(self) -> InfluxQLQuery:
        return self._query


def register_influxql() -> None:
    """Teach the SDK's runtime to read ``influxdb`` targets back as :class:`InfluxQLQuery`."""
    cogruntime.register_dataquery_variant(cogruntime.DataqueryConfig("influxdb", InfluxQLQuery.from_json))


# -- panel helpers ------------------------------------------------------------------------------

Panel = cogbuilder.Builder[dm.Panel]


def _targets(panel: Any, queries: Sequence[InfluxQL]) -> Any:
    panel = panel.datasource(DATASOURCE)
    for q in queries:
        panel = panel.with_target(q)
    return panel


def series(
    title: str,
    description: str,
    *queries: InfluxQL,
    unit: str = "short",
    bars: bool = False,
    stacked: bool = False,
    width: int = 12,
) -> Panel:
    """A time series panel; ``bars`` for counts per interval, ``stacked`` to add series up."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .height(8)
        .span(width)
        .legend(
            common.VizLegendOptions()
            .display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["sum", "max"])
        )
        .draw_style(cm.GraphDrawStyle.BARS if bars else cm.GraphDrawStyle.LINE)
        .fill_opacity(60 if bars else 10)
    )
    if stacked:
        panel = panel.stacking(common.StackingConfig().mode(cm.StackingMode.NORMAL))
    return _targets(panel, queries)


def totals(
    title: str, description: str, *queries: InfluxQL, unit: str = "short", width: int = 8, rows: bool = False
) -> Panel:
    """A horizontal bar gauge of one number per series (e.g. pages per person over the range), or
    with ``rows`` one bar per row of a table result, named by the row's tag (e.g. top rules)."""
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .height(8)
        .span(width)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .display_mode(cm.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(common.ReduceDataOptions().calcs(["sum"]).values(rows))
        .min(0)
    )
    return _targets(panel, queries)


def single(title: str, description: str, *queries: InfluxQL, unit: str = "short", width: int = 6) -> Panel:
    """A stat panel: one number over the whole time range."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .height(4)
        .span(width)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .graph_mode(cm.BigValueGraphMode.NONE)
    )
    return _targets(panel, queries)


def listing(title: str, description: str, *queries: InfluxQL, width: int = 12) -> Panel:
    """A table panel (InfluxQL ``resultFormat: table``)."""
    panel = table.Panel().title(title).description(description).height(8).span(width)
    return _targets(panel, queries)


def dashboard(uid: str, title: str, description: str, panels: Sequence[Panel]) -> dash.Dashboard:
    board = (
        dash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["alerter"])
        .time("now-24h", "now")
        .refresh("1m")
        .timezone("browser")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .editable()
        .link(
            dash.DashboardLink("alerter")
            .type(dm.DashboardLinkType.DASHBOARDS)
            .tags(["alerter"])
            .as_dropdown(True)
        )
    )
    for n, panel in enumerate(panels, start=1):
        board = board.with_panel(panel.id(n))  # type: ignore[attr-defined]
    return board


# -- the dashboards -----------------------------------------------------------------------------

TF = "WHERE $timeFilter"
BY_TIME = "GROUP BY time($__interval)"


def volume() -> dash.Dashboard:
    """Alert volume and noise: how many raw events and alerts become how few incidents and pages."""
    return dashboard(
        "alerter-volume",
        "alerter: alert volume and noise",
        "Raw events and alerts vs incidents vs pages; compression; what was suppressed and why; noisiest rules.",
        [
            series(
                "Events, alerts, incidents, pages",
                "Per interval: evaluation events, new alerts (a series leaving ok), incidents opened, pages sent.",
                InfluxQL(
                    "A",
                    'SELECT sum("events") AS "events", sum("alerts") AS "alerts", sum("incidents") AS "incidents", '
                    f'sum("pages") AS "pages" FROM "alerter_volume" {TF} {BY_TIME} fill(0)',
                ),
                bars=True,
                width=24,
            ),
            single(
                "Alerts per incident",
                "New alerts over the range / incidents opened over the range.",
                InfluxQL(
                    "A",
                    f'SELECT sum("alerts") / sum("incidents") AS "alerts per incident" FROM "alerter_volume" {TF}',
                ),
            ),
            single(
                "Alerts per page",
                "Compression: new alerts over the range / pages over the range.",
                InfluxQL(
                    "A",
                    f'SELECT sum("alerts") / sum("pages") AS "alerts per page" FROM "alerter_volume" {TF}',
                ),
            ),
            single(
                "Events per page",
                "Raw evaluation events over the range / pages over the range.",
                InfluxQL(
                    "A",
                    f'SELECT sum("events") / sum("pages") AS "events per page" FROM "alerter_volume" {TF}',
                ),
            ),
            single(
                "Pages",
                "Pages sent over the range.",
                InfluxQL("A", f'SELECT sum("pages") AS "pages" FROM "alerter_volume" {TF}'),
            ),
            series(
                "Suppressed by reason",
                "Alerts kept from paging (maintenance, dependency, storm: once per alert) and incident "
                "transitions that did not page (policy, flapping).",
                InfluxQL(
                    "A",
                    f'SELECT sum("count") FROM "alerter_suppressed" {TF} {BY_TIME}, "reason" fill(0)',
                    alias="$tag_reason",
                ),
                bars=True,
                stacked=True,
            ),
            totals(
                "Noisiest rules",
                "The 10 rules with the most new alerts over the range.",
                InfluxQL(
                    "A",
                    'SELECT top("fired", "rule", 10) AS "alerts" FROM '
                    f'(SELECT sum("fired") AS "fired" FROM "alerter_rule" {TF} GROUP BY "rule")',
                    result_format="table",
                ),
                width=12,
                rows=True,
            ),
            series(
                "Active alerts by state",
                "Series in a non-ok state at the end of each interval.",
                InfluxQL(
                    "A",
                    f'SELECT last("active") FROM "alerter_alerts" {TF} {BY_TIME}, "state" fill(previous)',
                    alias="$tag_state",
                ),
                stacked=True,
            ),
            series(
                "Incidents",
                "Incidents opened, reopened and resolved per interval; open at the end of it.",
                InfluxQL(
                    "A",
                    'SELECT sum("opened") AS "opened", sum("reopened") AS "reopened", sum("resolved") AS "resolved", '
                    f'last("open") AS "open" FROM "alerter_incidents" {TF} {BY_TIME} fill(0)',
                ),
            ),
            series(
                "Events per second by state",
                "Evaluation events per second, by state.",
                InfluxQL(
                    "A",
                    f'SELECT mean("rate") FROM "alerter_events" {TF} {BY_TIME}, "state" fill(none)',
                    alias="$tag_state",
                ),
                unit="ops",
                stacked=True,
                width=24,
            ),
        ],
    )


def oncall() -> dash.Dashboard:
    """On-call load: pages per person, and how many of them came off hours or at night."""
    pages = 'SELECT sum("count") AS "pages" FROM "alerter_pages"'
    return dashboard(
        "alerter-oncall",
        "alerter: on-call load",
        "Pages per person; off-hours (weekday evenings, weekend days) and sleep-hours (22-08) pages in "
        "each person's own timezone, as PagerDuty counts interruptions.",
        [
            totals(
                "Pages per person",
                "Pages over the range, by person.",
                InfluxQL("A", f'{pages} {TF} GROUP BY "person"', alias="$tag_person"),
            ),
            totals(
                "Off-hours pages per person",
                "Weekday evenings 18-22 and weekend days 08-22, in the person's timezone.",
                InfluxQL(
                    "A",
                    f'{pages} WHERE "hours" = \'off\' AND $timeFilter GROUP BY "person"',
                    alias="$tag_person",
                ),
            ),
            totals(
                "Sleep-hours pages per person",
                "22-08 every day, in the person's timezone.",
                InfluxQL(
                    "A",
                    f'{pages} WHERE "hours" = \'sleep\' AND $timeFilter GROUP BY "person"',
                    alias="$tag_person",
                ),
            ),
            series(
                "Pages per person over time",
                "Pages per interval, by person.",
                InfluxQL("A", f'{pages} {TF} {BY_TIME}, "person" fill(0)', alias="$tag_person"),
                bars=True,
                stacked=True,
            ),
            series(
                "Pages by hours",
                "Pages per interval: business, off or sleep hours of the person paged.",
                InfluxQL("A", f'{pages} {TF} {BY_TIME}, "hours" fill(0)', alias="$tag_hours"),
                bars=True,
                stacked=True,
            ),
            listing(
                "Pages by person, hours and channel",
                "Totals over the range.",
                InfluxQL("A", f'{pages} {TF} GROUP BY "person", "hours", "channel"', result_format="table"),
                width=24,
            ),
        ],
    )


def health() -> dash.Dashboard:
    """Engine health: evaluation cost and errors per rule, InfluxDB errors, outbox depth."""
    return dashboard(
        "alerter-health",
        "alerter: engine health",
        "Evaluation duration, series and errors per rule; InfluxDB errors; the outbox.",
        [
            series(
                "Evaluation duration per rule",
                "Last evaluation's duration (its batch's source round trip plus its own evaluation).",
                InfluxQL(
                    "A",
                    f'SELECT max("duration_ms") FROM "alerter_rule" {TF} {BY_TIME}, "rule" fill(none)',
                    alias="$tag_rule",
                ),
                unit="ms",
            ),
            series(
                "Series per rule",
                "Series the last evaluation saw (all states).",
                InfluxQL(
                    "A",
                    f'SELECT last("series") FROM "alerter_rule" {TF} {BY_TIME}, "rule" fill(none)',
                    alias="$tag_rule",
                ),
            ),
            series(
                "Rule errors",
                "Failed evaluations per interval, by rule (query rejected, source down, evaluation error).",
                InfluxQL(
                    "A",
                    f'SELECT sum("errors") FROM "alerter_rule" {TF} {BY_TIME}, "rule" fill(0)',
                    alias="$tag_rule",
                ),
                bars=True,
                stacked=True,
            ),
            series(
                "InfluxDB errors",
                "Failed round trips, statements InfluxDB rejected, failed self-metric writes.",
                InfluxQL(
                    "A",
                    'SELECT sum("errors") AS "failed queries", sum("statement_errors") AS "rejected statements", '
                    f'sum("write_errors") AS "failed writes" FROM "alerter_source" {TF} {BY_TIME} fill(0)',
                ),
                bars=True,
            ),
            series(
                "InfluxDB round trips",
                "Query round trips per interval (one per batch of rules due together).",
                InfluxQL(
                    "A",
                    f'SELECT sum("queries") AS "round trips" FROM "alerter_source" {TF} {BY_TIME} fill(0)',
                ),
                bars=True,
            ),
            series(
                "Outbox",
                "Pages waiting to leave, and pages that failed for good.",
                InfluxQL(
                    "A",
                    'SELECT last("depth") AS "depth", last("failed") AS "failed" FROM "alerter_outbox" '
                    f"{TF} {BY_TIME} fill(previous)",
                ),
            ),
            series(
                "Evaluations",
                "Rule evaluations per interval.",
                InfluxQL(
                    "A",
                    f'SELECT sum("evaluations") AS "evaluations" FROM "alerter_rule" {TF} {BY_TIME} fill(0)',
                ),
                bars=True,
                width=24,
            ),
        ],
    )


DASHBOARDS: dict[str, Callable[[], dash.Dashboard]] = {
    "alerter-volume.json": volume,
    "alerter-oncall.json": oncall,
    "alerter-health.json": health,
}


def render(board: dash.Dashboard) -> str:
    """The dashboard model as the committed JSON text (sorted keys, 2-space indent, final newline)."""
    return json.dumps(board.build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def build_all() -> dict[str, str]:
    """Every dashboard's JSON text by file name."""
    return {name: render(make()) for name, make in DASHBOARDS.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a committed dashboard differs from a fresh build"
    )
    args = parser.parse_args(argv)
    stale = []
    for name, text in build_all().items():
        path = DASHBOARDS_DIR / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print(f"stale (run .venv/bin/python grafana/build.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

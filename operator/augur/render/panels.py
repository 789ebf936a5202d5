"""The pieces every built-in Grafana dashboard is made of (the Grafana component's and the
cluster component's): datasources, queries, panels, encoding.

Dashboards are built with grafana-foundation-sdk's typed builders (generated from Grafana's
own schema), so a misspelt option is a type error, not a panel Grafana silently ignores."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import bargauge, prometheus, stat, statetimeline, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    GraphThresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    VisibilityMode,
    VizOrientation,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    DynamicConfigValue,
    Panel,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

Obj = dict[str, Any]
PanelBuilder = Builder[Panel]
Section = tuple[str, list[PanelBuilder]]
"""A row's title and its panels."""

PROMETHEUS_UID = "augur-prometheus"
ALERTMANAGER_UID = "augur-alertmanager"
JAEGER_UID = "augur-jaeger"
"""Fixed datasource UIDs: the provisioned datasources carry them."""

DATASOURCE_VARIABLE = "datasource"
PROMETHEUS = DataSourceRef(type_val="prometheus", uid=f"${{{DATASOURCE_VARIABLE}}}")
"""What every panel reads: the Prometheus the dashboard's `datasource` variable picks (the
stack's own by default), so a dashboard imported into another Grafana works there too."""

ALL = ".*"
"""The value of a variable's All option: a regular expression matching every value."""

TAG = "augur"
REFRESH = "1m"
HEIGHT = 8

GOOD, BAD = "green", "red"


@dataclass(frozen=True)
class Query:
    """One PromQL query of a panel and the legend of its series."""

    expr: str
    legend: str = ""
    instant: bool = False


def _target(ref_id: str, query: Query) -> prometheus.Dataquery:
    target = prometheus.Dataquery().expr(query.expr).ref_id(ref_id)
    if query.legend:
        target = target.legend_format(query.legend)
    if query.instant:
        target = target.instant()
    return target


def _ref_id(index: int) -> str:
    return chr(ord("A") + index)


def threshold_steps(target: float, higher_is_better: bool) -> dashboard_builders.ThresholdsConfig:
    """Two colours split at `target`: the good side green, the other red."""
    below, above = (BAD, GOOD) if higher_is_better else (GOOD, BAD)
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=None, color=below), Threshold(value=target, color=above)])
    )


def graph(
    title: str,
    queries: list[Query],
    *,
    unit: str = "short",
    width: int = 12,
    description: str = "",
) -> timeseries.Panel:
    """A time-series panel of Prometheus queries."""
    panel = (
        timeseries.Panel()
        .title(title)
        .datasource(PROMETHEUS)
        .unit(unit)
        .span(width)
        .height(HEIGHT)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
        )
    )
    if description:
        panel = panel.description(description)
    for index, query in enumerate(queries):
        panel = panel.with_target(_target(_ref_id(index), query))
    return panel


def with_target_line(
    panel: timeseries.Panel, target: float, higher_is_better: bool
) -> timeseries.Panel:
    """Draw `target` as a dashed threshold line, the bad side shaded."""
    return panel.thresholds(threshold_steps(target, higher_is_better)).thresholds_style(
        common_builders.GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED_AND_AREA)
    )


def with_band(panel: timeseries.Panel, upper: str, lower: str) -> timeseries.Panel:
    """Fill between the series named `upper` and `lower` (a band), both drawn thin."""
    band = [
        DynamicConfigValue(id_val="custom.fillBelowTo", value=lower),
        DynamicConfigValue(id_val="custom.fillOpacity", value=20),
        DynamicConfigValue(id_val="custom.lineWidth", value=0),
    ]
    return panel.override_by_name(upper, band).override_by_name(
        lower, [DynamicConfigValue(id_val="custom.lineWidth", value=0)]
    )


def single_stat(
    title: str,
    query: Query,
    *,
    unit: str = "short",
    width: int = 6,
    thresholds: dashboard_builders.ThresholdsConfig | None = None,
    description: str = "",
) -> stat.Panel:
    """A stat panel showing the last value of one query."""
    panel = (
        stat.Panel()
        .title(title)
        .datasource(PROMETHEUS)
        .unit(unit)
        .span(width)
        .height(HEIGHT)
        .with_target(_target("A", query))
    )
    if thresholds is not None:
        panel = panel.thresholds(thresholds)
    if description:
        panel = panel.description(description)
    return panel


def datasource_variable() -> dashboard_builders.DatasourceVariable:
    """The Prometheus the panels read: any of the Grafana's, the stack's own by default."""
    return (
        dashboard_builders.DatasourceVariable(DATASOURCE_VARIABLE)
        .label("Prometheus")
        .type("prometheus")
        .current(VariableOption(selected=True, text="Prometheus", value=PROMETHEUS_UID))
    )


def label_variable(
    name: str, label: str, metric: str, title: str, filters: str = ""
) -> dashboard_builders.QueryVariable:
    """A variable of the values `label` takes on `metric` (restricted by `filters`, matcher
    text such as `namespace=~"$namespace"`): several may be chosen, All by default."""
    series = f"{metric}{{{filters}}}" if filters else metric
    return (
        dashboard_builders.QueryVariable(name)
        .label(title)
        .datasource(PROMETHEUS)
        .query(f"label_values({series}, {label})")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(ALL)
        .current(VariableOption(selected=True, text="All", value="$__all"))
    )


def new_dashboard(
    uid: str, title: str, description: str, *, since: str = "6h"
) -> dashboard_builders.Dashboard:
    """A read-only dashboard with augur's tag, the last `since` shown, a 1m refresh, and the
    `datasource` variable."""
    return (
        dashboard_builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .readonly()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .time(f"now-{since}", "now")
        .refresh(REFRESH)
        .timezone("browser")
        .with_variable(datasource_variable())
    )


def state_timeline(
    title: str,
    queries: list[Query],
    states: dict[str, tuple[str, str]],
    *,
    width: int = 12,
    description: str = "",
) -> statetimeline.Panel:
    """A state timeline: each series as a band coloured by its state, `states` mapping each
    value to (text, colour)."""
    mapping = ValueMap(
        options={
            value: ValueMappingResult(text=text, color=colour, index=index)
            for index, (value, (text, colour)) in enumerate(states.items())
        }
    )
    panel = (
        statetimeline.Panel()
        .title(title)
        .datasource(PROMETHEUS)
        .unit("none")
        .span(width)
        .height(HEIGHT)
        .mappings([mapping])
        .show_value(VisibilityMode.NEVER)
    )
    if description:
        panel = panel.description(description)
    for index, query in enumerate(queries):
        panel = panel.with_target(_target(_ref_id(index), query))
    return panel


def with_sections(
    board: dashboard_builders.Dashboard, sections: list[Section]
) -> dashboard_builders.Dashboard:
    """Each section as a row heading followed by its panels (laid out left to right)."""
    for title, panels in sections:
        board = board.with_row(dashboard_builders.Row(title))
        for panel in panels:
            board = board.with_panel(panel)
    return board


def encode(board: dashboard_builders.Dashboard) -> Obj:
    """The dashboard as Grafana's JSON model, with every panel numbered (ids unique)."""
    data: Obj = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    for number, panel in enumerate(data.setdefault("panels", []), start=1):
        panel["id"] = number
    data.setdefault("templating", {}).setdefault("list", [])
    data.setdefault("annotations", {}).setdefault("list", [])
    return data


def dashboard_text(data: Obj) -> str:
    """The JSON file Grafana reads: stable key order, indented for review."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def bars(title: str, query: Query, *, unit: str = "short", width: int = 12) -> bargauge.Panel:
    """Horizontal bars of the latest value of each series (a per-dimension breakdown)."""
    return (
        bargauge.Panel()
        .title(title)
        .datasource(PROMETHEUS)
        .unit(unit)
        .span(width)
        .height(HEIGHT)
        .orientation(VizOrientation.HORIZONTAL)
        .with_target(_target("A", Query(query.expr, query.legend, instant=True)))
    )

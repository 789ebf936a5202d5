"""Business KPI dashboards: one row per KPI, one dashboard per Grafana folder the KPIs name.

Each row draws the recording rules of render/rules/kpi.py: the value against its target (a dashed
threshold line, the wrong side shaded), the achievement, and for ratio KPIs the error budget
left and the burn rate over each burn-rate window; with groupBy, each dimension's value."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from augur.api.resources import BusinessKPI
from augur.render.grafana.dashboards.panels import (
    Obj,
    PanelBuilder,
    Query,
    Section,
    bars,
    encode,
    graph,
    new_dashboard,
    single_stat,
    threshold_steps,
    with_sections,
    with_target_line,
)
from augur.render.rules.burnrate import burn_windows
from augur.render.rules.kpi import (
    ERROR_BUDGET_REMAINING,
    KPI_LABEL,
    VALUE,
    burn_rate_metric,
    kpi_problems,
)
from augur.render.rules.promql_text import number, selector

DEFAULT_FOLDER = "Business KPIs"
UNITS = {"ratio": "percentunit", "percent": "percent", "seconds": "s", "count": "short"}
"""Grafana units of the KPI units augur knows; any other unit is shown as a suffix."""


def _unit(unit: str | None) -> str:
    if not unit:
        return "short"
    if unit in UNITS:
        return UNITS[unit]
    if unit.startswith("currency:"):
        return f"currency{unit.removeprefix('currency:')}"
    return f"suffix: {unit}"


def kpi_selector_labels(kpi: BusinessKPI) -> dict[str, str]:
    """The labels that pick one KPI's recorded series (namespace and name)."""
    return {"namespace": kpi.namespace, KPI_LABEL: kpi.name}


def _higher_is_better(kpi: BusinessKPI) -> bool:
    return kpi.spec.objective.comparison in (">=", ">")


def _legend(kpi: BusinessKPI) -> str:
    dims = " ".join(f"{{{{{label}}}}}" for label in kpi.spec.group_by)
    return dims or "value"


def _achievement(kpi: BusinessKPI, value: str) -> Query:
    target = number(kpi.spec.objective.target)
    if _higher_is_better(kpi):
        return Query(f"min({value}) / {target}", "achievement")
    return Query(f"{target} / max({value})", "achievement")


def _ratio_panels(kpi: BusinessKPI, labels: dict[str, str]) -> list[PanelBuilder]:
    windows = [pair.long for pair in burn_windows(kpi.spec.objective.window)]
    burn = graph(
        "Burn rate (1 = budget spent exactly over the window)",
        [Query(f"max({selector(burn_rate_metric(w), labels)})", w) for w in windows],
        width=12,
    )
    return [
        single_stat(
            "Error budget remaining",
            Query(f"min({selector(ERROR_BUDGET_REMAINING, labels)})", "budget"),
            unit="percentunit",
            thresholds=threshold_steps(0, True),
        ),
        with_target_line(burn, 1, False),
    ]


def kpi_section(kpi: BusinessKPI) -> Section:
    """The row of one KPI."""
    spec = kpi.spec
    labels = kpi_selector_labels(kpi)
    value = selector(VALUE, labels)
    unit = _unit(spec.unit)
    higher = _higher_is_better(kpi)
    trend = graph(
        "Value vs target",
        [Query(value, _legend(kpi))],
        unit=unit,
        description=spec.description or "",
    )
    panels: list[PanelBuilder] = [
        with_target_line(trend, spec.objective.target, higher),
        single_stat(
            "Achievement",
            _achievement(kpi, value),
            unit="percentunit",
            thresholds=threshold_steps(1, True),
        ),
    ]
    if spec.indicator.ratio is not None:
        panels += _ratio_panels(kpi, labels)
    if spec.group_by:
        worst_first = "sort" if higher else "sort_desc"
        panels.append(
            bars(
                "Per " + ", ".join(spec.group_by),
                Query(f"{worst_first}({value})", _legend(kpi)),
                unit=unit,
            )
        )
    title = f"{spec.display_name or kpi.name} ({kpi.namespace}/{kpi.name}, {spec.objective.comparison} {number(spec.objective.target)} over {spec.objective.window})"
    return title, panels


def shown_kpis(kpis: Iterable[BusinessKPI]) -> list[BusinessKPI]:
    """KPIs that are on a dashboard: enabled, and rendered into rules (so their series exist)."""
    return [k for k in kpis if k.spec.dashboard.enabled and not kpi_problems(k.spec)]


def folder_slug(folder: str, taken: Iterable[str] = ()) -> str:
    """A short file-name-safe form of a folder name, not one of `taken`."""
    slug = re.sub(r"[^a-z0-9]+", "-", folder.lower())[:22].strip("-") or "folder"
    if slug in set(taken):
        slug = f"{slug}-{hashlib.sha256(folder.encode('utf-8')).hexdigest()[:6]}"
    return slug


def kpi_dashboards(kpis: Iterable[BusinessKPI]) -> dict[str, tuple[str, Obj]]:
    """KPI dashboards by folder slug: (folder name, dashboard). An empty one when no KPI."""
    by_folder: dict[str, list[BusinessKPI]] = {}
    for kpi in shown_kpis(kpis):
        by_folder.setdefault(kpi.spec.dashboard.folder, []).append(kpi)
    if not by_folder:
        by_folder[DEFAULT_FOLDER] = []
    result: dict[str, tuple[str, Obj]] = {}
    for folder, members in sorted(by_folder.items()):
        slug = folder_slug(folder, result)
        board = new_dashboard(
            f"augur-kpis-{slug}",
            folder,
            "Business KPIs: value against target, achievement, error budget and burn rate.",
        )
        result[slug] = (folder, encode(with_sections(board, [kpi_section(k) for k in members])))
    return result

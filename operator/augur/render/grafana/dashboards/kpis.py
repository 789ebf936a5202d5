"""Business KPI dashboards: one row per KPI, one dashboard per Grafana folder the KPIs name.

Each row draws the recording rules of render/rules/kpi.py: the value against its target (a dashed
threshold line, the wrong side shaded), the achievement, and for ratio KPIs the error budget
left and the burn rate over each burn-rate window; with groupBy, each dimension's value."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from augur.api.common import duration_seconds
from augur.api.resources import BusinessKPI
from augur.render.panels import (
    Obj,
    PanelBuilder,
    Query,
    Section,
    bars,
    encode,
    graph,
    label_variable,
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
UNITS = {
    "any": "short",
    "ratio": "percentunit",
    "percent": "percent",
    "seconds": "s",
    "count": "short",
}
"""Grafana units of the KPI units augur knows (`any`, the default, is a plain number)."""
CURRENCIES = frozenset(
    {"USD", "GBP", "EUR", "JPY", "RUB", "UAH", "BRL", "DKK", "ISK", "NOK", "SEK", "CZK"}
    | {"CHF", "PLN", "BTC", "ZAR", "INR", "KRW"}
)
"""Currencies Grafana has a unit of its own for (`currencyUSD`); others use `currency:`."""
CHOSEN = f'{KPI_LABEL}=~"$kpi"'
"""The matcher of the dashboard's `kpi` variable: a KPI not chosen shows no data."""


def grafana_unit(unit: str) -> str:
    """The Grafana unit of a KPI's unit: a known one, a currency, else the unit as a suffix."""
    if unit in UNITS:
        return UNITS[unit]
    if unit.startswith("currency:"):
        code = unit.removeprefix("currency:")
        return f"currency{code}" if code in CURRENCIES else f"currency:{code}"
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
        [Query(f"max({selector(burn_rate_metric(w), labels, CHOSEN)})", w) for w in windows],
        unit="none",
        width=12,
    )
    return [
        single_stat(
            "Error budget remaining",
            Query(f"min({selector(ERROR_BUDGET_REMAINING, labels, CHOSEN)})", "budget"),
            unit="percentunit",
            thresholds=threshold_steps(0, True),
        ),
        with_target_line(burn, 1, False),
    ]


def kpi_section(kpi: BusinessKPI) -> Section:
    """The row of one KPI."""
    spec = kpi.spec
    labels = kpi_selector_labels(kpi)
    value = selector(VALUE, labels, CHOSEN)
    unit = grafana_unit(spec.unit)
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
    """KPI dashboards by slug: (folder name, dashboard), one per Grafana folder and namespace
    (a team sees its own KPIs), showing the longest objective window of its KPIs. An empty
    one when there is no KPI."""
    groups: dict[tuple[str, str], list[BusinessKPI]] = {}
    for kpi in shown_kpis(kpis):
        groups.setdefault((kpi.spec.dashboard.folder, kpi.namespace), []).append(kpi)
    if not groups:
        groups[(DEFAULT_FOLDER, "")] = []
    result: dict[str, tuple[str, Obj]] = {}
    for (folder, namespace), members in sorted(groups.items()):
        slug = folder_slug(f"{folder} {namespace}".strip(), result)
        board = new_dashboard(
            f"augur-kpis-{slug}",
            f"{folder}: {namespace}" if namespace else folder,
            "Business KPIs: value against target, achievement, error budget and burn rate.",
            since=longest_window(members),
        )
        if namespace:
            board = board.with_variable(
                label_variable("kpi", KPI_LABEL, VALUE, "KPI", f'namespace="{namespace}"')
            )
        result[slug] = (folder, encode(with_sections(board, [kpi_section(k) for k in members])))
    return result


def longest_window(kpis: list[BusinessKPI]) -> str:
    """The longest objective window of `kpis` (a KPI is judged over its window, so that is
    the range its dashboard opens on); 6h without a KPI."""
    if not kpis:
        return "6h"
    seconds = max(int(duration_seconds(k.spec.objective.window)) for k in kpis)
    # Grafana's relative ranges take one unit (now-36h, not now-1d12h)
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"

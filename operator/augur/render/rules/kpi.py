"""A BusinessKPI's rules: SLI, error-budget and burn-rate recordings, and its alerts.

Every recorded series carries `augur_kpi` and `namespace` (plus the tenancy label), so KPIs
of the same name in different namespaces never collide and a tenant's own rules find them.
`augur_kpi:value:current` is the KPI's value for both kinds (a ratio KPI's: its SLI over the
objective window); `augur_kpi:objective:target` is the target, for Grafana to draw.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import promql_parser

from augur.api.businesskpi import BusinessKPISpec, RatioIndicator, substitute_window
from augur.api.common import RESERVED_LABELS, duration_seconds, format_duration
from augur.api.promql import parse_expression
from augur.api.resources import Problem
from augur.render.rules.alerts import Rule, returns_vector, with_timing
from augur.render.rules.burnrate import BurnWindow, burn_windows, sli_windows
from augur.render.rules.promql_text import decimal, enclosable, number, seconds, selector
from augur.render.rules.tenancy import RuleScope

KPI_LABEL = "augur_kpi"
POLICY_LABEL = "augur_policy"
VALUE = "augur_kpi:value:current"
TARGET = "augur_kpi:objective:target"
ERROR_BUDGET_REMAINING = "augur_kpi:error_budget_remaining:ratio"
BURN_ALERT = "KPIErrorBudgetBurn"
BREACH_ALERT = "KPIBreach"
FORECAST_ALERT = "KPIForecastBreach"

_WRONG_SIDE = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
_WORST = {">=": "min", ">": "min", "<=": "max", "<": "max"}


def error_ratio_metric(window: str) -> str:
    """Recorded error ratio over `window`, e.g. augur_kpi:sli_error_ratio:rate5m."""
    return f"augur_kpi:sli_error_ratio:rate{window}"


def burn_rate_metric(window: str) -> str:
    """Recorded burn rate over `window`, e.g. augur_kpi:burn_rate:rate1h."""
    return f"augur_kpi:burn_rate:rate{window}"


def kpi_problems(spec: BusinessKPISpec) -> list[Problem]:
    """What keeps a valid KPI from rendering: groupBy on a label augur sets."""
    return [
        Problem(f"spec.groupBy[{index}]", f"label {label!r} is reserved: augur sets it")
        for index, label in enumerate(spec.group_by)
        if label in RESERVED_LABELS
    ]


def kpi_labels(name: str, scope: RuleScope) -> dict[str, str]:
    """Labels of every series the KPI's recording rules produce."""
    return {**scope.tenant_labels, KPI_LABEL: name}


_KEEP_LABELS = frozenset({"topk", "bottomk", "limitk", "limit_ratio", "count_values"})


def grouped_within(expr: str, labels: list[str]) -> bool:
    """True when `expr` is an aggregation whose result keeps only (some of) `labels`."""
    node: Any = parse_expression(expr)
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if not isinstance(node, promql_parser.AggregateExpr) or str(node.op) in _KEEP_LABELS:
        return False
    modifier = node.modifier
    if modifier is None:
        return True
    return bool(modifier.type == promql_parser.AggModifierType.By) and set(modifier.labels) <= set(
        labels
    )


def _aggregate(function: str, spec: BusinessKPISpec, expr: str, shape: str | None = None) -> str:
    """`function by (groupBy) (expr)`: one series per dimension; scalars become vectors.

    An expression already aggregated to (part of) groupBy is taken as it is. `shape` is the
    expression whose type decides (the same query with another window has the same type).
    """
    shape = expr if shape is None else shape
    if not returns_vector(shape):
        return f"vector({enclosable(expr)})"
    if grouped_within(shape, spec.group_by):
        return enclosable(expr)
    expr = enclosable(expr)
    if not spec.group_by:
        return f"{function}({expr})"
    return f"{function} by ({', '.join(spec.group_by)}) ({expr})"


# A duration no one writes: the query is restricted once with it, then given each window.
_SENTINEL_WINDOW = "918273645s"


def _ratio_sums(
    ratio: RatioIndicator, spec: BusinessKPISpec, restrict: Callable[[str], str], window: str
) -> tuple[str, str]:
    """The good and total queries over `window`, restricted, summed per groupBy dimension."""
    sums = []
    for query in (ratio.good, ratio.total):
        shape = substitute_window(query, "5m")
        windowed = restrict(substitute_window(query, window))
        sums.append(_aggregate("sum", spec, windowed, shape))
    return sums[0], sums[1]


def _error_ratio_template(ratio: RatioIndicator, spec: BusinessKPISpec, scope: RuleScope) -> str:
    """The error-ratio expression with the sentinel where each window goes."""
    if _SENTINEL_WINDOW in ratio.good + ratio.total:
        raise ValueError(f"{_SENTINEL_WINDOW} may not appear in a ratio query")
    good, total = _ratio_sums(ratio, spec, scope.restrict, _SENTINEL_WINDOW)
    return f"1 - (({good}) / ({total}))"


def _worst_value(spec: BusinessKPISpec, restrict: Callable[[str], str]) -> str:
    """A value KPI's worst series of each groupBy dimension."""
    assert spec.indicator.value is not None
    worst = _WORST[spec.objective.comparison]
    return _aggregate(worst, spec, restrict(spec.indicator.value))


def kpi_status_query(spec: BusinessKPISpec, scope: RuleScope | None = None) -> str:
    """The KPI's value now, one series per groupBy dimension, for its status: built by the
    code of its recording rules. A ratio KPI's good over total, each summed over the objective
    window; a value KPI's worst series of each dimension. `scope` restricts the user's queries
    as the rules' scope does (None: not restricted)."""
    restrict = scope.restrict if scope is not None else _unrestricted
    ratio = spec.indicator.ratio
    if ratio is not None:
        good, total = _ratio_sums(ratio, spec, restrict, spec.objective.window)
        return f"({good}) / ({total})"
    return _worst_value(spec, restrict)


def _unrestricted(expr: str) -> str:
    return expr


def ratio_recording_rules(name: str, spec: BusinessKPISpec, scope: RuleScope) -> list[Rule]:
    """SLI error ratios per window, the objective window's (from the shortest), budget, burn."""
    ratio = spec.indicator.ratio
    assert ratio is not None
    labels = kpi_labels(name, scope)
    windows = sli_windows(spec.objective.window)
    objective = spec.objective.window
    budget = number(1 - decimal(spec.objective.target))
    template = _error_ratio_template(ratio, spec, scope)
    rules: list[Rule] = [
        {
            "record": error_ratio_metric(w),
            "expr": template.replace(_SENTINEL_WINDOW, w),
            "labels": labels,
        }
        for w in windows
    ]
    shortest = selector(error_ratio_metric(windows[0]), labels)
    over_window = selector(error_ratio_metric(objective), labels)
    rules += [
        {
            "record": error_ratio_metric(objective),
            "expr": f"avg_over_time({shortest}[{objective}])",
            "labels": labels,
        },
        {"record": VALUE, "expr": f"1 - {over_window}", "labels": labels},
        {
            "record": ERROR_BUDGET_REMAINING,
            "expr": f"1 - {over_window} / {budget}",
            "labels": labels,
        },
    ]
    rules += [
        {
            "record": burn_rate_metric(w),
            "expr": f"{selector(error_ratio_metric(w), labels)} / {budget}",
            "labels": labels,
        }
        for w in windows
    ]
    return rules


def value_recording_rules(name: str, spec: BusinessKPISpec, scope: RuleScope) -> list[Rule]:
    """The KPI's value per dimension: the worst series of each dimension."""
    expr = _worst_value(spec, scope.restrict)
    return [{"record": VALUE, "expr": expr, "labels": kpi_labels(name, scope)}]


def target_rule(name: str, spec: BusinessKPISpec, scope: RuleScope) -> Rule:
    """The target as a series."""
    return {
        "record": TARGET,
        "expr": f"vector({number(spec.objective.target)})",
        "labels": kpi_labels(name, scope),
    }


def _alert_labels(
    name: str, spec: BusinessKPISpec, severity: str, scope: RuleScope
) -> dict[str, str]:
    """severity, the KPI's labels, augur_policy when the alerts share a policy's routing
    (`alerting.policyRef`: the policy's route subtree selects them by namespace and
    augur_policy, so it can only be a policy of the KPI's namespace), the user's labels."""
    labels = {"severity": severity, **kpi_labels(name, scope)}
    if spec.alerting.policy_ref is not None:
        labels[POLICY_LABEL] = spec.alerting.policy_ref.name
    return {**labels, **scope.user_labels(spec.alerting.labels)}


def _title(name: str, spec: BusinessKPISpec) -> str:
    return spec.display_name or name


def burn_rate_alert(name: str, spec: BusinessKPISpec, pair: BurnWindow, scope: RuleScope) -> Rule:
    """Fires while both windows of the pair burn the budget faster than the pair's rate."""
    labels = kpi_labels(name, scope)
    threshold = pair.rate_text
    long = selector(burn_rate_metric(pair.long), labels)
    short = selector(burn_rate_metric(pair.short), labels)
    severity = (
        spec.alerting.burn_rate.page_severity
        if pair.kind == "page"
        else spec.alerting.burn_rate.ticket_severity
    )
    window = spec.objective.window
    share = number((pair.budget_share(window) * 100).quantize(Decimal("0.01")))
    rule: Rule = {"alert": BURN_ALERT, "expr": f"{long} > {threshold} and {short} > {threshold}"}
    with_timing(rule, pair.for_, None)
    rule["labels"] = {
        **_alert_labels(name, spec, severity, scope),
        "long_window": pair.long,
        "short_window": pair.short,
        "burn_rate_threshold": threshold,
    }
    rule["annotations"] = {
        "summary": (
            f'{_title(name, spec)} burns its error budget {{{{ $value | printf "%.1f" }}}}× '
            f"as fast as the {window} objective allows"
        ),
        "description": (
            f"Over {pair.long} (and {pair.short}) the error ratio of {scope.namespace}/{name} is "
            f'{{{{ $value | printf "%.1f" }}}} times its budget (objective '
            f"{number(spec.objective.target)} over {window}); this alert fires at {threshold}×, "
            f"when {share}% of the budget is spent in {pair.long}."
        ),
    }
    return rule


def breach_alert(name: str, spec: BusinessKPISpec, scope: RuleScope) -> Rule:
    """Fires while the KPI's value is on the wrong side of the target for `for`."""
    breach = spec.alerting.breach
    assert breach is not None
    target = number(spec.objective.target)
    wrong = _WRONG_SIDE[spec.objective.comparison]
    rule: Rule = {
        "alert": BREACH_ALERT,
        "expr": f"{selector(VALUE, kpi_labels(name, scope))} {wrong} {target}",
    }
    with_timing(rule, breach.for_, None)
    rule["labels"] = _alert_labels(name, spec, breach.severity, scope)
    rule["annotations"] = {
        "summary": f"{_title(name, spec)} misses its objective",
        "description": (
            f"{scope.namespace}/{name} is {{{{ $value }}}}; the objective is "
            f"{spec.objective.comparison} {target}."
        ),
    }
    return rule


def forecast_lookback(horizon: str) -> str:
    """The trend is fitted over a quarter of the horizon (at least 5m, whole minutes)."""
    quarter = max(round(duration_seconds(horizon) / 4 / 60) * 60, 300)
    return format_duration(quarter)


def forecast_breach_alert(name: str, spec: BusinessKPISpec, scope: RuleScope) -> Rule:
    """Fires while the linear trend crosses the target within the horizon (and has not yet)."""
    forecast = spec.alerting.forecast_breach
    assert forecast is not None
    labels = kpi_labels(name, scope)
    value = selector(VALUE, labels)
    target = number(spec.objective.target)
    comparison = spec.objective.comparison
    lookback = forecast_lookback(forecast.horizon)
    trend = f"predict_linear({value}[{lookback}], {seconds(forecast.horizon)})"
    rule: Rule = {
        "alert": FORECAST_ALERT,
        "expr": f"{trend} {_WRONG_SIDE[comparison]} {target} and {value} {comparison} {target}",
    }
    hold = min(max(duration_seconds(forecast.horizon) / 10, 300), 3600)
    with_timing(rule, format_duration(round(hold / 60) * 60), None)
    rule["labels"] = {
        **_alert_labels(name, spec, forecast.severity, scope),
        "horizon": forecast.horizon,
    }
    rule["annotations"] = {
        "summary": f"{_title(name, spec)} will miss its objective within {forecast.horizon}",
        "description": (
            f"The trend of {scope.namespace}/{name} over the last {lookback} reaches "
            f"{{{{ $value }}}} in {forecast.horizon}; the objective is {comparison} {target}."
        ),
    }
    return rule


def kpi_rules(name: str, spec: BusinessKPISpec, scope: RuleScope) -> list[Rule]:
    """Every rule of the KPI, recordings first (a group evaluates its rules in order)."""
    rules = [target_rule(name, spec, scope)]
    if spec.indicator.ratio is not None:
        rules += ratio_recording_rules(name, spec, scope)
        if spec.alerting.burn_rate.enabled:
            rules += [
                burn_rate_alert(name, spec, pair, scope)
                for pair in burn_windows(spec.objective.window)
            ]
    else:
        rules += value_recording_rules(name, spec, scope)
    if spec.alerting.breach is not None:
        rules.append(breach_alert(name, spec, scope))
    if spec.alerting.forecast_breach is not None:
        rules.append(forecast_breach_alert(name, spec, scope))
    return rules

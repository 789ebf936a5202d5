"""Anomaly alerts: recording rules for a usual band around a series, and an alert outside it.

zscore: mean ± k·σ; robust: median ± k·1.4826·MAD (the factor makes MAD comparable to σ for
normal data). With seasonality 1d/1w the band is taken from the same time one period back
(a window centred there), as in the published Prometheus anomaly-detection rule sets, so a
daily or weekly pattern that repeats stays inside its band. The bands are recorded series
(`augur_anomaly:value:upper_band` / `lower_band`) that Grafana can draw.
"""

from __future__ import annotations

from augur.api.alertpolicy import Alert, AlertPolicySpec, Anomaly
from augur.api.common import duration_seconds, format_duration
from augur.render.rules.alerts import Rule, alert_rule, keep_series_namespace
from augur.render.rules.promql_text import number, selector
from augur.render.rules.tenancy import RuleScope

CURRENT = "augur_anomaly:value:current"
MEDIAN = "augur_anomaly:value:median"
ABS_DEVIATION = "augur_anomaly:value:abs_deviation"
BASELINE = "augur_anomaly:value:baseline"
SPREAD = "augur_anomaly:value:spread"
UPPER_BAND = "augur_anomaly:value:upper_band"
LOWER_BAND = "augur_anomaly:value:lower_band"

ANOMALY_LABEL = "augur_anomaly"
MAD_TO_SIGMA = "1.4826"
_PERIODS = {"1d": 86400.0, "1w": 604800.0}


def anomaly_labels(name: str, alert: Alert, scope: RuleScope) -> dict[str, str]:
    """Labels of the alert's recorded series: the tenant's, the policy, the alert."""
    return {**scope.tenant_labels, "augur_policy": name, ANOMALY_LABEL: alert.name}


def history_offset(anomaly: Anomaly) -> str | None:
    """Offset of the window one period back, centred on the same time; None without seasonality."""
    period = _PERIODS.get(anomaly.seasonality)
    if period is None:
        return None
    half_window = duration_seconds(anomaly.window) / 2
    return format_duration(period - half_window if half_window < period else period)


def _over_history(function: str, series: str, anomaly: Anomaly) -> str:
    """`function(series[window] offset …)`; `function` may carry a leading parameter."""
    offset = history_offset(anomaly)
    shift = f" offset {offset}" if offset else ""
    return f"{function}{series}[{anomaly.window}]{shift})"


def band_recording_rules(name: str, alert: Alert, scope: RuleScope) -> list[Rule]:
    """The recording rules from the watched series to its upper and lower band."""
    anomaly = alert.anomaly
    assert anomaly is not None
    labels = anomaly_labels(name, alert, scope)
    current = selector(CURRENT, labels)
    query = keep_series_namespace(scope.restrict(anomaly.query), scope)
    rules: list[Rule] = [{"record": CURRENT, "expr": query, "labels": labels}]
    if anomaly.algorithm == "zscore":
        baseline = _over_history("avg_over_time(", current, anomaly)
        spread = _over_history("stddev_over_time(", current, anomaly)
    else:
        rules.append(
            {
                "record": MEDIAN,
                "expr": f"quantile_over_time(0.5, {current}[{anomaly.window}])",
                "labels": labels,
            }
        )
        rules.append(
            {
                "record": ABS_DEVIATION,
                "expr": f"abs({current} - {selector(MEDIAN, labels)})",
                "labels": labels,
            }
        )
        baseline = _over_history("quantile_over_time(0.5, ", current, anomaly)
        mad = _over_history("quantile_over_time(0.5, ", selector(ABS_DEVIATION, labels), anomaly)
        spread = f"{MAD_TO_SIGMA} * {mad}"
    k = number(anomaly.sensitivity)
    band_base, band_spread = selector(BASELINE, labels), selector(SPREAD, labels)
    rules += [
        {"record": BASELINE, "expr": baseline, "labels": labels},
        {"record": SPREAD, "expr": spread, "labels": labels},
        {"record": UPPER_BAND, "expr": f"{band_base} + {k} * {band_spread}", "labels": labels},
        {"record": LOWER_BAND, "expr": f"{band_base} - {k} * {band_spread}", "labels": labels},
    ]
    return rules


def anomaly_condition(name: str, alert: Alert, scope: RuleScope) -> str:
    """The alert's condition: the series outside its band (on the watched side)."""
    anomaly = alert.anomaly
    assert anomaly is not None
    labels = anomaly_labels(name, alert, scope)
    current = selector(CURRENT, labels)
    above = f"{current} > {selector(UPPER_BAND, labels)}"
    below = f"{current} < {selector(LOWER_BAND, labels)}"
    condition = {"above": above, "below": below, "both": f"({above}) or ({below})"}[
        anomaly.direction
    ]
    if anomaly.minimum is None:
        return condition
    # A series matters when it, or what it usually is, reaches the minimum: a drop of a busy
    # series to zero still alerts, a blip of a quiet one does not.
    minimum = number(anomaly.minimum)
    usual = selector(BASELINE, labels)
    return f"({condition}) and ({current} >= {minimum} or {usual} >= {minimum})"


def anomaly_rules(name: str, spec: AlertPolicySpec, alert: Alert, scope: RuleScope) -> list[Rule]:
    """The band's recording rules followed by the alert."""
    condition = anomaly_condition(name, alert, scope)
    return [
        *band_recording_rules(name, alert, scope),
        alert_rule(name, spec, alert, condition, scope),
    ]

"""The scaling metrics one evaluation sets, as the scaling dashboard reads them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from augur.metrics import OperatorMetrics
from augur.render.grafana.dashboards.scaling import (
    CURRENT_REPLICAS,
    FORECAST_VALUE,
    POLICY_LABEL,
    QUANTILE_LABEL,
    RECOMMENDED_REPLICAS,
)
from augur.scaling.report import PolicyMetricValues


def _values(**overrides: object) -> PolicyMetricValues:
    fields: dict[str, object] = {
        "recommended_replicas": 12,
        "current_replicas": 9,
        "applied_min_replicas": 12,
        "forecast": (("0.5", 100.0), ("0.9", 110.0), ("0.1", 90.0)),
        "healthy": True,
        "mase": 0.7,
        "coverage": 0.9,
        "evaluated_at": 1_700_000_000.0,
        "result": "Evaluated",
    }
    fields.update(overrides)
    return PolicyMetricValues(**fields)  # type: ignore[arg-type]


def _lines(registry: CollectorRegistry) -> set[str]:
    text = generate_latest(registry).decode()
    return {
        line for line in text.splitlines() if line.startswith(("augur_forecast", "augur_scaling"))
    }


def test_one_series_per_policy_named_as_the_dashboard_reads_them() -> None:
    metrics = OperatorMetrics.create(CollectorRegistry())
    metrics.scaling.record("shop", "web", _values())
    lines = _lines(metrics.registry)
    policy = f'namespace="shop",{POLICY_LABEL}="web"'
    assert f"{RECOMMENDED_REPLICAS}{{{policy}}} 12.0" in lines
    assert f"{CURRENT_REPLICAS}{{{policy}}} 9.0" in lines
    for quantile, value in (("0.5", "100.0"), ("0.9", "110.0"), ("0.1", "90.0")):
        # the exposition sorts labels by name
        labels = f'namespace="shop",{QUANTILE_LABEL}="{quantile}",{POLICY_LABEL}="web"'
        assert f"{FORECAST_VALUE}{{{labels}}} {value}" in lines
    assert f"augur_scaling_applied_min_replicas{{{policy}}} 12.0" in lines
    assert f"augur_scaling_forecast_healthy{{{policy}}} 1.0" in lines
    assert f"augur_scaling_forecast_mase{{{policy}}} 0.7" in lines
    assert f"augur_scaling_last_evaluation_timestamp_seconds{{{policy}}} 1.7e+09" in lines
    assert 'augur_scaling_evaluations_total{result="Evaluated"} 1.0' in lines


def test_values_that_are_gone_drop_their_series() -> None:
    metrics = OperatorMetrics.create(CollectorRegistry())
    metrics.scaling.record("shop", "web", _values())
    metrics.scaling.record(
        "shop",
        "web",
        _values(
            recommended_replicas=None,
            applied_min_replicas=None,
            forecast=(("0.5", 100.0), ("0.95", 120.0), ("0.05", 80.0)),
            healthy=False,
        ),
    )
    text = "\n".join(sorted(_lines(metrics.registry)))
    assert RECOMMENDED_REPLICAS + "{" not in text
    assert "augur_scaling_applied_min_replicas{" not in text
    assert 'quantile="0.9"' not in text and 'quantile="0.95"' in text
    assert 'augur_scaling_forecast_healthy{namespace="shop",scaling_policy="web"} 0.0' in text


def test_a_deleted_policy_leaves_no_series() -> None:
    metrics = OperatorMetrics.create(CollectorRegistry())
    metrics.scaling.record("shop", "web", _values())
    metrics.scaling.record("shop", "api", _values())
    metrics.scaling.forget("shop", "web")
    text = "\n".join(_lines(metrics.registry))
    assert 'scaling_policy="web"' not in text
    assert 'scaling_policy="api"' in text

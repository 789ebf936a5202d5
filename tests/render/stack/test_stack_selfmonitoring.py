"""Self-monitoring rules fire on the metric that shows each failure, and stay quiet without it
(`promtool test rules` on the rendered rule file)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from stackhelpers import inputs_from_yaml, render_spec, stack_yaml

from augur.render.prometheus.selfmonitoring import (
    SELF_MONITORING_FILE,
    SelfAlert,
    self_monitoring_alerts,
)

Run = Callable[..., str]

P = {"job": "augur/prometheus", "pod": "platform-prometheus-0", "namespace": "monitoring"}
A = {"job": "augur/alertmanager", "pod": "platform-alertmanager-0", "namespace": "monitoring"}
RW = {**P, "url": "https://mimir.example.com/api/v1/push"}
AM_URL = {**P, "alertmanager": "http://10.0.0.5:9093/api/v2/alerts"}
TARGET = {"job": "backend", "instance": "10.0.0.1:9100", "namespace": "shop"}

Case = tuple[str, list[tuple[str, dict[str, str], str, str]], str, dict[str, str]]
"""alert, [(metric, labels, failing values, healthy values)], eval time, alert labels."""

CASES: list[Case] = [
    ("Watchdog", [], "1m", {"severity": "none"}),
    (
        "PrometheusRuleEvaluationFailures",
        [("prometheus_rule_evaluation_failures_total", {**P, "rule_group": "g"}, "0+1x20", "0x20")],
        "15m",
        {**P, "rule_group": "g"},
    ),
    (
        "PrometheusConfigReloadFailed",
        [("prometheus_config_last_reload_successful", P, "0x30", "1x30")],
        "20m",
        P,
    ),
    ("TargetDown", [("up", TARGET, "0x20", "1x20")], "15m", TARGET),
    *(
        (name, [(metric, P, "0 0 0 1 1 1", "0x5")], "5m", P)
        for name, metric in (
            ("PrometheusTSDBCompactionsFailing", "prometheus_tsdb_compactions_failed_total"),
            ("PrometheusTSDBReloadsFailing", "prometheus_tsdb_reloads_failures_total"),
            (
                "PrometheusTSDBHeadTruncationsFailing",
                "prometheus_tsdb_head_truncations_failed_total",
            ),
            ("PrometheusWALCorruptions", "prometheus_tsdb_wal_corruptions_total"),
            ("PrometheusWALWritesFailing", "prometheus_tsdb_wal_writes_failed_total"),
        )
    ),
    (
        "PrometheusNotConnectedToAlertmanagers",
        [("prometheus_notifications_alertmanagers_discovered", P, "0x30", "1x30")],
        "20m",
        P,
    ),
    (
        "PrometheusNotificationsFailing",
        [
            ("prometheus_notifications_errors_total", AM_URL, "0+5x30", "0x30"),
            ("prometheus_notifications_sent_total", AM_URL, "0+10x30", "0+10x30"),
        ],
        "20m",
        AM_URL,
    ),
    (
        "AlertmanagerConfigReloadFailed",
        [("alertmanager_config_last_reload_successful", A, "0x30", "1x30")],
        "20m",
        A,
    ),
    (
        "AlertmanagerNotificationsFailing",
        [
            (
                "alertmanager_notifications_failed_total",
                {**A, "integration": "slack"},
                "0+5x20",
                "0x20",
            ),
            (
                "alertmanager_notifications_total",
                {**A, "integration": "slack"},
                "0+10x20",
                "0+10x20",
            ),
        ],
        "15m",
        {**A, "integration": "slack"},
    ),
    (
        "PrometheusRemoteWriteFailing",
        [("prometheus_remote_storage_samples_failed_total", RW, "0+10x30", "0x30")],
        "25m",
        RW,
    ),
]

SPEC: dict[str, Any] = {
    "prometheus": {"remoteWrite": [{"url": "https://mimir.example.com/api/v1/push"}]}
}


def _series(metric: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{metric}{{{inner}}}"


def _test(case: Case, failing: bool) -> dict[str, Any]:
    alert, series, at, labels = case
    severity = next(a.severity for a in self_monitoring_alerts_all() if a.name == alert)
    expected = [{"exp_labels": {**labels, "severity": severity}}] if failing else []
    return {
        "name": f"{alert} {'fires' if failing else 'stays quiet'}",
        "interval": "1m",
        "input_series": [
            {"series": _series(metric, lbls), "values": bad if failing else good}
            for metric, lbls, bad, good in series
        ],
        "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": expected}],
    }


def self_monitoring_alerts_all() -> list[SelfAlert]:
    return self_monitoring_alerts(inputs_from_yaml(stack_yaml(SPEC)).stack)


def test_every_alert_has_a_case() -> None:
    assert {a.name for a in self_monitoring_alerts_all()} == {c[0] for c in CASES}


@pytest.mark.tools
def test_each_alert_fires_on_its_failure(run_promtool: Run, tmp_path: Path) -> None:
    rules = yaml.safe_load(render_spec(SPEC).files[SELF_MONITORING_FILE])
    for rule in rules["groups"][0]["rules"]:
        rule.pop("annotations")  # tested by their own check below; promtool compares them
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    tests = [
        _test(case, failing)
        for case in CASES
        for failing in (True, False)
        if failing or case[0] != "Watchdog"  # it always fires: that is its purpose
    ]
    unit = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(unit))
    run_promtool("test", "rules", str(tmp_path / "tests.yaml"))


@pytest.mark.tools
def test_rule_file_passes_promtool_check(run_promtool: Run, tmp_path: Path) -> None:
    path = tmp_path / "self.yaml"
    path.write_text(render_spec(SPEC).files[SELF_MONITORING_FILE])
    run_promtool("check", "rules", str(path))


def test_alerts_follow_the_enabled_components() -> None:
    def names(spec: dict[str, Any]) -> set[str]:
        text = render_spec(spec).files[SELF_MONITORING_FILE]
        return {rule["alert"] for rule in yaml.safe_load(text)["groups"][0]["rules"]}

    every = names(SPEC)
    assert every - names({"alertmanager": {"enabled": False}}) == {
        "PrometheusNotConnectedToAlertmanagers",
        "PrometheusNotificationsFailing",
        "AlertmanagerConfigReloadFailed",
        "AlertmanagerNotificationsFailing",
        "PrometheusRemoteWriteFailing",
    }
    assert every - names({}) == {"PrometheusRemoteWriteFailing"}
    assert SELF_MONITORING_FILE not in render_spec({"prometheus": {"enabled": False}}).files


def test_no_policy_label_so_the_default_receiver_takes_them() -> None:
    rules = yaml.safe_load(render_spec(SPEC).files[SELF_MONITORING_FILE])["groups"][0]["rules"]
    for rule in rules:
        assert "augur_policy" not in rule["labels"]
        assert rule["labels"]["severity"] != "info"  # info is held back by the top route

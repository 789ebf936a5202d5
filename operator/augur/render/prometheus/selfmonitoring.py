"""Rules every stack gets about itself, routed to its defaultReceiver.

A Watchdog that always fires (for dead-man's-switch services), and alerts on the metric that
shows each failure: rule evaluation, configuration reloads, notifications, scrape targets,
the TSDB and its WAL, remote write. They carry no `augur_policy` label, so no policy's route
takes them and Alertmanager's top route delivers them to the defaultReceiver; the Watchdog
alone (severity `none`) has a route of its own, to the watchdogReceiver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from augur.api.resources import MonitoringStack
from augur.render.prometheus.config import ALERTMANAGER_JOB, PROMETHEUS_JOB
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

SELF_MONITORING_FILE = "prometheus/rules/augur-self-monitoring.yaml"
GROUP_NAME = "augur-self-monitoring"

P = f'job="{PROMETHEUS_JOB}"'
A = f'job="{ALERTMANAGER_JOB}"'


@dataclass(frozen=True)
class SelfAlert:
    """One self-monitoring alert."""

    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str

    def rule(self) -> dict[str, Any]:
        """The alerting rule as Prometheus reads it."""
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if self.for_ != "0s":
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity}
        rule["annotations"] = {"summary": self.summary, "description": self.description}
        return rule


WATCHDOG = SelfAlert(
    "Watchdog",
    "vector(1)",
    "0s",
    "none",
    "Always firing: the alerting pipeline works",
    "Fires as long as Prometheus evaluates rules and reaches Alertmanager. Route it to a "
    "dead-man's-switch service, which raises the alarm when it stops arriving.",
)

PROMETHEUS_ALERTS = (
    SelfAlert(
        "PrometheusRuleEvaluationFailures",
        f"increase(prometheus_rule_evaluation_failures_total{{{P}}}[5m]) > 0",
        "5m",
        "high",
        "Prometheus fails to evaluate rules",
        "{{ $labels.pod }} failed {{ $value | humanize }} rule evaluations of group "
        "{{ $labels.rule_group }} in the last 5 minutes.",
    ),
    SelfAlert(
        "PrometheusConfigReloadFailed",
        f"max_over_time(prometheus_config_last_reload_successful{{{P}}}[5m]) == 0",
        "10m",
        "high",
        "Prometheus cannot load its new configuration",
        "{{ $labels.pod }} keeps running its previous configuration: the last reload failed.",
    ),
    SelfAlert(
        "TargetDown",
        "up == 0",
        "10m",
        "medium",
        "A scrape target is down",
        "{{ $labels.job }} target {{ $labels.instance }} has not been scraped successfully "
        "for 10 minutes.",
    ),
    SelfAlert(
        "PrometheusTSDBCompactionsFailing",
        f"increase(prometheus_tsdb_compactions_failed_total{{{P}}}[3h]) > 0",
        "0s",
        "high",
        "Prometheus fails to compact its TSDB",
        "{{ $labels.pod }} had {{ $value | humanize }} failed compactions in 3 hours.",
    ),
    SelfAlert(
        "PrometheusTSDBReloadsFailing",
        f"increase(prometheus_tsdb_reloads_failures_total{{{P}}}[3h]) > 0",
        "0s",
        "high",
        "Prometheus fails to reload TSDB blocks from disk",
        "{{ $labels.pod }} had {{ $value | humanize }} failed block reloads in 3 hours.",
    ),
    SelfAlert(
        "PrometheusTSDBHeadTruncationsFailing",
        f"increase(prometheus_tsdb_head_truncations_failed_total{{{P}}}[3h]) > 0",
        "0s",
        "high",
        "Prometheus fails to truncate its in-memory head",
        "{{ $labels.pod }} had {{ $value | humanize }} failed head truncations in 3 hours.",
    ),
    SelfAlert(
        "PrometheusWALCorruptions",
        f"increase(prometheus_tsdb_wal_corruptions_total{{{P}}}[3h]) > 0",
        "0s",
        "high",
        "Prometheus found a corrupt write-ahead log",
        "{{ $labels.pod }} detected {{ $value | humanize }} WAL corruptions in 3 hours.",
    ),
    SelfAlert(
        "PrometheusWALWritesFailing",
        f"increase(prometheus_tsdb_wal_writes_failed_total{{{P}}}[5m]) > 0",
        "0s",
        "high",
        "Prometheus cannot write its write-ahead log",
        "{{ $labels.pod }} failed {{ $value | humanize }} WAL writes in 5 minutes: samples "
        "may be lost (disk full or failing?).",
    ),
)

ALERTMANAGER_ALERTS = (
    SelfAlert(
        "PrometheusNotConnectedToAlertmanagers",
        f"max_over_time(prometheus_notifications_alertmanagers_discovered{{{P}}}[5m]) < 1",
        "10m",
        "high",
        "Prometheus finds no Alertmanager",
        "{{ $labels.pod }} has discovered no Alertmanager to send alerts to.",
    ),
    SelfAlert(
        "PrometheusNotificationsFailing",
        f"rate(prometheus_notifications_errors_total{{{P}}}[5m]) "
        f"/ rate(prometheus_notifications_sent_total{{{P}}}[5m]) > 0.01",
        "10m",
        "high",
        "Prometheus fails to send alerts to Alertmanager",
        "{{ $labels.pod }} fails to send {{ $value | humanizePercentage }} of its alerts to "
        "{{ $labels.alertmanager }}.",
    ),
    SelfAlert(
        "AlertmanagerConfigReloadFailed",
        f"max_over_time(alertmanager_config_last_reload_successful{{{A}}}[5m]) == 0",
        "10m",
        "high",
        "Alertmanager cannot load its new configuration",
        "{{ $labels.pod }} keeps running its previous configuration: the last reload failed.",
    ),
    SelfAlert(
        "AlertmanagerNotificationsFailing",
        f"rate(alertmanager_notifications_failed_total{{{A}}}[5m]) "
        f"/ rate(alertmanager_notifications_total{{{A}}}[5m]) > 0.01",
        "5m",
        "high",
        "Alertmanager fails to deliver notifications",
        "{{ $labels.pod }} fails {{ $value | humanizePercentage }} of its "
        "{{ $labels.integration }} notifications.",
    ),
)

REMOTE_WRITE_ALERT = SelfAlert(
    "PrometheusRemoteWriteFailing",
    f"rate(prometheus_remote_storage_samples_failed_total{{{P}}}[5m]) > 0",
    "15m",
    "high",
    "Prometheus fails to send samples to remote storage",
    "{{ $labels.pod }} fails to send samples to {{ $labels.url }}.",
)


def self_monitoring_alerts(stack: MonitoringStack) -> list[SelfAlert]:
    """The alerts that apply to the stack's enabled components."""
    alerts = [WATCHDOG, *PROMETHEUS_ALERTS]
    if stack.spec.alertmanager.enabled:
        alerts += ALERTMANAGER_ALERTS
    if stack.spec.prometheus.remote_write:
        alerts.append(REMOTE_WRITE_ALERT)
    return alerts


def render_self_monitoring(stack: MonitoringStack) -> dict[str, str]:
    """The self-monitoring rule file by its output path (nothing without Prometheus)."""
    if not stack.spec.prometheus.enabled:
        return {}
    rules = [alert.rule() for alert in self_monitoring_alerts(stack)]
    document = {"groups": [{"name": GROUP_NAME, "rules": rules}]}
    return {SELF_MONITORING_FILE: GENERATED_HEADER + dump_yaml(document)}

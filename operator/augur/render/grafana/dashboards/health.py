"""The stack's own health: scrape targets, rule evaluation, reloads, notifications, the TSDB
and Jaeger's span intake, from the metrics Prometheus scrapes of the stack's programs."""

from __future__ import annotations

from augur.api.resources import MonitoringStack
from augur.render.k8s.labels import scrape_job_name
from augur.render.panels import (
    Obj,
    PanelBuilder,
    Query,
    Section,
    encode,
    graph,
    new_dashboard,
    state_timeline,
    with_sections,
)

UID = "augur-stack-health"
FILE = "stack-health.json"

"""The scrape job of the stack's Jaeger (its collector telemetry on the metrics port)."""

P = f'job="{scrape_job_name("prometheus")}"'
A = f'job="{scrape_job_name("alertmanager")}"'
J = f'job="{scrape_job_name("jaeger")}"'


def _prometheus_panels() -> list[Section]:
    return [_targets_section(), _rules_section(), _tsdb_section()]


def _targets_section() -> Section:
    return (
        "Scrape targets",
        [
            graph("Targets up", [Query("sum by (job) (up)", "{{job}}")], unit="none"),
            graph("Targets down", [Query("count by (job) (up == 0)", "{{job}}")], unit="none"),
        ],
    )


def _rules_section() -> Section:
    return (
        "Rule evaluation",
        [
            graph(
                "Rule evaluation failures",
                [Query(f"sum(rate(prometheus_rule_evaluation_failures_total{{{P}}}[5m]))")],
                unit="ops",
            ),
            graph(
                "Slowest rule group (share of its interval)",
                [
                    Query(
                        f"max(prometheus_rule_group_last_duration_seconds{{{P}}} "
                        f"/ prometheus_rule_group_interval_seconds{{{P}}})",
                        "slowest group",
                    )
                ],
                unit="percentunit",
            ),
        ],
    )


def _tsdb_section() -> Section:
    return (
        "TSDB",
        [
            graph(
                "Head series",
                [Query(f"sum by (pod) (prometheus_tsdb_head_series{{{P}}})", "{{pod}}")],
            ),
            graph(
                "Samples appended",
                [
                    Query(
                        f"sum by (pod) (rate(prometheus_tsdb_head_samples_appended_total{{{P}}}[5m]))",
                        "{{pod}}",
                    )
                ],
                unit="cps",
            ),
            graph(
                "Compaction and WAL failures (last hour)",
                [
                    Query(
                        f"sum(increase(prometheus_tsdb_compactions_failed_total{{{P}}}[1h]))",
                        "compactions failed",
                    ),
                    Query(
                        f"sum(increase(prometheus_tsdb_wal_corruptions_total{{{P}}}[1h]))",
                        "WAL corruptions",
                    ),
                ],
                unit="none",
            ),
        ],
    )


def _reload_panel(alertmanager: bool) -> PanelBuilder:
    queries = [
        Query(f"min(prometheus_config_last_reload_successful{{{P}}})", "prometheus"),
    ]
    if alertmanager:
        queries.append(
            Query(f"min(alertmanager_config_last_reload_successful{{{A}}})", "alertmanager")
        )
    return state_timeline(
        "Configuration reloads",
        queries,
        {"1": ("reloaded", "green"), "0": ("reload failed", "red")},
        description="Whether each program runs the configuration it was last given: a failed "
        "reload leaves it on the previous one.",
    )


def _notification_panels() -> list[PanelBuilder]:
    return [
        graph(
            "Notifications sent",
            [
                Query(
                    f"sum by (integration) (rate(alertmanager_notifications_total{{{A}}}[5m]))",
                    "{{integration}}",
                )
            ],
            unit="ops",
        ),
        graph(
            "Notifications failed",
            [
                Query(
                    f"sum by (integration) (rate(alertmanager_notifications_failed_total{{{A}}}[5m]))",
                    "{{integration}}",
                ),
                Query(
                    f"sum(rate(prometheus_notifications_dropped_total{{{P}}}[5m]))",
                    "dropped by Prometheus",
                ),
            ],
            unit="ops",
        ),
    ]


def _jaeger_panels() -> list[PanelBuilder]:
    return [
        graph(
            "Spans received",
            [
                Query(
                    f"sum by (receiver, transport) (rate(otelcol_receiver_accepted_spans_total{{{J}}}[5m]))",
                    "{{receiver}} {{transport}}",
                )
            ],
            unit="cps",
        ),
        graph(
            "Spans refused or not stored",
            [
                Query(
                    f"sum(rate(otelcol_receiver_refused_spans_total{{{J}}}[5m]))",
                    "refused",
                ),
                Query(
                    f"sum(rate(otelcol_exporter_send_failed_spans_total{{{J}}}[5m]))",
                    "storage write failed",
                ),
            ],
            unit="cps",
        ),
    ]


def stack_health_dashboard(stack: MonitoringStack) -> Obj:
    """The health dashboard of a stack (it needs the stack's Prometheus)."""
    spec = stack.spec
    board = new_dashboard(
        UID,
        "Stack health",
        f"Health of the augur stack {stack.namespace}/{stack.name}: is everything scraped, "
        "evaluated, reloaded, delivered and stored.",
    )
    sections = _prometheus_panels()
    sections.insert(2, ("Configuration reloads", [_reload_panel(spec.alertmanager.enabled)]))
    if spec.alertmanager.enabled:
        sections.append(("Notifications", _notification_panels()))
    if spec.jaeger.enabled:
        sections.append(("Jaeger intake", _jaeger_panels()))
    return encode(with_sections(board, sections))

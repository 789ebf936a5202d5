"""The anomalies dashboard: each anomaly alert's watched series inside its usual band.

The series are the recording rules of render/rules/anomaly.py, picked by the labels they carry
(namespace, augur_policy, augur_anomaly)."""

from __future__ import annotations

from collections.abc import Iterable

from augur.api.resources import AlertPolicy
from augur.render.panels import (
    Obj,
    PanelBuilder,
    Query,
    Section,
    encode,
    graph,
    label_variable,
    new_dashboard,
    with_band,
    with_sections,
)
from augur.render.rules.anomaly import ANOMALY_LABEL, CURRENT, LOWER_BAND, UPPER_BAND
from augur.render.rules.promql_text import number, selector

UID = "augur-anomalies"
FILE = "anomalies.json"
POLICY_LABEL = "augur_policy"
UPPER, LOWER = "upper band", "lower band"
CHOSEN = f'namespace=~"$namespace", {POLICY_LABEL}=~"$policy"'
"""Matchers of the dashboard's variables: a panel of a policy not chosen shows no data."""


def anomaly_selector_labels(policy: AlertPolicy, alert_name: str) -> dict[str, str]:
    """The labels that pick one anomaly alert's recorded series."""
    return {"namespace": policy.namespace, POLICY_LABEL: policy.name, ANOMALY_LABEL: alert_name}


def policy_section(policy: AlertPolicy) -> Section | None:
    """A row with a panel per anomaly alert of the policy; None when it has none."""
    panels: list[PanelBuilder] = []
    for alert in policy.spec.alerts:
        anomaly = alert.anomaly
        if anomaly is None:
            continue
        labels = anomaly_selector_labels(policy, alert.name)
        panel = graph(
            f"{alert.name} ({anomaly.algorithm}, k={number(anomaly.sensitivity)}, seasonality {anomaly.seasonality}, {anomaly.direction})",
            [
                Query(selector(CURRENT, labels, CHOSEN), "value"),
                Query(selector(UPPER_BAND, labels, CHOSEN), UPPER),
                Query(selector(LOWER_BAND, labels, CHOSEN), LOWER),
            ],
            description=f"Watched series: `{anomaly.query}`",
        )
        panels.append(with_band(panel, UPPER, LOWER))
    if not panels:
        return None
    return f"{policy.namespace}/{policy.name}", panels


def anomalies_dashboard(policies: Iterable[AlertPolicy]) -> Obj:
    """The dashboard of every anomaly alert of the selected policies (empty when none)."""
    sections = [s for s in (policy_section(p) for p in policies) if s is not None]
    board = new_dashboard(
        UID,
        "Anomalies",
        "Each anomaly alert's series inside its usual band; the alert fires outside it.",
    )
    board = board.with_variable(
        label_variable("namespace", "namespace", CURRENT, "Namespace")
    ).with_variable(
        label_variable("policy", POLICY_LABEL, CURRENT, "AlertPolicy", 'namespace=~"$namespace"')
    )
    return encode(with_sections(board, sections))

"""The kinds of prometheus-operator (`monitoring.coreos.com`) a MonitoringStack loads.

One row per kind: its model's parser. A kind without a row (ServiceMonitor, PodMonitor, until
their models exist; Prometheus, Alertmanager, …) is read as any other foreign document:
skipped offline, never watched in a cluster. A new kind adds its model module beside
`promoperator_rules.py`, a row here, a list in `augur.api.inventory.Inventory`, and a row in
`augur.controllers.promoperator.WATCHED`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from augur.api.promoperator_rules import PO_GROUP, PrometheusRule, parse_prometheus_rule

PromOperatorObject = PrometheusRule
"""Any prometheus-operator object augur reads (a union as kinds are added)."""

PARSERS: dict[str, Callable[[dict[str, Any]], PromOperatorObject]] = {
    "PrometheusRule": parse_prometheus_rule,
}
"""The parser of each kind augur reads, by kind; it raises InvalidObject."""


def is_promoperator_document(doc: Any) -> bool:
    """True when `doc` is an object of a prometheus-operator kind augur reads."""
    if not isinstance(doc, dict):
        return False
    group = str(doc.get("apiVersion", "")).split("/")[0]
    return group == PO_GROUP and str(doc.get("kind", "")) in PARSERS


def parse_promoperator(doc: dict[str, Any]) -> PromOperatorObject:
    """Validate a document of a kind of `PARSERS`; raises InvalidObject."""
    return PARSERS[str(doc["kind"])](doc)

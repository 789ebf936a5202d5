"""MonitoringStack spec.clusterMonitoring: off by default, every part on once enabled, the
wire names users write, and the switches `Part` names."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from augur.api.clustermonitoring import ClusterMonitoring, Part
from augur.api.crd import all_crds
from augur.api.monitoringstack import MonitoringStackSpec

SWITCHES = set(get_args(Part))


def test_off_by_default_and_every_part_on_once_enabled() -> None:
    spec = MonitoringStackSpec()
    assert not spec.cluster_monitoring.enabled
    assert not any(spec.cluster_monitoring.part(p) for p in SWITCHES)
    on = MonitoringStackSpec.model_validate({"clusterMonitoring": {"enabled": True}})
    assert all(on.cluster_monitoring.part(p) for p in SWITCHES)
    assert not on.cluster_monitoring.kubelet_insecure_skip_verify


def test_part_names_every_switch_and_only_switches() -> None:
    booleans = {
        name for name, field in ClusterMonitoring.model_fields.items() if field.annotation is bool
    }
    assert booleans - {"enabled", "kubelet_insecure_skip_verify"} == SWITCHES


def test_wire_names() -> None:
    spec = MonitoringStackSpec.model_validate(
        {"clusterMonitoring": {"enabled": True, "coreDNS": False, "apiServer": False}}
    )
    assert not spec.cluster_monitoring.part("core_dns")
    assert not spec.cluster_monitoring.part("api_server")
    with pytest.raises(ValidationError):
        MonitoringStackSpec.model_validate({"clusterMonitoring": {"coreDns": False}})
    [crd] = all_crds()["augur.dev_monitoringstacks.yaml"]
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    fields = schema["properties"]["spec"]["properties"]["clusterMonitoring"]["properties"]
    assert {"enabled", "nodeExporter", "kubeStateMetrics", "kubelet", "cadvisor", "apiServer",
            "coreDNS", "rules", "dashboards", "kubeletInsecureSkipVerify"} <= set(fields)  # fmt: skip
    assert all(field.get("description") for field in fields.values())

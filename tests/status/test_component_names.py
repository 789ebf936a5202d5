"""Stack status names components and endpoints as the MonitoringStack status documents them, from the rendered objects."""

from __future__ import annotations

from pathlib import Path

from augur.commands.inputs import load
from augur.render.selection import inputs_for
from augur.render.stack import render_stack
from augur.status.statuses import component_name, service_endpoints

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def rendered_shop() -> list[dict[str, object]]:
    inventory = load([str(SHOP)]).inventory
    return render_stack(inputs_for(inventory.stacks[0], inventory)).manifests


def test_workloads_are_named_as_in_the_api() -> None:
    workloads = [m for m in rendered_shop() if m["kind"] in ("StatefulSet", "Deployment")]
    names = {component_name(w, "platform") for w in workloads}
    assert names == {"prometheus", "alertmanager", "grafana", "jaeger"}


def test_endpoints_are_named_as_in_the_api() -> None:
    services = [m for m in rendered_shop() if m["kind"] == "Service"]
    endpoints = service_endpoints(services, "platform")
    assert endpoints == {
        "prometheus": "http://platform-prometheus.monitoring.svc:9090",
        "alertmanager": "http://platform-alertmanager.monitoring.svc:9093",
        "grafana": "http://platform-grafana.monitoring.svc:3000",
        "jaegerQuery": "http://platform-jaeger.monitoring.svc:16686",
        "otlpGrpc": "platform-jaeger.monitoring.svc:4317",
        "otlpHttp": "http://platform-jaeger.monitoring.svc:4318",
    }

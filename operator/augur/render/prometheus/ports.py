"""Ports of the Prometheus pod, shared by its StatefulSet, Service and the programs that reach it."""

from __future__ import annotations

from augur.api.resources import MonitoringStack
from augur.render.k8s.endpoints import Endpoint
from augur.render.k8s.workloads import route_prefix

WEB_PORT = 9090
WEB_PORT_NAME = "web"


def web_endpoint(stack: MonitoringStack) -> Endpoint:
    """Prometheus' web port (API and UI), as the stack's other programs reach it."""
    prefix = route_prefix(stack.spec.prometheus.ingress)
    return Endpoint("prometheus", WEB_PORT_NAME, WEB_PORT, prefix)

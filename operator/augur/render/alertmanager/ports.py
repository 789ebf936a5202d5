"""Ports of the Alertmanager pod, shared by its StatefulSet and the Prometheus that scrapes it."""

from __future__ import annotations

from augur.api.resources import MonitoringStack
from augur.render.k8s.endpoints import Endpoint
from augur.render.k8s.workloads import route_prefix

ALERTMANAGER_WEB_PORT = 9093
ALERTMANAGER_WEB_PORT_NAME = "web"
MESH_PORT = 9094
"""Gossip between Alertmanager peers (TCP and UDP)."""
RELOADER_PORT = 8080
RELOADER_PORT_NAME = "reloader-web"
"""The config reloader's /metrics and /healthz."""


def web_endpoint(stack: MonitoringStack) -> Endpoint:
    """Alertmanager's web port (API, UI and /metrics), as the stack's other programs reach it."""
    prefix = route_prefix(stack.spec.alertmanager.ingress)
    return Endpoint("alertmanager", ALERTMANAGER_WEB_PORT_NAME, ALERTMANAGER_WEB_PORT, prefix)


def reloader_endpoint() -> Endpoint:
    """The config reloader's port (/metrics) in the Alertmanager pod."""
    return Endpoint("alertmanager", RELOADER_PORT_NAME, RELOADER_PORT)

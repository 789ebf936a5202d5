"""Ports of the Grafana pod, shared by its Deployment, Service and network policy."""

from __future__ import annotations

GRAFANA_PORT = 3000
GRAFANA_PORT_NAME = "http"

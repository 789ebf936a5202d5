"""Ports of the Alertmanager pod, shared by its StatefulSet and the Prometheus that scrapes it."""

from __future__ import annotations

ALERTMANAGER_WEB_PORT = 9093
ALERTMANAGER_WEB_PORT_NAME = "web"
MESH_PORT = 9094
"""Gossip between Alertmanager peers (TCP and UDP)."""
RELOADER_PORT = 8080
RELOADER_PORT_NAME = "reloader-web"
"""The config reloader's /metrics and /healthz."""

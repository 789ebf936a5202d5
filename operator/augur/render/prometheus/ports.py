"""Ports of the Prometheus pod, shared by its StatefulSet, Service and the programs that reach it."""

from __future__ import annotations

WEB_PORT = 9090
WEB_PORT_NAME = "web"

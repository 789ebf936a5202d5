"""Ports of the cluster exporters augur runs and of the cluster programs it scrapes."""

from __future__ import annotations

NODE_EXPORTER_PORT = 9100
NODE_EXPORTER_PORT_NAME = "metrics"
"""node-exporter listens on each node's network (hostNetwork): one stack per cluster runs it."""
KSM_PORT = 8080
KSM_PORT_NAME = "http-metrics"
"""kube-state-metrics' metrics of the cluster's objects."""
KSM_TELEMETRY_PORT = 8081
KSM_TELEMETRY_PORT_NAME = "telemetry"
"""kube-state-metrics' metrics about itself, and its readiness."""
API_SERVER_PORT_NAME = "https"
"""The port of the `kubernetes` Service in `default`."""
COREDNS_PORT_NAME = "metrics"
"""The metrics port of the kube-dns Service (CoreDNS' :9153)."""

"""Ports of the Jaeger pod, shared by its Deployment, Service, scrape job and network policy."""

from __future__ import annotations

JAEGER_QUERY_PORT = 16686
JAEGER_QUERY_PORT_NAME = "query"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
SAMPLING_PORT = 5778
"""Jaeger's remote sampling endpoint (HTTP) that SDKs ask for their sampling rate."""
JAEGER_HEALTH_PORT = 13133
JAEGER_METRICS_PORT = 8888
JAEGER_METRICS_PORT_NAME = "metrics"

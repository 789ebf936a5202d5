"""Ports of the Jaeger pod, shared by its Deployment, Service, scrape job and network policy."""

from __future__ import annotations

from augur.api.resources import MonitoringStack
from augur.render.k8s.endpoints import Endpoint
from augur.render.k8s.workloads import route_prefix

JAEGER_QUERY_PORT = 16686
JAEGER_QUERY_PORT_NAME = "query"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
SAMPLING_PORT = 5778
"""Jaeger's remote sampling endpoint (HTTP) that SDKs ask for their sampling rate."""
JAEGER_HEALTH_PORT = 13133
JAEGER_METRICS_PORT = 8888
JAEGER_METRICS_PORT_NAME = "metrics"


def query_endpoint(stack: MonitoringStack) -> Endpoint:
    """Jaeger's query port (API and UI), as the stack's other programs reach it."""
    prefix = route_prefix(stack.spec.jaeger.ingress)
    return Endpoint("jaeger", JAEGER_QUERY_PORT_NAME, JAEGER_QUERY_PORT, prefix)


def metrics_endpoint() -> Endpoint:
    """Jaeger's own telemetry port (/metrics)."""
    return Endpoint("jaeger", JAEGER_METRICS_PORT_NAME, JAEGER_METRICS_PORT)

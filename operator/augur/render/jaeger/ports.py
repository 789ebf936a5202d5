"""Ports of the Jaeger pod, shared by its Deployment, Service, scrape job and network policy."""

from __future__ import annotations

from augur.api.monitoringstack import JaegerSpec
from augur.api.resources import MonitoringStack
from augur.render.k8s.endpoints import Endpoint
from augur.render.k8s.workloads import route_prefix

JAEGER_QUERY_PORT = 16686
JAEGER_QUERY_PORT_NAME = "query"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
JAEGER_THRIFT_HTTP_PORT = 14268
"""Jaeger's legacy Thrift-over-HTTP intake (Jaeger v1 clients)."""
ZIPKIN_PORT = 9411
"""Zipkin's HTTP intake."""
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


def intake_ports(spec: JaegerSpec) -> list[tuple[str, int]]:
    """The trace receivers' ports (name, port) the stack's Jaeger listens on, as configured:
    OTLP over gRPC and HTTP, Jaeger Thrift over HTTP, Zipkin."""
    ports = []
    if spec.otlp.grpc:
        ports.append(("otlp-grpc", OTLP_GRPC_PORT))
    if spec.otlp.http:
        ports.append(("otlp-http", OTLP_HTTP_PORT))
    if spec.receivers.jaeger_thrift_http:
        ports.append(("jaeger-thrift", JAEGER_THRIFT_HTTP_PORT))
    if spec.receivers.zipkin:
        ports.append(("zipkin", ZIPKIN_PORT))
    return ports

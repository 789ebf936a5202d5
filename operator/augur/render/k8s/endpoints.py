"""How a stack's programs reach each other: the values `augur.render.stack` hands a component
about the others (each component names its own ports; none imports another's)."""

from __future__ import annotations

from dataclasses import dataclass

from augur.render.k8s.labels import object_name


@dataclass(frozen=True)
class Endpoint:
    """A named port of one of a stack's programs, behind its client Service."""

    program: str
    port_name: str
    port: int
    path_prefix: str = ""
    """The program's route prefix when its UI is served under a path ('' at the root)."""

    def url(self, stack: str, namespace: str) -> str:
        """The in-cluster URL of the program's Service on this port, prefix included."""
        return f"http://{object_name(stack, self.program)}.{namespace}.svc:{self.port}{self.path_prefix}"


@dataclass(frozen=True)
class StackEndpoints:
    """The ports of a stack's programs that its other programs use."""

    prometheus_web: Endpoint
    """Grafana's datasource."""
    alertmanager_web: Endpoint
    """Prometheus' alerting and scraping, Grafana's datasource."""
    alertmanager_reloader: Endpoint
    """Prometheus scrapes the config reloader beside Alertmanager."""
    jaeger_query: Endpoint
    """Grafana's datasource."""
    jaeger_metrics: Endpoint
    """Prometheus scrapes Jaeger's own telemetry."""

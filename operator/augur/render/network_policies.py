"""Who may reach a stack's programs: NetworkPolicies that let in only what the stack needs.

It reads the ports of every component, so it lives beside `stack.py`, above the components.

With `networkPolicy.enabled` every program's pods get a policy of kind Ingress listing who
may reach which port; anything not listed is refused. Who needs what:

- Prometheus (web): Grafana (datasource), the augur operator (KPI values, forecast history),
  Prometheus itself (self-scrape from a peer), the ingress controller when exposed;
- Alertmanager (web): Prometheus (alerts and scraping), Grafana (datasource), the ingress
  controller when exposed; its config reloader: Prometheus (scraping); gossip: its peers;
- Grafana (http): the ingress controller when exposed, Prometheus (scraping);
- Jaeger: OTLP and remote sampling from any pod (applications send traces), the query UI
  from Grafana (datasource) and the ingress controller when exposed, metrics from Prometheus;
- kube-state-metrics (cluster monitoring): its metrics port from the stack's Prometheus only
  (it describes every namespace's objects); none when the stack runs no Prometheus, whose
  scraper is then elsewhere. node-exporter shares the node's network, where NetworkPolicies
  do not apply.

Each UI's Ingress is rendered with its program's objects (`augur.render.k8s.workloads.ingress`)."""

from __future__ import annotations

from typing import Any

from augur.render.alertmanager.ports import ALERTMANAGER_WEB_PORT, MESH_PORT, RELOADER_PORT
from augur.render.cluster.objects import KUBE_STATE_METRICS
from augur.render.cluster.ports import KSM_PORT
from augur.render.component_output import ComponentOutput
from augur.render.grafana.ports import GRAFANA_PORT
from augur.render.jaeger.ports import (
    JAEGER_METRICS_PORT,
    JAEGER_QUERY_PORT,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    SAMPLING_PORT,
)
from augur.render.k8s.labels import metadata, object_name, selector_labels
from augur.render.prometheus.config import OPERATOR_POD_LABELS
from augur.render.prometheus.ports import WEB_PORT
from augur.render.selection import StackInputs

Obj = dict[str, Any]

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by Kubernetes on every Namespace: a namespace selected by its name."""


def _pods(stack: str, program: str) -> Obj:
    return {"podSelector": {"matchLabels": selector_labels(stack, program)}}


def _operator(namespace: str | None) -> Obj:
    """The augur operator's pods: in its namespace when known, else in any namespace."""
    where: Obj = {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}} if namespace is not None else {}
    return {"namespaceSelector": where, "podSelector": {"matchLabels": dict(OPERATOR_POD_LABELS)}}


def _namespace(name: str) -> Obj:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: name}}}


ANY_POD: Obj = {"namespaceSelector": {}}


def _rule(peers: list[Obj], ports: list[int], protocol: str = "TCP") -> Obj:
    return {"from": peers, "ports": [{"protocol": protocol, "port": port} for port in ports]}


class _Plan:
    """Who may reach each program of one stack."""

    def __init__(self, inputs: StackInputs, operator_namespace: str | None) -> None:
        self.stack = inputs.stack
        self.spec = inputs.stack.spec
        self.operator_namespace = operator_namespace
        self.warnings: list[str] = []

    def pods(self, program: str) -> Obj:
        return _pods(self.stack.name, program)

    def enabled(self, program: str) -> bool:
        return bool(getattr(self.spec, program).enabled)

    def ingress_controller(self, program: str, port: int) -> list[Obj]:
        """A rule for the ingress controller when the program's UI is exposed."""
        if getattr(self.spec, program).ingress is None:
            return []
        namespace = self.spec.network_policy.ingress_controller_namespace
        if namespace is None:
            self.warnings.append(
                f"spec.{program}.ingress is set but spec.networkPolicy."
                "ingressControllerNamespace is not: the NetworkPolicy keeps the ingress "
                f"controller out of {program}"
            )
            return []
        return [_rule([_namespace(namespace)], [port])]

    def with_grafana(self, peers: list[Obj]) -> list[Obj]:
        return [*peers, self.pods("grafana")] if self.enabled("grafana") else peers

    def prometheus(self) -> list[Obj]:
        peers = self.with_grafana([self.pods("prometheus"), _operator(self.operator_namespace)])
        return [_rule(peers, [WEB_PORT]), *self.ingress_controller("prometheus", WEB_PORT)]

    def alertmanager(self) -> list[Obj]:
        rules = [
            _rule(self.with_grafana([self.pods("prometheus")]), [ALERTMANAGER_WEB_PORT]),
            _rule([self.pods("prometheus")], [RELOADER_PORT]),
        ]
        if self.spec.alertmanager.replicas > 1:
            peers = [self.pods("alertmanager")]
            rules += [_rule(peers, [MESH_PORT]), _rule(peers, [MESH_PORT], "UDP")]
        return rules + self.ingress_controller("alertmanager", ALERTMANAGER_WEB_PORT)

    def grafana(self) -> list[Obj]:
        return [
            _rule([self.pods("prometheus")], [GRAFANA_PORT]),
            *self.ingress_controller("grafana", GRAFANA_PORT),
        ]

    def jaeger(self) -> list[Obj]:
        intake = [SAMPLING_PORT]
        if self.spec.jaeger.otlp.grpc:
            intake.append(OTLP_GRPC_PORT)
        if self.spec.jaeger.otlp.http:
            intake.append(OTLP_HTTP_PORT)
        rules = [_rule([ANY_POD], sorted(intake))]
        if self.enabled("grafana"):
            rules.append(_rule([self.pods("grafana")], [JAEGER_QUERY_PORT]))
        rules.append(_rule([self.pods("prometheus")], [JAEGER_METRICS_PORT]))
        return rules + self.ingress_controller("jaeger", JAEGER_QUERY_PORT)

    def kube_state_metrics(self) -> list[Obj]:
        return [_rule([self.pods("prometheus")], [KSM_PORT])]

    def policy(self, program: str, rules: list[Obj]) -> Obj:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": metadata(
                object_name(self.stack.name, program),
                self.stack.namespace,
                self.stack.name,
                program,
            ),
            "spec": {
                **self.pods(program),
                "policyTypes": ["Ingress"],
                "ingress": rules,
            },
        }


def network_policies(
    inputs: StackInputs, *, operator_namespace: str | None = None
) -> tuple[list[Obj], list[str]]:
    """A NetworkPolicy per enabled program (none unless networkPolicy.enabled), and warnings."""
    plan = _Plan(inputs, operator_namespace)
    if not plan.spec.network_policy.enabled:
        return [], []
    builders = {
        "prometheus": plan.prometheus,
        "alertmanager": plan.alertmanager,
        "grafana": plan.grafana,
        "jaeger": plan.jaeger,
    }
    policies = [
        plan.policy(program, build())
        for program, build in builders.items()
        if plan.enabled(program)
    ]
    if plan.spec.cluster_monitoring.part("kube_state_metrics") and plan.enabled("prometheus"):
        policies.append(plan.policy(KUBE_STATE_METRICS, plan.kube_state_metrics()))
    return policies, plan.warnings


def render_network_policies(
    inputs: StackInputs, *, operator_namespace: str | None = None
) -> ComponentOutput:
    """The stack's NetworkPolicies; `operator_namespace` is where the augur operator runs."""
    policies, warnings = network_policies(inputs, operator_namespace=operator_namespace)
    return ComponentOutput(manifests=policies, warnings=warnings)

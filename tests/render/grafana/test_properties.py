"""Generated stacks: Grafana, Jaeger and the NetworkPolicies never fail to render, their
objects are valid Kubernetes 1.33 and the dashboards pass what Grafana requires."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import yaml
from grafanahelpers import dashboard_problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from augur.api.resources import MonitoringStack
from augur.render.grafana.dashboards.provisioning import DATASOURCES_FILE
from augur.render.grafana.objects import render_grafana_component
from augur.render.jaeger.objects import render_jaeger_component
from augur.render.network_policies import render_network_policies
from augur.render.selection import StackInputs
from augur.render.stack import stack_endpoints

hosts = st.from_regex(r"[a-z]{1,8}\.example\.com", fullmatch=True)
ingresses = st.none() | st.fixed_dictionaries(
    {"host": hosts},
    optional={
        "path": st.sampled_from(["/", "/ui", "/a/b/"]),
        "className": st.just("nginx"),
        "tlsSecretName": st.just("tls"),
    },
)
storages = st.none() | st.fixed_dictionaries(
    {"size": st.sampled_from(["1Gi", "500Mi"])},
    optional={"retainOnDelete": st.booleans(), "storageClassName": st.just("fast")},
)
database = {
    "host": "db:5432",
    "name": "grafana",
    "user": "grafana",
    "password": {"secretKeyRef": {"name": "db", "key": "password"}},
}


@st.composite
def stacks(draw: st.DrawFn) -> dict[str, Any]:
    replicas = draw(st.integers(0, 3))
    grafana: dict[str, Any] = {"enabled": draw(st.booleans()), "replicas": replicas}
    if replicas > 1 or draw(st.booleans()):
        grafana["database"] = database
    for key, value in (("storage", draw(storages)), ("ingress", draw(ingresses))):
        if value is not None:
            grafana[key] = value
    jaeger: dict[str, Any] = {
        "enabled": draw(st.booleans()),
        "storage": draw(
            st.sampled_from(
                [
                    {"type": "memory"},
                    {"type": "badger"},
                    {"type": "elasticsearch", "url": "http://es:9200"},
                ]
            )
        ),
        "otlp": {"grpc": draw(st.booleans()), "http": draw(st.booleans())},
        "sampling": {"defaultRate": draw(st.floats(0, 1))},
    }
    jaeger_ingress = draw(ingresses)
    if jaeger_ingress is not None:
        jaeger["ingress"] = jaeger_ingress
    spec = {
        "prometheus": {"enabled": draw(st.booleans())},
        "alertmanager": {"enabled": draw(st.booleans()), "replicas": draw(st.integers(1, 3))},
        "grafana": grafana,
        "jaeger": jaeger,
        "networkPolicy": {
            "enabled": draw(st.booleans()),
            "ingressControllerNamespace": draw(st.none() | st.just("ingress")),
        },
    }
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": "s", "namespace": "m"},
        "spec": spec,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_generated_stacks_render_valid_objects_and_dashboards(body: dict[str, Any]) -> None:
    inputs = StackInputs(stack=MonitoringStack.model_validate(body))
    grafana = render_grafana_component(
        inputs,
        stack_endpoints(inputs.stack),
        dashboard_config_maps={"d": {"augur.dev/dashboard": "true"}},
    )
    outputs = [grafana, render_jaeger_component(inputs), render_network_policies(inputs)]
    for output in outputs:
        for manifest in output.manifests:
            kubernetes_validate.validate(manifest, "1.33", strict=True)
    if DATASOURCES_FILE in grafana.files:
        uids = {d["uid"] for d in yaml.safe_load(grafana.files[DATASOURCES_FILE])["datasources"]}
        for path, text in grafana.files.items():
            if path.endswith(".json"):
                assert dashboard_problems(json.loads(text), uids) == [], path

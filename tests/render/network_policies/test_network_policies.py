"""Exposure: an Ingress for each UI that asks for one, and NetworkPolicies that let in only
what the stack needs, on the ports its programs really listen on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from augur.api.inventory import Inventory
from augur.api.resources import is_augur_document, parse_resource
from augur.render.alertmanager.config import render_stack_alertmanager_config
from augur.render.alertmanager.objects import render_alertmanager_workload
from augur.render.component_output import ComponentOutput
from augur.render.grafana.objects import render_grafana_component
from augur.render.jaeger.objects import render_jaeger_component
from augur.render.network_policies import render_network_policies
from augur.render.prometheus.objects import render_prometheus_component
from augur.render.rules.files import render_rules_component
from augur.render.selection import StackInputs, inputs_for, stacks_of
from augur.render.stack import stack_endpoints
from augur.render.yamlwriter import dump_yaml_documents

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))
OPERATOR_NAMESPACE = {"policies": "augur-system", "minimal": None}
Golden = Callable[[Path, str], None]
Obj = dict[str, Any]


def _inputs(case: str) -> StackInputs:
    inventory = Inventory()
    for doc in yaml.safe_load_all((GOLDEN / f"{case}.in.yaml").read_text()):
        if is_augur_document(doc):
            inventory.add(parse_resource(doc))
    [stack] = stacks_of(inventory)
    return inputs_for(stack, inventory)


def _render(case: str) -> ComponentOutput:
    return render_network_policies(_inputs(case), operator_namespace=OPERATOR_NAMESPACE[case])


def _all_components(inputs: StackInputs) -> list[Obj]:
    """Every program's objects, as the stack renders them."""
    rules = render_rules_component(inputs)
    peers = stack_endpoints(inputs.stack)
    config = render_stack_alertmanager_config(inputs)
    outputs = [
        render_prometheus_component(inputs, rules, peers),
        render_alertmanager_workload(inputs, config),
        render_grafana_component(inputs, peers),
        render_jaeger_component(inputs),
    ]
    return [m for output in outputs for m in output.manifests]


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, golden: Golden) -> None:
    output = _render(case)
    text = dump_yaml_documents(output.manifests)
    text += "".join(f"# warning: {w}\n" for w in output.warnings)
    golden(GOLDEN / f"{case}.manifests.yaml", text)


def test_every_case_has_its_outputs() -> None:
    outputs = {p.name for p in GOLDEN.iterdir() if not p.name.endswith(".in.yaml")}
    assert outputs == {f"{c}.manifests.yaml" for c in CASES}


@pytest.mark.parametrize("case", CASES)
def test_manifests_are_valid_kubernetes_1_33(case: str) -> None:
    for document in yaml.safe_load_all((GOLDEN / f"{case}.manifests.yaml").read_text()):
        if document is not None:
            kubernetes_validate.validate(document, "1.33", strict=True)


def test_every_exposed_ui_gets_its_ingress() -> None:
    inputs = _inputs("policies")
    ingresses = {
        m["metadata"]["name"]: m for m in _all_components(inputs) if m["kind"] == "Ingress"
    }
    assert sorted(ingresses) == [
        "platform-alertmanager",
        "platform-grafana",
        "platform-jaeger",
        "platform-prometheus",
    ]
    grafana = ingresses["platform-grafana"]
    assert grafana["spec"]["ingressClassName"] == "nginx"
    assert grafana["metadata"]["annotations"] == {"a.example.com/x": "1"}
    jaeger = ingresses["platform-jaeger"]["spec"]
    assert jaeger["tls"] == [{"hosts": ["jaeger.example.com"], "secretName": "jaeger-tls"}]
    backend = jaeger["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "platform-jaeger", "port": {"name": "query"}}
    for manifest in _all_components(inputs):
        kubernetes_validate.validate(manifest, "1.33", strict=True)


def _container_ports(manifests: list[Obj], program: str) -> set[tuple[int, str]]:
    ports = set()
    for m in manifests:
        if m["kind"] in ("Deployment", "StatefulSet") and m["metadata"]["name"].endswith(program):
            for container in m["spec"]["template"]["spec"]["containers"]:
                for port in container.get("ports", []):
                    ports.add((port["containerPort"], port.get("protocol", "TCP")))
    return ports


def test_policies_open_only_ports_the_programs_listen_on() -> None:
    inputs = _inputs("policies")
    manifests = _all_components(inputs)
    for policy in _render("policies").manifests:
        program = policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        listening = _container_ports(manifests, program)
        for rule in policy["spec"]["ingress"]:
            for port in rule["ports"]:
                assert (port["port"], port["protocol"]) in listening, (program, port)


def _peers(policy: Obj, port: int) -> list[Obj]:
    return [
        peer
        for rule in policy["spec"]["ingress"]
        if any(p["port"] == port for p in rule["ports"])
        for peer in rule["from"]
    ]


def _programs(peers: list[Obj]) -> set[str]:
    return {
        p["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for p in peers
        if "podSelector" in p
    }


def test_who_may_reach_what() -> None:
    policies = {p["metadata"]["name"]: p for p in _render("policies").manifests}
    assert sorted(policies) == [
        "platform-alertmanager",
        "platform-grafana",
        "platform-jaeger",
        "platform-prometheus",
    ]
    for policy in policies.values():
        assert policy["spec"]["policyTypes"] == ["Ingress"]
    prometheus = _peers(policies["platform-prometheus"], 9090)
    assert _programs(prometheus) == {"prometheus", "grafana", "augur"}
    controller = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    }
    assert controller in prometheus
    assert _programs(_peers(policies["platform-alertmanager"], 9093)) == {"prometheus", "grafana"}
    assert _programs(_peers(policies["platform-alertmanager"], 9094)) == {"alertmanager"}
    assert _peers(policies["platform-jaeger"], 4317) == [{"namespaceSelector": {}}]
    assert _peers(policies["platform-jaeger"], 4318) == []
    assert _programs(_peers(policies["platform-jaeger"], 16686)) == {"grafana"}
    assert _programs(_peers(policies["platform-grafana"], 3000)) == {"prometheus"}


def test_disabled_policies_and_unreachable_ingress_warning() -> None:
    inputs = _inputs("policies")
    inputs.stack.spec.network_policy.ingress_controller_namespace = None
    output = render_network_policies(inputs)
    assert len(output.warnings) == 4
    assert all("ingressControllerNamespace" in w for w in output.warnings)
    inputs.stack.spec.network_policy.enabled = False
    assert render_network_policies(inputs).manifests == []

"""charts/augur rendered by the pinned helm: lint, Kubernetes 1.33 schema, what the pods are."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from chartrender import CHART, KUBE_VERSION, NAMESPACE, of_kind, one, render, run_helm

from augur.render.prometheus.config import OPERATOR_METRICS_PORT, OPERATOR_POD_LABELS

pytestmark = pytest.mark.tools

WATCHED: dict[str, Any] = {
    "watchNamespaces": ["shop", "monitoring"],
    "replicaCount": 3,
    "resources": {"requests": {"cpu": "250m", "memory": "300Mi"}, "limits": {"memory": "1Gi"}},
    "logFormat": "plain",
    "podDisruptionBudget": {"enabled": True, "maxUnavailable": 2},
}


def test_helm_lint_strict(helm: Path, tmp_path: Path) -> None:
    out = run_helm(helm, "lint", "--strict", str(CHART), "--kube-version", KUBE_VERSION)
    assert "1 chart(s) linted, 0 chart(s) failed" in out.stdout
    values = tmp_path / "watched.yaml"
    values.write_text(yaml.safe_dump(WATCHED))
    run_helm(helm, "lint", "--strict", str(CHART), "--values", str(values))


def test_helm_assumes_kubernetes_1_33_unless_told(helm: Path, tmp_path: Path) -> None:
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe}\n"
        "data: {kube: '{{ .Capabilities.KubeVersion.Version }}'}\n"
    )
    out = run_helm(helm, "template", str(chart)).stdout
    assert f"kube: 'v{KUBE_VERSION}.0'" in out


@pytest.mark.parametrize("case", ["default", "watched"])
def test_rendered_objects_are_valid_kubernetes_1_33(helm: Path, tmp_path: Path, case: str) -> None:
    objects = render(helm, WATCHED if case == "watched" else None, tmp_path)
    kinds = {obj["kind"] for obj in objects}
    assert {"Deployment", "ServiceAccount", "PodDisruptionBudget", "Service"} <= kinds
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_default_deployment_runs_two_peered_replicas(helm: Path) -> None:
    objects = render(helm)
    deployment = one(objects, "Deployment")
    assert deployment["metadata"]["namespace"] == NAMESPACE
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]
    assert OPERATOR_POD_LABELS.items() <= pod["metadata"]["labels"].items()
    container = pod["spec"]["containers"][0]
    assert container["args"][0] == "run"
    assert not any(arg.startswith("--namespace") for arg in container["args"])
    env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container["env"]}
    assert env == {"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace"}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {OPERATOR_METRICS_PORT: 8080, "webhook": 9443}
    assert "--listen=0.0.0.0:8080" in container["args"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": OPERATOR_METRICS_PORT}
    pdb = one(objects, "PodDisruptionBudget")
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    assert pdb["spec"]["maxUnavailable"] == 1


def test_security_context_is_as_strict_as_the_stacks(helm: Path) -> None:
    pod = one(render(helm), "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "fsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    context = pod["containers"][0]["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}


def test_non_default_values_reach_the_deployment(helm: Path, tmp_path: Path) -> None:
    objects = render(helm, WATCHED, tmp_path)
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 3
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == WATCHED["resources"]
    assert "--log-format=plain" in container["args"]
    assert "--namespace-mode=listed" in container["args"]
    assert [a for a in container["args"] if a.startswith("--namespace=")] == [
        "--namespace=shop",
        "--namespace=monitoring",
    ]
    assert one(objects, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 2


def test_one_replica_has_no_disruption_budget(helm: Path, tmp_path: Path) -> None:
    objects = render(helm, {"replicaCount": 1}, tmp_path)
    assert not of_kind(objects, "PodDisruptionBudget")


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ("replicaCount: 0", "replicaCount"),
        ("watchNamespaces: [Shop]", "watchNamespaces"),
        ("replicas: 2", "replicas"),
        ("logFormat: xml", "logFormat"),
        ("webhook: {failurePolicy: Sometimes}", "failurePolicy"),
        ("webhook: {enable: true}", "enable"),
    ],
)
def test_schema_refuses_bad_values(helm: Path, tmp_path: Path, values: str, complaint: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(values + "\n")
    result = run_helm(helm, "template", str(CHART), "--values", str(path), check=False)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert complaint in result.stderr


def test_notes_say_what_to_apply_next(helm: Path, tmp_path: Path) -> None:
    # `helm template` leaves NOTES.txt out and `helm install --dry-run` needs a cluster: a copy
    # of the chart renders the notes into a ConfigMap with the same values and context.
    chart = tmp_path / "augur"
    shutil.copytree(CHART, chart)
    shutil.copy(chart / "templates" / "NOTES.txt", chart / "notes.txt")
    (chart / "templates" / "notes-probe.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\n"
        'data: {notes: {{ tpl (.Files.Get "notes.txt") . | quote }}}\n'
    )
    for values, watched in (([], False), (["--set", "watchNamespaces={shop}"], True)):
        out = run_helm(
            helm, "template", "augur", str(chart), "-n", NAMESPACE, "--show-only",
            "templates/notes-probe.yaml", *values,
        ).stdout  # fmt: skip
        notes = yaml.safe_load(out)["data"]["notes"]
        assert "kubectl apply -f examples/shop/" in notes
        assert "kubectl apply --server-side -f charts/augur/crds/" in notes
        assert f"kubectl -n {NAMESPACE} get pods" in notes
        assert ("It watches only: shop." in notes) is watched
        assert ("It watches every namespace." in notes) is not watched
        assert "admission webhook refuses augur objects" in notes

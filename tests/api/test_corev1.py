"""The core/v1 types a stack embeds (Affinity, Toleration) against Kubernetes' own schema:
the same fields, the same required ones, and refusal of what Kubernetes refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from augur.api.corev1 import Affinity, Toleration
from augur.api.crd import all_crds, openapi_schema
from augur.api.resources import InvalidObject, parse_resource

SCHEMAS = (
    Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / "v1.33.0-local-strict"
)
DEFINITIONS: dict[str, Any] = json.loads((SCHEMAS / "_definitions.json").read_text())["$defs"]
CORE = "io.k8s.api.core.v1."
LABEL_SELECTOR = "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"


def _definition(ref: str) -> dict[str, Any]:
    return DEFINITIONS[ref.rsplit("/", 1)[-1]]


def _kind(node: dict[str, Any]) -> str | None:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind


def differences(ours: dict[str, Any], theirs: dict[str, Any], path: str) -> list[str]:
    """Where our schema says something Kubernetes' does not: a field it lacks, a field it
    requires that we do not, another type."""
    if "$ref" in theirs:
        theirs = {**_definition(theirs["$ref"]), **{k: v for k, v in theirs.items() if k != "$ref"}}
    found: list[str] = []
    if _kind(theirs) and _kind(ours) != _kind(theirs):
        found.append(f"{path}: {_kind(ours)} where Kubernetes has {_kind(theirs)}")
    theirs_properties = theirs.get("properties", {})
    for name, sub in ours.get("properties", {}).items():
        if name not in theirs_properties:
            found.append(f"{path}.{name}: not a field of Kubernetes' type")
        else:
            found += differences(sub, theirs_properties[name], f"{path}.{name}")
    missing = set(theirs.get("required", [])) - set(ours.get("required", []))
    found += [f"{path}.{name}: Kubernetes requires it" for name in sorted(missing)]
    if "items" in ours and "items" in theirs:
        found += differences(ours["items"], theirs["items"], f"{path}[]")
    return found


@pytest.mark.parametrize(("model", "name"), [(Affinity, "Affinity"), (Toleration, "Toleration")])
def test_the_models_are_kubernetes_types(model: type[BaseModel], name: str) -> None:
    assert differences(openapi_schema(model), DEFINITIONS[CORE + name], name) == []


def test_the_comparison_sees_a_misspelt_field() -> None:
    theirs = DEFINITIONS[CORE + "Affinity"]
    ours = {"type": "object", "properties": {"nodeAfinity": {"type": "object"}}}
    assert differences(ours, theirs, "Affinity") == [
        "Affinity.nodeAfinity: not a field of Kubernetes' type"
    ]


GOOD_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["mon"]}]}
            ]
        },
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 50,
                "preference": {
                    "matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]
                },
            }
        ],
    },
    "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 100,
                "podAffinityTerm": {
                    "topologyKey": "topology.kubernetes.io/zone",
                    "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                    "matchLabelKeys": ["pod-template-hash"],
                },
            }
        ]
    },
}
GOOD_TOLERATIONS = [
    {"key": "dedicated", "operator": "Equal", "value": "monitoring", "effect": "NoSchedule"},
    {"operator": "Exists"},
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 60,
    },
]


def pod(affinity: Any, tolerations: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "c", "image": "i"}],
            "affinity": affinity,
            "tolerations": tolerations,
        },
    }


def stack(affinity: Any, tolerations: Any) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "MonitoringStack",
        "metadata": {"name": "s", "namespace": "monitoring"},
        "spec": {"prometheus": {"pod": {"affinity": affinity, "tolerations": tolerations}}},
    }


def test_what_kubernetes_takes_augur_takes_and_renders_as_given() -> None:
    kubernetes_validate.validate(pod(GOOD_AFFINITY, GOOD_TOLERATIONS), "1.33", strict=True)
    resource = parse_resource(stack(GOOD_AFFINITY, GOOD_TOLERATIONS))
    settings = resource.spec.prometheus.pod  # type: ignore[union-attr]
    assert settings.affinity is not None
    assert settings.affinity.model_dump(by_alias=True, exclude_unset=True) == GOOD_AFFINITY
    assert [
        t.model_dump(by_alias=True, exclude_unset=True) for t in settings.tolerations
    ] == GOOD_TOLERATIONS


@pytest.mark.parametrize(
    ("affinity", "tolerations", "where"),
    [
        ({"nodeAfinity": {}}, [], "spec.prometheus.pod.affinity.nodeAfinity"),
        (
            {},
            [{"key": "k", "operator": "Equals", "value": "v"}],
            "spec.prometheus.pod.tolerations[0].operator",
        ),
        ({}, [{"key": "k", "effect": "NoScheduel"}], "spec.prometheus.pod.tolerations[0].effect"),
        (
            {
                "podAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {}}]
                }
            },
            [],
            "spec.prometheus.pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
        ),
        (
            {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 0, "preference": {}}
                    ]
                }
            },
            [],
            "spec.prometheus.pod.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
        ),
    ],
)
def test_what_kubernetes_refuses_augur_refuses_naming_the_field(
    affinity: Any, tolerations: Any, where: str
) -> None:
    with pytest.raises(InvalidObject) as caught:
        parse_resource(stack(affinity, tolerations))
    assert [p.path for p in caught.value.problems] == [where]


def test_a_misspelt_field_is_also_refused_by_kubernetes_own_schema() -> None:
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod({"nodeAfinity": {}}, []), "1.33", strict=True)
    with pytest.raises(ValidationError):
        Affinity.model_validate({"nodeAfinity": {}})


def test_the_crd_types_affinity_and_tolerations_and_stays_small_enough_for_kubectl_apply() -> None:
    (crd,) = all_crds()["augur.dev_monitoringstacks.yaml"]
    pod_schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "properties"
    ]["prometheus"]["properties"]["pod"]["properties"]
    assert "nodeAffinity" in pod_schema["affinity"]["properties"]
    assert pod_schema["tolerations"]["items"]["properties"]["operator"]["enum"] == [
        "Exists",
        "Equal",
    ]
    assert "x-kubernetes-preserve-unknown-fields" not in yaml.safe_dump(pod_schema)
    # client-side `kubectl apply` keeps the whole object as JSON in an annotation, and
    # annotations may hold 256 KiB in all: leave room for growth
    for docs in all_crds().values():
        for doc in docs:
            assert len(json.dumps(doc, separators=(",", ":"))) < 192 * 1024, doc["metadata"]["name"]

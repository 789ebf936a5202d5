"""Names and namespaces are checked offline as the API server checks them, with the tighter
limits of the kinds whose names end up in longer names; objects too deep or too large are
refused before their fields are read, on every path (CLI, operator, admission)."""

from __future__ import annotations

from typing import Any

import pytest

from augur.api.admission import admission_problems
from augur.api.bounds import MAX_DEPTH, shape_problem
from augur.api.names import RULE_FILE_KEY_MAX, STACK_NAME_MAX
from augur.api.resources import InvalidObject, parse_resource
from augur.render.prometheus.rule_shards import config_map_key
from augur.render.rules.files import rule_file_path
from augur.status.catalog import ParseCache


def obj(kind: str, namespace: str, name: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec or {},
    }


def problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The problems of `doc` with its metadata (a spec left empty has its own)."""
    with pytest.raises(InvalidObject) as caught:
        parse_resource(doc)
    return [(p.path, p.message) for p in caught.value.problems if p.path.startswith("metadata")]


@pytest.mark.parametrize(
    "namespace",
    ["/tmp/x/victim", "../../escaped", "..", ".", "a/b", "Shop", "shop.eu", "-shop", "a" * 64],
)
@pytest.mark.parametrize("kind", ["MonitoringStack", "AlertPolicy", "BusinessKPI", "ScalingPolicy"])
def test_namespaces_must_be_dns1123_labels(kind: str, namespace: str) -> None:
    found = problems(obj(kind, namespace, "x"))
    assert [path for path, _ in found] == ["metadata.namespace"], found
    assert "namespace name" in found[0][1]


def test_an_empty_namespace_is_the_default_one() -> None:
    # As `kubectl apply` reads it (and `validate` warns that the context decides).
    assert parse_resource(obj("AlertPolicy", "", "p")).namespace == "default"


@pytest.mark.parametrize("name", ["../x", "a/b", "a..b", "a.-b", "-a", "A", "a_b", "a" * 254])
@pytest.mark.parametrize("kind", ["MonitoringStack", "AlertPolicy", "BusinessKPI", "ScalingPolicy"])
def test_names_must_be_dns1123_subdomains(kind: str, name: str) -> None:
    found = problems(obj(kind, "shop", name))
    assert [path for path, _ in found] == ["metadata.name"], found


@pytest.mark.parametrize("name", ["a", "api", "api.v2", "9lives", "a-b.c-d"])
def test_valid_names_pass(name: str) -> None:
    assert parse_resource(obj("AlertPolicy", "a" * 63, name)).name == name


def test_stack_names_are_dns1035_labels_short_enough_for_their_objects() -> None:
    longest = "s" * STACK_NAME_MAX
    assert parse_resource(obj("MonitoringStack", "mon", longest)).name == longest
    found = problems(obj("MonitoringStack", "mon", longest + "s"))
    assert found[0][0] == "metadata.name"
    assert f"at most {STACK_NAME_MAX} characters" in found[0][1]
    for bad in ("9lives", "a.b"):
        found = problems(obj("MonitoringStack", "mon", bad))
        assert found[0][0] == "metadata.name"
        assert "DNS-1035" in found[0][1]
    # The longest name of a stack's objects stays within a Service name's 63 characters, and
    # its StatefulSets' revision label (`<statefulset>-<hash of up to 10>`) within 63.
    assert len(f"{longest}-alertmanager-headless") <= 63
    assert len(f"{longest}-alertmanager-") + 10 <= 63


VALID_SPECS: dict[str, dict[str, Any]] = {
    "AlertPolicy": {},
    "BusinessKPI": {
        "indicator": {"value": "avg(score)"},
        "objective": {"target": 0.8, "comparison": ">=", "window": "7d"},
    },
}


@pytest.mark.parametrize("kind", ["AlertPolicy", "BusinessKPI"])
def test_rule_source_names_keep_their_rule_file_a_valid_config_map_key(kind: str) -> None:
    namespace = "n" * 63
    longest = RULE_FILE_KEY_MAX - len("kpi____.yaml") - len(namespace)
    spec = VALID_SPECS[kind]
    accepted = parse_resource(obj(kind, namespace, "a" * longest, spec))
    key = config_map_key(rule_file_path(kind, namespace, accepted.name))
    assert len(key) <= RULE_FILE_KEY_MAX
    found = problems(obj(kind, namespace, "a" * (longest + 1), spec))
    assert found[0][0] == "metadata.name"
    assert "ConfigMap key" in found[0][1]


def test_admission_refuses_what_validate_refuses() -> None:
    refused = admission_problems(obj("AlertPolicy", "../../escaped", "p"))
    assert [p.path for p in refused] == ["metadata.namespace"]


def deep(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"k": value}
    return value


def test_shape_bound_counts_levels_like_the_yaml_loader() -> None:
    assert shape_problem(deep(MAX_DEPTH - 1)) is None  # MAX_DEPTH levels, the leaf included
    path, message = shape_problem(deep(MAX_DEPTH)) or ("", "")
    assert path == ".".join(["k"] * (MAX_DEPTH - 1))
    assert message == f"nested deeper than {MAX_DEPTH} levels"


def test_shape_bound_stops_on_shared_parts() -> None:
    # Built without YAML: each level refers twice to the level below, 2**40 values in all.
    shared: Any = ["x"]
    for _ in range(40):
        shared = [shared, shared]
    found = shape_problem({"spec": shared})
    assert found is not None
    assert "values in one object" in found[1]


def test_deep_free_form_field_is_refused_not_a_crash() -> None:
    stack = obj("MonitoringStack", "mon", "main", {"prometheus": {"pod": {"affinity": deep(150)}}})
    with pytest.raises(InvalidObject) as caught:
        parse_resource(stack)
    found = [(p.path, p.message) for p in caught.value.problems]
    assert found[0][0].startswith("spec.prometheus.pod.affinity.k.k")
    assert "nested deeper than" in found[0][1]


def test_operator_parse_path_refuses_a_body_deeper_than_the_recursion_limit() -> None:
    # The API server hands the operator JSON; a body this deep used to fail the watch handler
    # (RecursionError while copying it) instead of becoming the object's problem.
    body = obj("MonitoringStack", "mon", "main", {"prometheus": {"pod": {"affinity": deep(5000)}}})
    body["metadata"]["uid"] = "u1"
    entry = ParseCache().entry(body)
    assert entry.resource is None
    assert [p.path.split(".k")[0] for p in entry.problems] == ["spec.prometheus.pod.affinity"]
    assert "nested deeper than" in entry.problems[0].message

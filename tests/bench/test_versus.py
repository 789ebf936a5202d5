"""bench/versus.py's parts that run without a control plane: prometheus-operator's objects hold
exactly augur's rules, both rule-file formats are counted alike, and the commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import versus
from augur.api.resources import AlertPolicy, MonitoringStack
from augur.dev.promoperator_crds import promoperator_crds
from augur.render.rules.files import render_rule_files
from augur.render.selection import StackInputs

NS = "bench-ns"


def _rendered(count: int) -> dict[str, Any]:
    """augur's rule files for bench/scale.py's first `count` policies, rendered for the whole
    stack at once as the operator's full render does, by source."""
    inputs = StackInputs(
        stack=MonitoringStack.model_validate(versus.stack(NS)),
        alert_policies=[AlertPolicy.model_validate(versus.policy(NS, i)) for i in range(count)],
    )
    rendered = render_rule_files(inputs)
    assert not rendered.rejected
    return {f.source: f for f in rendered.files}


def test_each_prometheus_rule_holds_exactly_augurs_rules() -> None:
    files = _rendered(30)
    rules = [
        versus.prometheus_rule(NS, versus.object_name(i), versus.augur_rule_file(NS, i))
        for i in range(30)
    ]
    assert len(rules) == len(files)
    total = 0
    for i, rule in enumerate(rules):
        name = versus.object_name(i)
        augur_file = files[f"AlertPolicy/{NS}/{name}"]
        assert rule["metadata"] == {"name": name, "namespace": NS, "labels": versus.RULE_LABELS}
        assert rule["spec"]["groups"] == augur_file.groups
        expressions = [r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]]
        assert len(expressions) == versus.ALERTS
        assert all(f'service="svc-{i}"' in expr for expr in expressions)
        total += len(expressions)
    assert total == sum(f.rule_count for f in files.values())


def test_an_edit_changes_one_expression_in_both() -> None:
    before = versus.augur_rule_file(NS, 3).groups[0]["rules"]
    after = versus.augur_rule_file(NS, 3, "e7").groups[0]["rules"]
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [0]
    assert 'v="e7"' in after[0]["expr"]
    po = versus.PrometheusOperator.__new__(versus.PrometheusOperator)
    po.namespace = NS
    assert po.doc(3, "e7")["spec"]["groups"][0]["rules"] == after


@pytest.mark.tools
def test_prometheus_operator_keeps_every_field_of_augurs_rules() -> None:
    """Every key augur writes in a group or a rule is a field of the PrometheusRule schema, so
    the API server prunes nothing from what prometheus-operator is given."""
    (crd,) = promoperator_crds(["PrometheusRule"])
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    groups = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["groups"]
    group_fields = set(groups["items"]["properties"])
    rule_fields = set(groups["items"]["properties"]["rules"]["items"]["properties"])
    for rule_file in _rendered(5).values():
        for group in rule_file.groups:
            assert set(group) <= group_fields
            for rule in group["rules"]:
                assert set(rule) <= rule_fields, set(rule) - rule_fields


def test_rules_are_counted_alike_in_both_formats() -> None:
    augur_file = versus.augur_rule_file(NS, 1)
    text = augur_file.text()
    assert versus.count_rules(text) == versus.ALERTS
    # prometheus-operator writes its rule files with sigs.k8s.io/yaml: keys sorted, sequences
    # not indented; a recording rule then starts with `expr`
    groups = [*augur_file.groups, {"name": "rec", "rules": [{"record": "r:x", "expr": "up"}]}]
    po_text = yaml.safe_dump({"groups": groups}, sort_keys=True)
    assert "- expr: up" in po_text
    assert versus.count_rules(po_text) == versus.ALERTS + 1
    assert versus.count_rules("groups: []\n") == 0


def test_prometheus_operators_rule_keys_name_their_object() -> None:
    uid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert versus.po_object_name(f"{NS}-p00012-{uid}.yaml", NS) == "p00012"
    assert versus.po_object_name(f"{NS}-a-b-c-{uid}.yaml", NS) == "a-b-c"
    assert versus.po_object_name(f"other-p00012-{uid}.yaml", NS) is None
    assert versus.po_object_name(f"{NS}-p00012.yaml", NS) is None


def test_prometheus_operator_runs_off_cluster_on_a_local_port() -> None:
    command = versus.po_command(Path("/bin/po"), NS, 18080)
    assert command[0] == "/bin/po"
    assert f"--namespaces={NS}" in command
    assert "--web.listen-address=127.0.0.1:18080" in command
    assert "--kubelet-endpoints=false" in command
    assert not any(arg.startswith(("--kubelet-service", "--kubeconfig")) for arg in command)


def test_augur_runs_as_bench_scale_runs_it() -> None:
    command = versus.augur_command(Path("/k/config"), NS)
    assert command[1:4] == ["run", "--kubeconfig", "/k/config"]
    assert command[command.index("--namespace") + 1] == NS
    assert "--standalone" in command


def test_the_prometheus_selects_the_rules() -> None:
    prometheus = versus.prometheus(NS)
    rule = versus.prometheus_rule(NS, "p00000", versus.augur_rule_file(NS, 0))
    selector = prometheus["spec"]["ruleSelector"]["matchLabels"]
    assert selector.items() <= rule["metadata"]["labels"].items()


def _result(name: str, **values: Any) -> versus.Result:
    result = versus.Result(name, 1000)
    for key, value in values.items():
        setattr(result, key, value)
    return result


def test_goals_are_judged_on_the_ratios() -> None:
    po = _result(
        "prometheus-operator",
        burst_seconds=20.0,
        edits=[10.0] * 50,
        edit_cpu_ms=7000.0,
        rss_idle=60.0,
        more=[{"objects": 5000, "rss": 450.0, "loaded": 5000, "statuses_after": None}],
    )
    augur = _result(
        "augur",
        burst_seconds=9.0,
        edits=[0.5] * 49 + [1.5],
        edit_cpu_ms=100.0,
        rss_idle=100.0,
        more=[{"objects": 5000, "rss": 200.0, "loaded": 4999, "statuses_after": 25.0}],
    )
    judged = {goal.measure: goal for goal in versus.goals(augur, po)}
    assert judged["1,000 objects → all rules in ConfigMaps"].met is True  # 0.45×
    assert judged["single edit → ConfigMap, p99"].met is False  # 0.15× of 10 s
    assert judged["processor time per edit"].met is True  # 0.014×
    assert judged["RSS idle"].met is False  # 1.67×
    assert judged["RSS at 5,000 objects"].met is True  # 0.44×
    assert judged["statuses current after a 5,000-object burst"].met is True  # 25 s
    assert judged["rules loaded at 5,000"].met is False  # 4,999 of 5,000
    assert judged["rules loaded at 10,000"].met is None  # not run


class _ConfigMaps:
    """A stand-in for the Kubernetes client: rule ConfigMaps to list."""

    def __init__(self, maps: list[dict[str, Any]]) -> None:
        self.maps = maps

    def list_objects(self, *_args: Any, **_kwargs: Any) -> list[dict[str, Any]]:
        return self.maps


def test_objects_count_as_loaded_with_all_their_rules_in_either_operators_maps() -> None:
    from augur.render.prometheus.rule_shards import config_map_key

    texts = [versus.augur_rule_file(NS, i).text() for i in range(3)]
    augur = versus.Augur(_ConfigMaps([]), NS, Path("/tmp"), Path("/k"))
    augur.register(3)
    keys = [augur.keys[versus.object_name(i)] for i in range(3)]
    assert keys[0] == config_map_key(f"prometheus/rules/{NS}__p00000.yaml")
    augur.kube.maps = [
        {"metadata": {"name": "platform-prometheus-rules-0"}, "data": {keys[0]: texts[0]}},
        {"metadata": {"name": "platform-prometheus-rules-1"}, "data": {keys[1]: "groups: []"}},
        {"metadata": {"name": "platform-grafana-dashboards"}, "data": {keys[2]: texts[2]}},
    ]
    assert augur.loaded(3) == (1, 2)  # p00001 has no rules yet; dashboards are no rule map

    uid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    po_maps = [
        {
            "metadata": {"name": f"prometheus-{versus.PROMETHEUS}-rulefiles-{n}"},
            "data": {f"{NS}-{versus.object_name(n)}-{uid}.yaml": texts[n]},
        }
        for n in range(3)
    ]
    po = versus.PrometheusOperator(
        _ConfigMaps(po_maps),
        NS,
        Path("/tmp"),
        Path("/k"),
        Path("/bin/po"),
    )
    assert po.loaded(3) == (3, 3)
    assert po.loaded(2) == (2, 3)  # only the first two objects are asked about
    assert po.find(1) == (f"prometheus-{versus.PROMETHEUS}-rulefiles-1", texts[1])

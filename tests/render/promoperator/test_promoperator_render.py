"""PrometheusRules in a stack's render: one per-file renderer for the full and the incremental
render, the rule ConfigMaps, the tools' items, and the stack's own namespace unrestricted."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.api.promoperator_rules import PrometheusRule, parse_prometheus_rule
from augur.commands.inputs import load
from augur.render.selection import StackInputs, inputs_for, stacks_of
from augur.render.stack import render_stack, rerender_stack
from augur.render.tool_checks import Tool, rule_file_items

CASES = Path(__file__).resolve().parent / "cases"


def inputs(case: str) -> StackInputs:
    result = load([str(CASES / f"{case}.yaml")])
    return inputs_for(stacks_of(result.inventory)[0], result.inventory)


def renamed(rule: PrometheusRule, alert: str) -> PrometheusRule:
    body: dict[str, Any] = rule.model_dump(by_alias=True, exclude_none=True)
    body["spec"]["groups"][0]["rules"][0]["alert"] = alert
    return parse_prometheus_rule(body)


def test_the_incremental_render_writes_what_the_full_one_does_and_reuses_files() -> None:
    selected = inputs("exporters-tenancy")
    assert [r.key for r in selected.prometheus_rules] == [
        "cache/impostor",
        "cache/redis-exporter",
        "db/postgres-exporter",
    ]
    full = render_stack(selected)
    output, memo = rerender_stack(selected)
    for path, text in output.files.items():
        assert full.files[path] == text
    assert output.rejected.keys() == full.rejected.keys() == {"PrometheusRule/cache/impostor"}
    assert output.rule_count == full.rule_count

    redis = selected.prometheus_rules[1]
    changed = StackInputs(
        selected.stack,
        prometheus_rules=[
            selected.prometheus_rules[0],
            renamed(redis, "RedisGone"),
            *selected.prometheus_rules[2:],
        ],
        namespace_labels=selected.namespace_labels,
    )
    again, memo2 = rerender_stack(changed, memo)
    postgres = "PrometheusRule/db/postgres-exporter"
    assert memo2.rule_files[postgres] is memo.rule_files[postgres]  # reused, not rendered
    text = again.files["prometheus/rules/promrule__cache__redis-exporter.yaml"]
    assert "alert: RedisGone" in text and "alert: RedisDown" not in text


def test_the_rule_files_land_in_the_rule_config_maps_and_go_to_promtool() -> None:
    selected = inputs("kube-prometheus")
    output, memo = rerender_stack(selected)
    data: dict[str, str] = {}
    for manifest in output.manifests:
        if manifest["kind"] == "ConfigMap" and "-rules-" in manifest["metadata"]["name"]:
            data.update(manifest.get("data") or {})
    assert "promrule__monitoring__alertmanager-main-rules.yaml" in data
    items = {i.source: i for i in rule_file_items(memo)}
    item = items["PrometheusRule/monitoring/prometheus-k8s-prometheus-rules"]
    assert item.tool is Tool.PROMTOOL
    groups = yaml.safe_load(item.text)["groups"]
    assert [g["name"] for g in groups] == ["prometheus", "prometheus.recording"]
    # the stack's own namespace: as written, no enforced label, no `namespace` label added
    assert all("namespace" not in rule.get("labels", {}) for g in groups for rule in g["rules"])
    assert output.rule_count == 7


TENANT_STACK = """\
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {name: platform, namespace: monitoring}
spec:
  namespaceSelector: {any: true}
  tenancy: {enforceNamespaceLabel: tenant}
  prometheusOperatorObjects: {enabled: true}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: spoof, namespace: shop}
spec:
  groups:
  - name: spoof
    rules:
    - alert: LooksLikeTheAdmins
      expr: label_replace(label_replace(up, "namespace", "monitoring", "", ""), "tenant", "ml", "", "")
"""


def test_a_tenants_alert_cannot_claim_another_namespace_by_its_expression(
    tmp_path: Path,
) -> None:
    """With an enforced label other than `namespace`, a tenant's rules get `namespace: N` too
    (rule labels win over the expression's), as an AlertPolicy's do."""
    (tmp_path / "in.yaml").write_text(TENANT_STACK)
    result = load([str(tmp_path / "in.yaml")])
    assert not result.findings
    output, _ = rerender_stack(inputs_for(stacks_of(result.inventory)[0], result.inventory))
    rule = yaml.safe_load(output.files["prometheus/rules/promrule__shop__spoof.yaml"])["groups"][0][
        "rules"
    ][0]
    assert rule["labels"] == {"namespace": "shop", "tenant": "shop"}
    assert 'up{tenant="shop"}' in rule["expr"]


@pytest.mark.tools
def test_prometheus_gives_the_tenants_alert_the_tenants_labels(
    promtool: Path, tmp_path: Path
) -> None:
    (tmp_path / "in.yaml").write_text(TENANT_STACK)
    result = load([str(tmp_path / "in.yaml")])
    output, _ = rerender_stack(inputs_for(stacks_of(result.inventory)[0], result.inventory))
    (tmp_path / "rules.yaml").write_text(
        output.files["prometheus/rules/promrule__shop__spoof.yaml"]
    )
    suite = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "input_series": [
                    {"series": 'up{job="a", tenant="shop", namespace="shop"}', "values": "0x5"},
                    {"series": 'up{job="b", tenant="ml", namespace="ml"}', "values": "0x5"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "2m",
                        "alertname": "LooksLikeTheAdmins",
                        "exp_alerts": [
                            {"exp_labels": {"job": "a", "namespace": "shop", "tenant": "shop"}}
                        ],
                    }
                ],
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(suite))
    run = subprocess.run(
        [str(promtool), "test", "rules", "tests.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr

"""An AlertPolicy's recording rules: rendered before its alerts, their series keeping the
labels their expression gives them, restricted and labelled with the namespace under tenancy."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from rulehelpers import PromtoolTests, firing, render_text

from augur.api.alertpolicy import AlertPolicySpec
from augur.api.tenancy import enforced_label_problems

POLICY = """\
apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {name: db, namespace: team-a}
spec:
  records:
    - record: namespace:errors:rate5m
      expr: sum by (namespace) (rate(errors_total[5m]))
      labels: {team: db}
  alerts:
    - {name: Errors, severity: high, expr: 'namespace:errors:rate5m > 1', for: 5m}
"""

TENANCY_STACK = """\
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {name: platform, namespace: monitoring}
spec:
  namespaceSelector: {any: true}
  tenancy: {enforceNamespaceLabel: namespace}
---
"""


def test_records_come_first_and_keep_their_expression_and_labels() -> None:
    rules = render_text(POLICY).files[0].groups[0]["rules"]
    assert rules[0] == {
        "record": "namespace:errors:rate5m",
        "expr": "sum by (namespace) (rate(errors_total[5m]))",
        "labels": {"team": "db"},
    }
    assert rules[1]["alert"] == "Errors"


def test_under_tenancy_a_record_reads_and_carries_only_its_namespace() -> None:
    rules = render_text(TENANCY_STACK + POLICY).files[0].groups[0]["rules"]
    assert rules[0]["expr"] == 'sum by (namespace) (rate(errors_total{namespace="team-a"}[5m]))'
    assert rules[0]["labels"] == {"namespace": "team-a", "team": "db"}


def test_reserved_labels_are_refused_on_records() -> None:
    with pytest.raises(ValidationError, match="reserved"):
        AlertPolicySpec.model_validate(
            {"records": [{"record": "x:y", "expr": "x", "labels": {"severity": "high"}}]}
        )
    with pytest.raises(ValidationError, match="record"):
        AlertPolicySpec.model_validate({"records": [{"record": "not a name", "expr": "x"}]})


@pytest.mark.parametrize("name", ["ALERTS", "ALERTS_FOR_STATE", "augur_kpi:ratio:rate5m"])
def test_series_prometheus_or_augur_write_are_refused_as_record_names(name: str) -> None:
    with pytest.raises(ValidationError, match="writes itself"):
        AlertPolicySpec.model_validate({"records": [{"record": name, "expr": "vector(1)"}]})


def test_the_enforced_label_is_refused_on_a_tenant_record() -> None:
    spec = AlertPolicySpec.model_validate(
        {"records": [{"record": "x:y", "expr": "x", "labels": {"tenant": "team-b"}}]}
    )
    problems = enforced_label_problems(spec, "tenant")
    assert [p.path for p in problems] == ["spec.records[0].labels.tenant"]


@pytest.mark.tools
def test_a_tenant_alert_fires_through_its_record_and_not_on_another_tenants_series(
    promtool_tests: PromtoolTests,
) -> None:
    rules = render_text(TENANCY_STACK + POLICY)
    tests = [
        {
            "name": "records-feed-alerts",
            "interval": "1m",
            "input_series": [
                {"series": 'errors_total{namespace="team-a"}', "values": "0+600x30"},
                {"series": 'errors_total{namespace="team-b"}', "values": "0+6000x30"},
            ],
            "promql_expr_test": [
                firing("Errors", "10m", True, namespace="team-a", augur_policy="db"),
                {
                    "expr": "namespace:errors:rate5m",
                    "eval_time": "10m",
                    "exp_samples": [
                        {
                            "labels": 'namespace:errors:rate5m{namespace="team-a", team="db"}',
                            "value": 10,
                        }
                    ],
                },
            ],
        }
    ]
    promtool_tests(rules.files, tests)

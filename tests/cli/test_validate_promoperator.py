"""`augur validate` and `augur render` read PrometheusRules: problems at file:line:column,
a rule file per selected PrometheusRule, other monitoring.coreos.com kinds skipped."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from augur.cli import main

STACK = """\
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {name: platform, namespace: monitoring}
spec:
  prometheusOperatorObjects: {enabled: true}
"""
RULE = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: redis, namespace: monitoring}
spec:
  groups:
  - name: redis
    rules:
    - alert: RedisDown
      expr: redis_up == 0
      for: 5m
    - record: redis:clients
      expr: sum(redis_connected_clients
"""
MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: redis, namespace: monitoring}
spec: {endpoints: [{port: metrics}]}
"""


def write(tmp_path: Path, *documents: str) -> Path:
    path = tmp_path / "input.yaml"
    path.write_text("---\n".join(documents))
    return path


def test_validate_places_a_prometheus_rules_problem_at_its_field(tmp_path: Path) -> None:
    path = write(tmp_path, STACK, RULE, MONITOR)
    result = CliRunner().invoke(main, ["validate", "-f", str(path)])
    assert result.exit_code == 1
    # RULE begins on line 7; its second rule's expr is line 18, column 7
    assert (
        f"{path}:18:7 PrometheusRule/monitoring/redis: spec.groups[0].rules[1].expr: invalid "
        "PromQL at column 4: unclosed left parenthesis"
    ) in result.stderr
    assert "1 other document(s) skipped" in result.stdout  # the ServiceMonitor, not an error


def test_render_writes_a_rule_file_per_selected_prometheus_rule(tmp_path: Path) -> None:
    fixed = RULE.replace("sum(redis_connected_clients", "sum(redis_connected_clients)")
    path = write(tmp_path, STACK, fixed, MONITOR)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "-f", str(path), "--out-dir", str(out)])
    assert result.exit_code == 0, result.stderr
    rules = out / "monitoring" / "platform" / "prometheus" / "rules"
    text = (rules / "promrule__monitoring__redis.yaml").read_text()
    assert "alert: RedisDown" in text and "record: redis:clients" in text

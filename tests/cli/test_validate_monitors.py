"""`augur validate` reads prometheus-operator's ServiceMonitors and PodMonitors from the input
and places their problems at file:line:column."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from augur.cli import main

INPUT = """\
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {name: platform, namespace: monitoring}
spec:
  namespaceSelector: {matchNames: [monitoring, shop]}
  prometheusOperatorObjects: {enabled: true}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: steals-token, namespace: shop}
spec:
  selector: {matchLabels: {app: x}}
  endpoints:
    - port: metrics
      bearerTokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: classy, namespace: shop}
spec:
  selector: {matchLabels: {app: y}}
  scrapeClass: tls-everywhere
  podMetricsEndpoints:
    - port: metrics
      relabelings:
        - {sourceLabels: [__address__], action: hashmod, targetLabel: shard}
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: fine, namespace: shop}
spec:
  selector: {matchLabels: {app: z}}
  podMetricsEndpoints: [{port: metrics}]
"""


def validate(tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "input.yaml"
    path.write_text(INPUT)
    result = CliRunner().invoke(main, ["validate", "-f", str(path), *extra])
    return result.exit_code, result.stdout, result.stderr


def test_problems_are_placed_where_they_are_written(tmp_path: Path) -> None:
    code, _, err = validate(tmp_path)
    assert code == 1
    rows = INPUT.splitlines()
    token = rows.index("      bearerTokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token")
    scrape_class = rows.index("  scrapeClass: tls-everywhere")
    hashmod = rows.index(
        "        - {sourceLabels: [__address__], action: hashmod, targetLabel: shard}"
    )
    lines = err.splitlines()
    assert any(
        line.startswith(
            f"{tmp_path}/input.yaml:{token + 1}:7 ServiceMonitor/shop/steals-token: "
            "spec.endpoints[0].bearerTokenFile: file paths are refused"
        )
        for line in lines
    ), err
    assert any(
        line.startswith(
            f"{tmp_path}/input.yaml:{scrape_class + 1}:3 PodMonitor/shop/classy: spec.scrapeClass:"
        )
        for line in lines
    ), err
    assert any(
        line.startswith(
            f"{tmp_path}/input.yaml:{hashmod + 1}:11 PodMonitor/shop/classy: "
            "spec.podMetricsEndpoints[0].relabelings[0]:"
        )
        and "modulus" in line
        for line in lines
    ), err
    assert "PodMonitor/shop/fine" not in err


def test_the_report_counts_the_monitors(tmp_path: Path) -> None:
    _, out, _ = validate(tmp_path, "-o", "json")
    report = json.loads(out)
    assert report["objects"] == 4
    assert report["invalid"] == 2

"""`augur test`: rule tests of AlertPolicies run with promtool, reported per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from augur.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

POLICY = """apiVersion: augur.dev/v1alpha1
kind: AlertPolicy
metadata: {name: api, namespace: shop}
spec:
  alerts:
    - name: HighErrorRate
      severity: high
      expr: sum(rate(http_requests_total{code="500"}[5m])) > 1
      for: 5m
      labels: {team: api}
  tests:
    - name: fires
      inputSeries:
        - {series: 'http_requests_total{code="500"}', values: '0+120x30'}
      expectAlerts:
        - {alert: HighErrorRate, at: 15m, labels: {severity: high, team: api}}
        - {alert: HighErrorRate, at: 3m, firing: false}
"""

WRONG = POLICY.replace("{severity: high, team: api}", "{severity: critical}").replace(
    "at: 3m, firing: false", "at: 20m, firing: false"
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.tools
def test_shop_example_tests_pass(promtool: Path) -> None:
    code, out, _ = run("test", "-f", str(EXAMPLES / "shop"), "--promtool", str(promtool))
    assert code == 0, out
    assert "PASS shop/api/error-rate-fires" in out
    assert "2 test(s): 2 passed, 0 failed" in out


@pytest.mark.tools
def test_partial_labels_and_not_firing_pass(tmp_path: Path, promtool: Path) -> None:
    code, out, _ = run("test", "-f", write(tmp_path, POLICY), "--promtool", str(promtool))
    assert code == 0, out
    assert "PASS shop/api/fires" in out


@pytest.mark.tools
def test_failure_shows_the_difference(tmp_path: Path, promtool: Path) -> None:
    code, out, _ = run("test", "-f", write(tmp_path, WRONG), "--promtool", str(promtool))
    assert code == 1
    assert "FAIL shop/api/fires" in out
    assert 'at 15m: expected HighErrorRate{severity="critical"} firing, but it was not' in out
    assert (
        'firing at 15m: HighErrorRate{augur_policy="api", namespace="shop", severity="high", '
        'team="api"}'
    ) in out
    assert "at 20m: expected no HighErrorRate firing, but it was" in out
    assert "1 test(s): 0 passed, 1 failed" in out


@pytest.mark.tools
def test_tenancy_gives_input_series_the_namespace(tmp_path: Path, promtool: Path) -> None:
    stack = (
        "apiVersion: augur.dev/v1alpha1\nkind: MonitoringStack\n"
        "metadata: {name: platform, namespace: monitoring}\n"
        "spec: {namespaceSelector: {any: true}, tenancy: {enforceNamespaceLabel: namespace}}\n---\n"
    )
    code, out, _ = run("test", "-f", write(tmp_path, stack + POLICY), "--promtool", str(promtool))
    assert code == 0, out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            POLICY.replace("> 1", "> "),
            "AlertPolicy/shop/api: spec.alerts[0].expr: invalid PromQL at column",
        ),
        (
            POLICY.replace("{team: api}\n", "{namespace: other}\n"),
            "AlertPolicy/shop/api: spec.alerts[0].labels: label 'namespace' is reserved",
        ),
        (
            POLICY.replace(
                "  tests:", "    - {name: HighErrorRate, severity: low, expr: up == 0}\n  tests:"
            ),
            "AlertPolicy/shop/api: spec: duplicate alert name(s): HighErrorRate",
        ),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    result = CliRunner().invoke(main, ["test", "-f", write(tmp_path, text)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_render_reports_a_kpi_it_cannot_render(tmp_path: Path) -> None:
    kpi = (
        "apiVersion: augur.dev/v1alpha1\nkind: BusinessKPI\n"
        "metadata: {name: per-namespace, namespace: shop}\n"
        "spec: {indicator: {value: sum by (namespace) (up)}, groupBy: [namespace],"
        " objective: {target: 1}}\n"
    )
    result = CliRunner().invoke(
        main, ["render", "-f", write(tmp_path, kpi), "--out-dir", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert (
        "BusinessKPI/shop/per-namespace: spec.groupBy[0]: label 'namespace' is reserved"
        in result.stderr
    )


@pytest.mark.tools
def test_junit_names_each_rule_test_and_its_failure(tmp_path: Path, promtool: Path) -> None:
    from xml.etree import ElementTree

    both = POLICY + "---\n" + WRONG.replace("name: api", "name: web")
    report = tmp_path / "junit.xml"
    code, out, _ = run(
        "test", "-f", write(tmp_path, both), "--promtool", str(promtool), "--junit", str(report)
    )
    assert code == 1, out
    root = ElementTree.parse(report).getroot()
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "2", "1")
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "MonitoringStack monitoring/default"
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    assert set(cases) == {("AlertPolicy shop/api", "fires"), ("AlertPolicy shop/web", "fires")}
    assert cases[("AlertPolicy shop/api", "fires")].find("failure") is None
    failure = cases[("AlertPolicy shop/web", "fires")].find("failure")
    assert failure is not None and failure.text is not None
    assert 'at 15m: expected HighErrorRate{severity="critical"} firing, but it was not' in (
        failure.text
    )
    assert "firing at 15m: HighErrorRate{" in failure.text

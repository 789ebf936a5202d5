"""`augur import` round-trips realistic PrometheusRules: the AlertPolicies it writes validate,
and render the same rules (name, expression, `for`, labels, annotations), which promtool
accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from click.testing import CliRunner

from augur.cli import main
from augur.commands.importing.rules import SEVERITY_ALIASES
from augur.render.rules.tenancy import inject_matcher

RULES = Path(__file__).parent / "data" / "import" / "rules"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def original_rules() -> list[dict[str, Any]]:
    """Every rule of the input PrometheusRules, group labels merged in, with its object's
    namespace."""
    found = []
    for path in sorted(RULES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            for item in doc.get("items", [doc]):
                for group in item["spec"]["groups"]:
                    for rule in group["rules"]:
                        labels = {**group.get("labels", {}), **rule.get("labels", {})}
                        namespace = item["metadata"]["namespace"]
                        found.append({**rule, "labels": labels, "namespace": namespace})
    return found


def normalised(expr: str) -> str:
    """The expression as Prometheus' grammar reads it, without the label_replace augur wraps
    an alert in to keep its series' namespace as exported_namespace."""
    tree = promql_parser.parse(expr)
    if (
        isinstance(tree, promql_parser.Call)
        and tree.func.name == "label_replace"
        and tree.args[1].val == "exported_namespace"
    ):
        tree = tree.args[0]
    text: str = tree.prettify()
    return text


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The imported policies rendered: the rule files' folder and their rules."""
    folder = tmp_path_factory.mktemp("import")
    policies = folder / "policies.yaml"
    code, _, err = run("import", "-f", str(RULES), "--out-file", str(policies))
    assert code == 3, err  # the report names changes (severity none, namespace)
    code, out, err = run("validate", "-f", str(policies))
    assert code == 0, err
    assert "all valid" in out and not err
    code, _, err = run("render", "-f", str(policies), "--out-dir", str(folder / "out"))
    assert code == 0, err
    rules_dir = folder / "out" / "monitoring" / "default" / "prometheus" / "rules"
    rules = []
    for path in sorted(rules_dir.glob("*.yaml")):
        if path.name != "augur-self-monitoring.yaml":
            for group in yaml.safe_load(path.read_text())["groups"]:
                rules += group["rules"]
    return rules_dir, rules


def test_every_rule_renders_with_its_name_and_expression(
    rendered: tuple[Path, list[dict[str, Any]]],
) -> None:
    _, rules = rendered
    originals = original_rules()
    assert len(originals) == 37
    unmatched = list(rules)
    for rule in originals:
        kind = "alert" if "alert" in rule else "record"
        wanted = (rule[kind], normalised(str(rule["expr"])))
        match = next((r for r in unmatched if (r.get(kind), normalised(r["expr"])) == wanted), None)
        assert match is not None, f"{kind} {rule[kind]} was not rendered with its expression"
        unmatched.remove(match)
    assert unmatched == []


def test_alerts_keep_for_labels_and_annotations(
    rendered: tuple[Path, list[dict[str, Any]]],
) -> None:
    _, rules = rendered
    for rule in (r for r in original_rules() if "alert" in r):
        candidates = [
            r
            for r in rules
            if r.get("alert") == rule["alert"]
            and normalised(r["expr"]) == normalised(str(rule["expr"]))
        ]
        assert len(candidates) == 1
        out = candidates[0]
        assert out.get("for") == (rule.get("for") if rule.get("for") not in (None, "0m") else None)
        assert out.get("keep_firing_for") == rule.get("keep_firing_for")
        assert out.get("annotations", {}) == rule.get("annotations", {})
        severity = rule["labels"]["severity"]
        expected = {**rule["labels"], "severity": SEVERITY_ALIASES.get(severity, severity)}
        assert out["labels"].items() >= expected.items()
        # identity: augur's own labels, the policy's namespace and name
        assert set(out["labels"]) - set(expected) == {"namespace", "augur_policy"}


def test_records_keep_their_labels_and_come_before_alerts(
    rendered: tuple[Path, list[dict[str, Any]]],
) -> None:
    _, rules = rendered
    quantile = next(r for r in rules if r.get("record", "").startswith("cluster_quantile:"))
    assert quantile["labels"] == {"quantile": "0.99", "verb": "read"}
    postgres = next(r for r in rules if r.get("record") == "postgres:transactions:rate5m")
    assert postgres["labels"] == {"team": "data"}  # the group's label, carried over


@pytest.mark.tools
def test_promtool_accepts_the_rendered_rules(
    rendered: tuple[Path, list[dict[str, Any]]], promtool: Path
) -> None:
    rules_dir, _ = rendered
    files = sorted(str(p) for p in rules_dir.glob("*.yaml"))
    result = subprocess.run(
        [str(promtool), "check", "rules", *files], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_a_repeated_alert_name_goes_to_a_second_policy() -> None:
    code, out, _ = run("import", "-f", str(RULES / "node-exporter-rules.yaml"))
    assert code == 3
    policies = list(yaml.safe_load_all(out))
    assert [p["metadata"]["name"] for p in policies] == [
        "node-exporter-rules",
        "node-exporter-rules-2",
    ]
    first, second = (p["spec"] for p in policies)
    assert [a["name"] for a in second["alerts"]] == ["NodeFilesystemSpaceFillingUp"]
    assert second["alerts"][0]["severity"] == "critical"
    assert len(first["records"]) == 4 and "records" not in second
    for policy in policies:
        assert policy["metadata"]["annotations"] == {
            "augur.dev/imported-from": "PrometheusRule/monitoring/node-exporter-rules"
        }
        assert policy["metadata"]["labels"] == {"prometheus": "k8s", "role": "alert-rules"}


TENANCY_STACK = """\
apiVersion: augur.dev/v1alpha1
kind: MonitoringStack
metadata: {name: platform, namespace: platform}
spec:
  namespaceSelector: {any: true}
  tenancy: {enforceNamespaceLabel: namespace}
"""


@pytest.mark.tools
def test_under_tenancy_every_rule_is_the_original_restricted_to_its_namespace(
    tmp_path: Path, promtool: Path
) -> None:
    policies = tmp_path / "policies.yaml"
    run("import", "-f", str(RULES), "--out-file", str(policies))
    (tmp_path / "stack.yaml").write_text(TENANCY_STACK)
    code, _, err = run("render", "-f", str(tmp_path), "--out-dir", str(tmp_path / "out"))
    assert code == 0, err
    rules_dir = tmp_path / "out" / "platform" / "platform" / "prometheus" / "rules"
    rendered: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(rules_dir.glob("*__*.yaml")):
        namespace = path.name.split("__")[0]
        for group in yaml.safe_load(path.read_text())["groups"]:
            rendered += [(namespace, rule) for rule in group["rules"]]
    for rule in original_rules():
        kind = "alert" if "alert" in rule else "record"
        restricted = inject_matcher(str(rule["expr"]), "namespace", rule["namespace"])
        candidates = [
            normalised(out["expr"])
            for namespace, out in rendered
            if namespace == rule["namespace"] and out.get(kind) == rule[kind]
        ]
        assert normalised(restricted) in candidates, f"{kind} {rule[kind]}"
    files = sorted(str(p) for p in rules_dir.glob("*.yaml"))
    result = subprocess.run(
        [str(promtool), "check", "rules", *files], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.tools
def test_an_imported_alert_fires_through_its_imported_record_under_tenancy(
    tmp_path: Path, promtool: Path
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    policies = source / "policies.yaml"
    run("import", "-f", str(RULES / "postgres-exporter-rules.yaml"), "--out-file", str(policies))
    (source / "stack.yaml").write_text(TENANCY_STACK)
    code, _, err = run("render", "-f", str(source), "--out-dir", str(tmp_path / "out"))
    assert code == 0, err
    rules_dir = tmp_path / "out" / "platform" / "platform" / "prometheus" / "rules"
    idle = "0+0x60"
    suite = {
        "rule_files": ["databases__postgres-exporter.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": f'pg_stat_database_xact_{kind}{{namespace="{ns}", datname="shop"}}',
                        "values": idle,
                    }
                    for kind in ("commit", "rollback")
                    for ns in ("databases", "cache")
                ],
                "alert_rule_test": [
                    {
                        "alertname": "PostgresqlLowTransactionRate",
                        "eval_time": "40m",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "datname": "shop",
                                    "namespace": "databases",
                                    "team": "data",
                                    "severity": "low",
                                    "augur_policy": "postgres-exporter",
                                },
                                "exp_annotations": {
                                    "summary": "Database shop sees almost no transactions"
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }
    (rules_dir / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    result = subprocess.run(
        [str(promtool), "test", "rules", "suite.yaml"],
        cwd=rules_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""`augur import` says what it did not carry over or changed, at file:line:column, with its
exit codes: 0 all carried over, 3 parts reported, 2 input errors (nothing written)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from augur.cli import main
from augur.commands.importing.series_labels import may_carry_label


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def prometheus_rule(groups: str, name: str = "app", namespace: str = "shop") -> str:
    return (
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\nspec:\n  groups:\n{groups}"
    )


CLEAN = prometheus_rule(
    """\
    - name: app
      rules:
        - alert: ErrorsHigh
          expr: sum by (service) (rate(errors_total[5m])) > 1
          for: 5m
          labels: {severity: high, team: shop}
          annotations: {summary: 'Errors in {{ $labels.service }}', playbook: see wiki}
"""
)


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "PrometheusRule(s) ->" not in line]


def test_a_rule_carried_over_whole_exits_0_with_no_report(tmp_path: Path) -> None:
    code, out, err = run("import", "-f", write(tmp_path, CLEAN))
    assert code == 0, err
    assert lines(err) == []
    (policy,) = yaml.safe_load_all(out)
    assert policy["metadata"]["namespace"] == "shop"
    assert policy["spec"]["alerts"] == [
        {
            "name": "ErrorsHigh",
            "severity": "high",
            "expr": "sum by (service) (rate(errors_total[5m])) > 1",
            "for": "5m",
            "summary": "Errors in {{ $labels.service }}",
            "labels": {"team": "shop"},
            "annotations": {"playbook": "see wiki"},
        }
    ]


def test_stdin_namespace_and_out_file(tmp_path: Path) -> None:
    target = tmp_path / "policies.yaml"
    code, out, _ = run(
        "import", "-f", "-", "--namespace", "team-a", "--out-file", str(target), stdin=CLEAN
    )
    assert code == 0 and out == ""
    (policy,) = yaml.safe_load_all(target.read_text())
    assert policy["metadata"]["namespace"] == "team-a"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("interval", "30s", "evaluationInterval"),
        ("limit", "10", "no limit"),
        ("query_offset", "1m", "without a query offset"),
        ("partial_response_strategy", "warn", "Thanos"),
    ],
)
def test_group_settings_are_reported_at_their_line(
    tmp_path: Path, field: str, value: str, reason: str
) -> None:
    text = prometheus_rule(
        f"""\
    - name: app
      {field}: {value}
      rules:
        - {{alert: Down, expr: up == 0, labels: {{severity: critical}}}}
"""
    )
    code, _, err = run("import", "-f", write(tmp_path, text))
    assert code == 3
    (line,) = [line for line in lines(err) if field in line]
    assert line.startswith(f"{tmp_path}/rules.yaml:7:7 PrometheusRule/shop/app: ")
    assert f"spec.groups[0].{field}: not carried over (group app)" in line
    assert reason in line


@pytest.mark.parametrize(
    ("labels", "severity", "said"),
    [
        ("{severity: none}", "info", "severity 'none' becomes info"),
        ("{severity: error}", "high", "severity 'error' becomes high"),
        ("{severity: Critical}", "critical", "severity 'Critical' becomes critical"),
        ("{severity: urgent}", "warning", "severity 'urgent' is not augur's"),
        ("{team: a}", "warning", "no severity label"),
    ],
)
def test_severities_augur_does_not_have_are_mapped_and_reported(
    tmp_path: Path, labels: str, severity: str, said: str
) -> None:
    text = prometheus_rule(
        f"    - name: g\n      rules:\n        - {{alert: A, expr: vector(1), labels: {labels}}}\n"
    )
    code, out, err = run("import", "-f", write(tmp_path, text))
    assert code == 3
    assert next(yaml.safe_load_all(out))["spec"]["alerts"][0]["severity"] == severity
    (line,) = lines(err)
    assert "changed (alert A)" in line and said in line


def test_reserved_labels_unknown_fields_and_record_only_fields_are_reported(
    tmp_path: Path,
) -> None:
    text = prometheus_rule(
        """\
    - name: g
      rules:
        - alert: A
          expr: vector(1)
          labels: {severity: low, namespace: other, augur_policy: x}
          owner: me
        - record: job:up:sum
          expr: sum by (job) (up)
          for: 5m
          labels: {severity: high}
          annotations: {summary: no}
"""
    )
    code, out, err = run("import", "-f", write(tmp_path, text))
    assert code == 3
    reported = "\n".join(lines(err))
    for expected in (
        "spec.groups[0].rules[0].labels.namespace: not carried over (alert A): label "
        "namespace='other': augur sets namespace to the policy's namespace",
        "rules[0].labels.augur_policy: not carried over (alert A)",
        "rules[0].owner: not carried over (alert A): unknown field 'owner'",
        "rules[1].for: not carried over (record job:up:sum): a recording rule has no for",
        "rules[1].annotations: not carried over (record job:up:sum)",
        "rules[1].labels.severity: not carried over (record job:up:sum)",
    ):
        assert expected in reported
    spec = next(yaml.safe_load_all(out))["spec"]
    assert spec["records"] == [{"record": "job:up:sum", "expr": "sum by (job) (up)"}]
    assert "labels" not in spec["alerts"][0]


def test_a_rule_augur_refuses_is_left_out_with_the_reason(tmp_path: Path) -> None:
    text = prometheus_rule(
        """\
    - name: g
      rules:
        - alert: Broken
          expr: vector(1)
          labels: {severity: high}
          annotations: {summary: '{{ .Unknown | nosuchfunction }}'}
        - {alert: Fine, expr: vector(1), labels: {severity: high}}
"""
    )
    code, out, err = run("import", "-f", write(tmp_path, text))
    assert code == 3
    (line,) = lines(err)
    assert ":11:25 " in line  # the annotation's key, where the rule wrote it
    assert "spec.groups[0].rules[0].annotations.summary: not carried over (alert Broken)" in line
    assert "nosuchfunction" in line
    assert [a["name"] for a in next(yaml.safe_load_all(out))["spec"]["alerts"]] == ["Fine"]


def test_the_series_namespace_becoming_exported_namespace_is_reported(tmp_path: Path) -> None:
    text = prometheus_rule(
        """\
    - name: g
      rules:
        - {alert: PodDown, expr: 'kube_pod_status_ready{condition="false"} == 1', labels: {severity: low}}
        - {alert: JobDown, expr: 'sum by (job) (up) == 0', labels: {severity: low}}
"""
    )
    code, _, err = run("import", "-f", write(tmp_path, text))
    assert code == 3
    (line,) = lines(err)
    assert "rules[0].expr: changed (alert PodDown)" in line and "exported_namespace" in line


@pytest.mark.parametrize(
    ("expr", "carries"),
    [
        ("up", True),
        ("sum(up)", False),
        ("sum by (namespace) (up)", True),
        ("sum without (namespace) (up)", False),
        ("sum without (pod) (up)", True),
        ("topk(3, sum by (job) (up))", False),
        ("vector(1)", False),
        ("time() - scalar(sum(up))", False),
        ("sum by (job) (a) / on (job) sum by (job) (b)", False),
        ("a / on (job) b", False),
        ("a / ignoring (pod) b", True),
        ("a / ignoring (namespace) b", False),
        ("sum by (job) (a) * on (job) group_left (namespace) b", True),
        ("sum by (job) (a) or b", True),
        ("sum by (job) (a) and b", False),
        ('label_replace(sum(a), "namespace", "x", "", "")', True),
        ('count_values by (job) ("namespace", a)', False),
        ("2 * a", True),
    ],
)
def test_which_expressions_may_carry_the_namespace_label(expr: str, carries: bool) -> None:
    assert may_carry_label(expr, "namespace") is carries


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("groups: [\n", ":2:1", "not valid YAML"),
        (
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: a}\n"
            "spec: {}\n",
            ":4:1",
            "spec.groups: expected a list of rule groups",
        ),
        (
            prometheus_rule(
                "    - name: g\n      rules:\n        - {alert: A, record: b, expr: x}\n"
            ),
            ":8:11",
            "spec.groups[0].rules[0]: a rule sets exactly one of alert and record",
        ),
        (
            prometheus_rule("    - name: g\n      rules:\n        - {alert: A}\n"),
            ":8:11",
            "a rule needs an expression",
        ),
        (prometheus_rule("    - rules: []\n"), ":6:7", "spec.groups[0]: a group needs a name"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "", "no PrometheusRule"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    target = tmp_path / "out.yaml"
    code, out, err = run("import", "-f", write(tmp_path, text), "--out-file", str(target))
    assert code == 2
    assert not target.exists() and out == ""
    first = err.splitlines()[0]
    assert first.startswith(f"{tmp_path}/rules.yaml{where}"), first
    assert message in first
    assert "nothing written" in err


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("import", "-f", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file or folder" in err


def test_import_is_listed_in_help() -> None:
    code, out, _ = run("--help")
    assert code == 0 and "  import " in out


RULE = prometheus_rule("    - name: g\n      rules: [{alert: A, expr: vector(1)}]\n")


@pytest.mark.parametrize(
    "text",
    [
        prometheus_rule(
            "    - name: g\n      rules: [{alert: A, expr: [1, 2], labels: {a: {b: c}}}]\n"
        ),
        prometheus_rule("    - name: g\n      labels: [a]\n      rules: []\n"),
        prometheus_rule("    - name: g\n      rules: [{alert: 7, expr: 1, for: {a: b}}]\n"),
        prometheus_rule("    - name: g\n      rules: [{record: 'x y', expr: up, labels: [a]}]\n"),
        prometheus_rule("  - 3\n"),
        RULE + "---\nroute: {receiver: a, match: [x], routes: {a: b}}\nreceivers: [{name: a}]\n",
        RULE + "---\nroute: {receiver: a}\nreceivers: [{name: a, slack_configs: {a: b}}]\n",
        RULE + "---\nroute: {receiver: a}\nreceivers: [{name: a, webhook_configs: [3]}]\n",
        RULE + "---\nroute: {receiver: a}\nreceivers: a\nglobal: [x]\n",
        RULE + "---\nroute: {receiver: a}\nglobal: [{a: b}]\n",
        RULE + "---\nroute: {receiver: a}\ninhibit_rules: [{source_match: [a], equal: b}]\n",
        RULE
        + "---\nroute: {receiver: a}\ntime_intervals: [{name: x, time_intervals: [{times: [1]}]}]\n",
        RULE + "---\nroute: {receiver: a, routes: [{routes: [{routes: [3]}]}]}\n",
        RULE + "---\nroute: {receiver: a, routes: [{matchers: ['a=~\"(\"'], receiver: a}]}\n",
        RULE
        + "---\nroute: {receiver: a}\ntime_intervals: [{name: x, time_intervals: [{weekdays: [7]}]}]\n",
        RULE
        + "---\napiVersion: monitoring.coreos.com/v1alpha1\nkind: AlertmanagerConfig\n"
        + "metadata: {name: a}\nspec: {route: {receiver: a, matchers: [3], routes: [{1: 2}]}, "
        + "receivers: [{name: a, slackConfigs: [{apiURL: 3}]}], inhibitRules: [3], "
        + "muteTimeIntervals: [{name: n, timeIntervals: [{daysOfMonth: [{start: 1}]}]}]}\n",
    ],
)
def test_malformed_input_is_reported_never_a_crash(tmp_path: Path, text: str) -> None:
    result = CliRunner().invoke(main, ["import", "-f", write(tmp_path, text)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (2, 3), result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_route_fields_are_reported(tmp_path: Path) -> None:
    text = RULE + "---\nroute: {receiver: a, routes: [{receiver: a, mute_for: 1h}]}\n"
    code, _, err = run("import", "-f", write(tmp_path, text))
    assert code == 3
    assert (
        "route.routes[0].mute_for: not carried over (route route.routes[0]): unknown field" in err
    )


def test_a_long_name_is_shortened_to_fit_the_policys_rule_file(tmp_path: Path) -> None:
    name = "a" * 240
    text = prometheus_rule(
        "    - name: g\n      rules:\n"
        "        - {alert: A, expr: vector(1), labels: {severity: low}}\n"
        "        - {alert: A, expr: vector(2), labels: {severity: low}}\n",
        name=name,
    )
    code, out, err = run("import", "-f", write(tmp_path, text))
    assert code == 0, err
    policies = tmp_path / "policies.yaml"
    policies.write_text(out)
    names = [p["metadata"]["name"] for p in yaml.safe_load_all(out)]
    assert names[1].endswith("-2") and names[0].startswith(names[1][:-2])
    code, _, err = run("validate", "-f", str(policies))
    assert code == 0, err

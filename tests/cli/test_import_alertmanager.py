"""`augur import` carries an Alertmanager configuration's routes, receivers, inhibitions and
time intervals onto the imported AlertPolicies: the rendered configuration passes amtool and
routes each alert to the receivers the original did."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from augur.cli import main

DATA = Path(__file__).parent / "data" / "import"
POSTGRES = DATA / "rules" / "postgres-exporter-rules.yaml"
ALERTMANAGER = DATA / "alertmanager" / "alertmanager.yaml"
ALERTMANAGER_CONFIG = DATA / "alertmanager" / "alertmanagerconfig.yaml"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def imported(*paths: Path) -> tuple[int, dict[str, Any], str]:
    args = [arg for path in paths for arg in ("-f", str(path))]
    code, out, err = run("import", *args)
    (policy,) = yaml.safe_load_all(out)
    return code, policy, err


def render(tmp_path: Path, policy: dict[str, Any]) -> Path:
    """The rendered Alertmanager configuration of `policy` (validated first)."""
    source = tmp_path / "policy.yaml"
    source.write_text(yaml.safe_dump(policy))
    code, _, err = run("validate", "-f", str(source))
    assert code == 0, err
    code, _, err = run("render", "-f", str(source), "--out-dir", str(tmp_path / "out"))
    assert code == 0, err
    return tmp_path / "out" / "monitoring" / "default" / "alertmanager" / "alertmanager.yml"


def test_routes_receivers_inhibitions_and_intervals_are_carried_over() -> None:
    code, policy, _ = imported(POSTGRES, ALERTMANAGER)
    assert code == 3
    spec = policy["spec"]
    routing = spec["routing"]
    assert routing["groupBy"] == ["exported_namespace"]
    assert (routing["groupWait"], routing["groupInterval"], routing["repeatInterval"]) == (
        "30s",
        "5m",
        "12h",
    )
    every = ["critical", "high", "medium", "warning", "low", "info"]
    assert routing["routes"] == [
        {"severities": every, "matchers": ['alertname="Watchdog"'], "receivers": ["Watchdog"]},
        {"severities": every, "matchers": ['alertname="InfoInhibitor"'], "receivers": ["null"]},
        {
            "severities": ["critical"],
            "receivers": ["Critical"],
            "muteTimeIntervals": ["weekend-maintenance"],
        },
        {
            "severities": ["critical", "high"],
            "matchers": ['exported_namespace="databases"'],
            "receivers": ["dba-pager"],
            "groupBy": ["alertname", "datname"],
        },
        {
            "severities": every,
            "matchers": ['exported_namespace="databases"'],
            "receivers": ["databases"],
            "groupBy": ["alertname", "datname"],
        },
        {
            "severities": every,
            "matchers": ['service="redis"'],
            "receivers": ["pushover-ops"],
            "continue": True,
        },
        {"severities": every, "matchers": ['service!="redis"'], "receivers": ["Default"]},
    ]
    receivers = {r["name"]: r for r in spec["receivers"]}
    assert receivers["Default"]["slack"]["apiURL"] == {
        "secretKeyRef": {"name": "alertmanager-receivers", "key": "Default-slack-api-url"}
    }
    assert receivers["Watchdog"] == {
        "name": "Watchdog",
        "webhook": {"url": "https://heartbeat.example.org/ping"},
    }
    assert receivers["pushover-ops"] == {"name": "pushover-ops"}
    assert spec["inhibitions"][0] == {
        "sourceMatchers": ['severity="critical"'],
        "targetMatchers": ['severity=~"warning|info"'],
        "equal": ["exported_namespace", "alertname"],
    }
    assert spec["timeIntervals"] == [
        {
            "name": "weekend-maintenance",
            "intervals": [
                {"weekdays": ["saturday", "sunday"], "times": [{"start": "02:00", "end": "04:00"}]}
            ],
        }
    ]


def test_what_the_configuration_holds_beyond_a_policy_is_reported() -> None:
    _, _, err = imported(POSTGRES, ALERTMANAGER)
    reported = [line for line in err.splitlines() if "Alertmanager config" in line]
    where = f"{ALERTMANAGER}:"
    for expected in (
        "4:1 Alertmanager config: templates: not carried over (templates)",
        "2:3 Alertmanager config: global.resolve_timeout: not carried over (global)",
        "37:9 Alertmanager config: receivers[0].slack_configs[0].actions: not carried over",
        "61:5 Alertmanager config: receivers[6].pushover_configs: not carried over (receiver "
        "pushover-ops): pushover_configs: a channel augur does not support",
        "27:11 Alertmanager config: route.routes[3].routes[0].group_wait: not carried over",
        "20:7 Alertmanager config: route.routes[3].matchers: changed",
        "54:9 Alertmanager config: receivers[3].email_configs[0].auth_password_file: changed "
        "(receiver databases): email auth_password is read from Secret alertmanager-receivers "
        "key databases-email-auth-password: create it with the value from the file "
        "/etc/alertmanager/secrets/smtp-password (not copied)",
        "65:5 Alertmanager config: inhibit_rules[0]: changed (inhibit rule 0): under the "
        "stack's tenancy",
    ):
        assert any(line.startswith(where + expected) for line in reported), expected
    # credentials are never echoed
    assert "0123456789abcdef" not in err and "secret-opsgenie-key" not in err


@pytest.mark.tools
def test_amtool_accepts_the_rendered_configuration_and_routes_alike(
    tmp_path: Path, amtool: Path
) -> None:
    _, policy, _ = imported(POSTGRES, ALERTMANAGER)
    rendered = render(tmp_path, policy)
    check = subprocess.run(
        [str(amtool), "check-config", str(rendered)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr

    def routes(config: Path, labels: dict[str, str]) -> list[str]:
        result = subprocess.run(
            [str(amtool), "config", "routes", "test", f"--config.file={config}"]
            + [f"{k}={v}" for k, v in labels.items()],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip().split(",")

    alerts = [
        {"alertname": "PostgresqlDown", "severity": "critical", "namespace": "databases"},
        {"alertname": "PostgresqlReplicationLag", "severity": "high", "namespace": "databases"},
        {"alertname": "PostgresqlDeadLocks", "severity": "warning", "namespace": "databases"},
        {"alertname": "Watchdog", "severity": "none", "namespace": "monitoring"},
        {"alertname": "RedisDown", "severity": "critical", "namespace": "cache"},
        {"alertname": "RedisSlow", "severity": "warning", "namespace": "cache", "service": "redis"},
        {"alertname": "Other", "severity": "low", "namespace": "cache"},
    ]
    for labels in alerts:
        expected = [f"databases/postgres-exporter/{name}" for name in routes(ALERTMANAGER, labels)]
        augur_labels = {
            **labels,
            "severity": "info" if labels["severity"] == "none" else labels["severity"],
            "namespace": "databases",
            "exported_namespace": labels["namespace"],
            "augur_policy": "postgres-exporter",
        }
        assert routes(rendered, augur_labels) == expected, labels


def test_an_alertmanager_config_object_is_carried_over() -> None:
    code, policy, err = imported(POSTGRES, ALERTMANAGER_CONFIG)
    assert code == 3  # the rules' namespace and the inhibition under tenancy are reported
    spec = policy["spec"]
    every = ["critical", "high", "medium", "warning", "low", "info"]
    assert spec["routing"]["routes"] == [
        {"severities": ["critical"], "receivers": ["pager"], "muteTimeIntervals": ["nights"]},
        {
            "severities": every,
            "matchers": ['service=~"postgres|redis"'],
            "receivers": ["slack"],
            "continue": True,
        },
        {
            "severities": every,
            "matchers": ['service!~"postgres|redis"'],
            "receivers": ["team-webhook"],
        },
    ]
    assert spec["routing"]["groupBy"] == ["alertname", "instance"]
    assert spec["receivers"] == [
        {
            "name": "team-webhook",
            "webhook": {
                "urlSecret": {"secretKeyRef": {"name": "team-hook", "key": "url"}},
                "sendResolved": False,
            },
        },
        {
            "name": "pager",
            "pagerduty": {
                "routingKey": {"secretKeyRef": {"name": "pagerduty", "key": "routing-key"}}
            },
        },
        {
            "name": "slack",
            "slack": {
                "apiURL": {"secretKeyRef": {"name": "slack", "key": "url"}},
                "channel": "#db",
            },
        },
    ]
    assert spec["inhibitions"] == [
        {
            "sourceMatchers": ['severity="critical"'],
            "targetMatchers": ['severity="warning"'],
            "equal": ["instance"],
        }
    ]
    assert spec["timeIntervals"] == [
        {"name": "nights", "intervals": [{"times": [{"start": "00:00", "end": "06:00"}]}]}
    ]
    # Secrets the object references are taken as they are: nothing about them to report
    assert "AlertmanagerConfig/databases/databases" in err
    # notes name the object's own fields, at their place
    assert f"{ALERTMANAGER_CONFIG}:34:7 AlertmanagerConfig/databases/databases: " in err
    assert "spec.inhibitRules[0]: changed" in err
    assert "Secret" not in err


@pytest.mark.tools
def test_amtool_accepts_the_rendered_alertmanager_config_object(
    tmp_path: Path, amtool: Path
) -> None:
    _, policy, _ = imported(POSTGRES, ALERTMANAGER_CONFIG)
    check = subprocess.run(
        [str(amtool), "check-config", str(render(tmp_path, policy))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_continue_inside_nested_routes_is_reported_and_kept(tmp_path: Path) -> None:
    config = tmp_path / "am.yaml"
    config.write_text(
        """\
route:
  receiver: a
  routes:
    - matchers: [team="db"]
      receiver: b
      routes:
        - {matchers: [severity="critical"], receiver: c, continue: true}
receivers: [{name: a}, {name: b}, {name: c}]
"""
    )
    code, policy, err = imported(POSTGRES, config)
    assert code == 3
    routes = policy["spec"]["routing"]["routes"]
    assert [r["receivers"] for r in routes] == [["c"], ["b"], ["a"]]
    assert routes[0]["continue"] is True and routes[0]["matchers"] == ['team="db"']
    assert f"{config}:4:7 Alertmanager config: route.routes[0]: changed" in err
    assert "continue inside nested routes" in err


def test_a_time_interval_not_carried_over_leaves_the_routes_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "am.yaml"
    config.write_text(
        """\
route:
  receiver: a
  routes: [{matchers: [team="db"], receiver: a, mute_time_intervals: [bad]}]
receivers: [{name: a}]
time_intervals:
  - {name: bad, time_intervals: [{weekdays: ["saturday:sunday"]}]}
"""
    )
    code, policy, err = imported(POSTGRES, config)
    assert code == 3
    assert "muteTimeIntervals" not in policy["spec"]["routing"]["routes"][0]
    assert "ends before it starts" in err
    assert "muteTimeIntervals: bad: the time interval was not carried over" in err


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ([ALERTMANAGER], "an Alertmanager configuration is carried over onto the AlertPolicies"),
        ([POSTGRES, ALERTMANAGER, ALERTMANAGER_CONFIG], "one Alertmanager configuration at most"),
    ],
)
def test_alertmanager_input_errors(paths: list[Path], message: str) -> None:
    code, out, err = run("import", *[arg for p in paths for arg in ("-f", str(p))])
    assert code == 2 and out == ""
    assert message in err


def test_a_configuration_without_a_top_route_is_an_input_error(tmp_path: Path) -> None:
    config = tmp_path / "am.yaml"
    config.write_text("receivers: [{name: a}]\n")
    code, _, err = run("import", "-f", str(POSTGRES), "-f", str(config))
    assert code == 2
    assert f"{config}:1:1 Alertmanager config: route: expected the top route" in err


def test_past_continue_routes_of_one_condition_the_top_receiver_takes_only_the_rest(
    tmp_path: Path,
) -> None:
    config = tmp_path / "am.yaml"
    config.write_text(
        """\
route:
  receiver: a
  routes:
    - {matchers: [team="db"], receiver: b, continue: true}
    - {matchers: ['severity=~"critical|high"'], receiver: c, continue: true}
receivers: [{name: a}, {name: b}, {name: c}]
"""
    )
    _, policy, err = imported(POSTGRES, config)
    last = policy["spec"]["routing"]["routes"][-1]
    assert last["matchers"] == ['team!="db"', 'severity!~"critical|high"']
    assert "its receiver a is the last route" not in err


def test_past_a_continue_route_of_several_conditions_the_difference_is_reported(
    tmp_path: Path,
) -> None:
    config = tmp_path / "am.yaml"
    config.write_text(
        """\
route:
  receiver: a
  routes:
    - {matchers: [team="db", env="prod"], receiver: b, continue: true}
receivers: [{name: a}, {name: b}]
"""
    )
    code, policy, err = imported(POSTGRES, config)
    assert code == 3
    assert "matchers" not in policy["spec"]["routing"]["routes"][-1]
    assert f"{config}:1:1 Alertmanager config: route: changed (top route): its receiver a" in err


@pytest.mark.tools
def test_continue_routes_deliver_as_in_alertmanager(tmp_path: Path, amtool: Path) -> None:
    config = tmp_path / "am.yaml"
    config.write_text(
        """\
route:
  receiver: a
  routes:
    - {matchers: [team="db"], receiver: b, continue: true}
    - {matchers: ['severity=~"critical|high"'], receiver: c, continue: true}
    - {matchers: [env="prod"], receiver: d}
receivers: [{name: a}, {name: b}, {name: c}, {name: d}]
"""
    )
    _, policy, _ = imported(POSTGRES, config)
    rendered = render(tmp_path, policy)
    for labels in (
        {"severity": "low"},
        {"severity": "low", "team": "db"},
        {"severity": "high", "team": "db"},
        {"severity": "high", "team": "db", "env": "prod"},
        {"severity": "warning", "env": "prod"},
    ):
        original = _routes(amtool, config, {"alertname": "X", "namespace": "databases", **labels})
        augur = _routes(
            amtool,
            rendered,
            {
                "alertname": "X",
                **labels,
                "namespace": "databases",
                "exported_namespace": "databases",
                "augur_policy": "postgres-exporter",
            },
        )
        assert augur == [f"databases/postgres-exporter/{r}" for r in original], labels


def _routes(amtool: Path, config: Path, labels: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [str(amtool), "config", "routes", "test", f"--config.file={config}"]
        + [f"{k}={v}" for k, v in labels.items()],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().split(",")


def test_inhibitions_go_to_the_first_policy_of_each_namespace(tmp_path: Path) -> None:
    rules = DATA / "rules"
    args = ["import", "-f", str(ALERTMANAGER)]
    for name in ("alertmanager-rules", "node-exporter-rules", "postgres-exporter-rules"):
        args += ["-f", str(rules / f"{name}.yaml")]
    _, out, _ = run(*args)
    policies = list(yaml.safe_load_all(out))
    inhibiting = [
        (p["metadata"]["namespace"], p["metadata"]["name"])
        for p in policies
        if p["spec"].get("inhibitions")
    ]
    assert inhibiting == [
        ("monitoring", "alertmanager-main-rules"),
        ("databases", "postgres-exporter"),
    ]
    assert all("routing" in p["spec"] for p in policies if p["spec"].get("alerts"))

"""What the operator hands promtool and amtool, and how their answers map back to objects."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml

from augur.api.resources import AlertPolicy, Problem, parse_resource
from augur.render.alertmanager.check import policy_check_config
from augur.render.alertmanager.receivers import NULL_RECEIVER
from augur.render.selection import StackInputs, default_stack
from augur.render.stack import rerender_stack
from augur.render.tool_checks import (
    CheckItem,
    Tool,
    alertmanager_items,
    amtool_verdicts,
    check_arguments,
    promtool_verdicts,
    refusal,
    rule_file_items,
    verdicts_of,
    without_refused,
)


def policy(name: str, **spec: Any) -> AlertPolicy:
    body = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "alerts": [{"name": "Down", "severity": "high", "expr": "up == 0"}],
            **spec,
        },
    }
    parsed = parse_resource(body)
    assert isinstance(parsed, AlertPolicy)
    return parsed


PROMTOOL_STDOUT = "Checking 0.yml\nChecking 1.yml\n  SUCCESS: 1 rules found\n\nChecking 2.yml\n"
PROMTOOL_STDERR = (
    "  FAILED:\n"
    '0.yml: group "a", rule 1, "A": annotation "summary": template: __alert_A:1: '
    'function "nosuchfunc" not defined\n'
    "  FAILED:\n"
    '2.yml: 5:11: group "c", rule 1, "C": could not parse expression\n'
    "2.yml: a second problem\n"
)


def test_promtool_output_maps_to_each_file_without_its_scratch_name() -> None:
    found = promtool_verdicts(
        ["0.yml", "1.yml", "2.yml", "3.yml"], PROMTOOL_STDOUT, PROMTOOL_STDERR
    )
    assert found == {
        "0.yml": 'group "a", rule 1, "A": annotation "summary": template: __alert_A:1: '
        'function "nosuchfunc" not defined',
        "1.yml": None,
        "2.yml": '5:11: group "c", rule 1, "C": could not parse expression; a second problem',
    }  # 3.yml: never reported on, so not judged


def test_a_file_the_tool_never_reached_is_not_judged() -> None:
    verdicts = verdicts_of(Tool.PROMTOOL, ["0.yml", "1.yml"], "", "unknown flag --lint\n")
    assert [v.judged for v in verdicts] == [False, False]
    assert not any(v.refused for v in verdicts)
    assert verdicts[0].message == "promtool gave no verdict: unknown flag --lint"


def test_amtool_output_maps_to_each_file() -> None:
    stdout = (
        "Checking '0.yml'  SUCCESS\nFound:\n - global config\n - route\n\n"
        "Checking '1.yml'  FAILED: undefined receiver \"nope\" used in route\n\n"
    )
    assert amtool_verdicts(["0.yml", "1.yml", "2.yml"], stdout) == {
        "0.yml": None,
        "1.yml": 'undefined receiver "nope" used in route',
    }


def test_arguments_check_many_files_in_one_call() -> None:
    assert check_arguments(Tool.PROMTOOL, ["0.yml", "1.yml"]) == [
        "check",
        "rules",
        "--lint=none",
        "0.yml",
        "1.yml",
    ]
    assert check_arguments(Tool.AMTOOL, ["0.yml"]) == ["check-config", "0.yml"]


def test_a_verdict_is_remembered_by_tool_and_text() -> None:
    a = CheckItem("AlertPolicy/shop/a", Tool.PROMTOOL, "groups: []\n")
    same_text = CheckItem("AlertPolicy/shop/b", Tool.PROMTOOL, "groups: []\n")
    other_tool = CheckItem("AlertPolicy/shop/a", Tool.AMTOOL, "groups: []\n")
    assert a.digest == same_text.digest != other_tool.digest


def test_every_kept_rule_file_is_checked_and_left_out_objects_are_not() -> None:
    good, routed_nowhere = (
        policy("good"),
        policy("bad", routing={"routes": [{"receivers": ["nobody"]}]}),
    )
    inputs = StackInputs(default_stack(), alert_policies=[good, routed_nowhere])
    _, memo = rerender_stack(inputs)
    items = rule_file_items(memo)
    assert {i.source for i in items} == {"AlertPolicy/shop/good", "AlertPolicy/shop/bad"}
    assert all(i.tool is Tool.PROMTOOL and "alert: Down" in i.text for i in items)
    assert alertmanager_items({"AlertPolicy/shop/good": "route: {}\n"}) == [
        CheckItem("AlertPolicy/shop/good", Tool.AMTOOL, "route: {}\n")
    ]


def test_an_unchanged_text_keeps_its_item_and_a_changed_one_gets_a_new_digest() -> None:
    inputs = StackInputs(default_stack(), alert_policies=[policy("good"), policy("other")])
    _, memo = rerender_stack(inputs)
    first = rule_file_items(memo)
    previous = {(i.source, i.tool): i for i in first}
    edited = policy("other", alerts=[{"name": "Down", "expr": "up == 1", "severity": "high"}])
    _, again = rerender_stack(replace(inputs, alert_policies=[policy("good"), edited]), memo)
    second = {i.source: i for i in rule_file_items(again, previous)}
    kept, changed = second["AlertPolicy/shop/good"], second["AlertPolicy/shop/other"]
    assert kept is previous[("AlertPolicy/shop/good", Tool.PROMTOOL)]
    assert changed.digest != previous[("AlertPolicy/shop/other", Tool.PROMTOOL)].digest
    assert changed.digest == CheckItem(changed.source, Tool.PROMTOOL, changed.text).digest
    # an item is only reused for the same tool: an Alertmanager text is hashed as its own
    am = alertmanager_items({"AlertPolicy/shop/good": kept.text}, previous)
    assert am[0].tool is Tool.AMTOOL and am[0].digest != kept.digest


def test_a_refused_object_leaves_the_inputs_and_joins_the_rejected() -> None:
    good, bad = policy("good"), policy("bad")
    earlier = {"AlertPolicy/shop/gone": [Problem("", "unresolved")]}
    inputs = StackInputs(default_stack(), alert_policies=[good, bad], rejected=earlier)
    problem = refusal(Tool.PROMTOOL, 'function "nosuchfunc" not defined')
    left = without_refused(inputs, {"AlertPolicy/shop/bad": [problem]})
    assert left.alert_policies == [good]
    assert left.rejected == {**earlier, "AlertPolicy/shop/bad": [problem]}
    assert inputs.alert_policies == [good, bad]  # the inputs given are not changed
    assert str(problem) == 'promtool refuses its rules: function "nosuchfunc" not defined'
    output, _ = rerender_stack(left)
    assert "AlertPolicy/shop/bad" in output.rejected
    assert "prometheus/rules/shop__bad.yaml" not in output.files
    assert "prometheus/rules/shop__good.yaml" in output.files
    assert 'augur_policy="bad"' not in output.files["alertmanager/alertmanager.yml"]
    assert 'augur_policy="good"' in output.files["alertmanager/alertmanager.yml"]


def test_the_smallest_alertmanager_configuration_holds_only_the_policys_part() -> None:
    p = policy(
        "api",
        receivers=[{"name": "hook", "webhook": {"url": "http://hook.shop.svc/x"}}],
        routing={"routes": [{"receivers": ["hook"], "severities": ["high"]}]},
        inhibitions=[{"sourceMatchers": ["severity=high"], "targetMatchers": ["severity=low"]}],
    )
    stack = default_stack()
    config = yaml.safe_load(policy_check_config(stack, p))
    assert config["route"]["receiver"] == NULL_RECEIVER
    assert len(config["route"]["routes"]) == 1
    names = [r["name"] for r in config["receivers"]]
    default = stack.spec.alertmanager.default_receiver.name
    assert names == [NULL_RECEIVER, default, "shop/api/hook"]
    assert config["receivers"][1] == {"name": default}  # present, without integrations
    assert len(config["inhibit_rules"]) == 1


def test_a_prometheus_rules_file_is_checked_and_a_refused_one_leaves_the_inputs() -> None:
    from augur.api.promoperator_rules import parse_prometheus_rule

    rule = parse_prometheus_rule(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "redis", "namespace": "cache"},
            "spec": {"groups": [{"name": "r", "rules": [{"alert": "R", "expr": "up == 0"}]}]},
        }
    )
    inputs = StackInputs(default_stack(), alert_policies=[policy("good")], prometheus_rules=[rule])
    _, memo = rerender_stack(inputs)
    items = {i.source: i for i in rule_file_items(memo)}
    assert "alert: R" in items["PrometheusRule/cache/redis"].text
    problem = refusal(Tool.PROMTOOL, "bad")
    left = without_refused(inputs, {"PrometheusRule/cache/redis": [problem]})
    assert left.prometheus_rules == [] and left.alert_policies == inputs.alert_policies
    output, _ = rerender_stack(left)
    assert output.rejected["PrometheusRule/cache/redis"] == [problem]
    assert "prometheus/rules/promrule__cache__redis.yaml" not in output.files

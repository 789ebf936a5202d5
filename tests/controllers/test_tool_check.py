"""Checking objects' output with promtool and amtool: the real tools' verdicts, one call for
many files, the cache, timeouts, a missing tool, and a stack render leaving a refused object
out while the others flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.api.inventory import Inventory
from augur.api.monitoringstack import PrometheusOperatorObjects
from augur.api.promoperator_rules import PrometheusRule, parse_prometheus_rule
from augur.api.resources import AlertPolicy, is_augur_document, parse_resource
from augur.controllers.stack_render import StackRender
from augur.controllers.tool_check import ToolChecker, ToolCheckSettings, run_check
from augur.render.alertmanager.check import policy_check_config
from augur.render.selection import inputs_for, stacks_of
from augur.render.tool_checks import CheckItem, Tool, Verdict

REPO = Path(__file__).resolve().parents[2]

GOOD_RULES = "groups:\n- name: b\n  rules:\n  - alert: B\n    expr: up == 0\n"
BAD_TEMPLATE = GOOD_RULES + "    annotations:\n      summary: '{{ nosuchfunc 1 }}'\n"
BAD_EXPR = 'groups:\n- name: c\n  rules:\n  - alert: C\n    expr: up{job="a" or job="b"}\n'
GOOD_AM = "route:\n  receiver: augur/null\nreceivers:\n- name: augur/null\n"
BAD_AM = GOOD_AM.replace(
    "receiver: augur/null\n", "receiver: augur/null\n  routes:\n  - receiver: nope\n", 1
)


@pytest.mark.tools
def test_one_promtool_call_judges_many_rule_files(promtool: Path) -> None:
    verdicts = run_check(str(promtool), Tool.PROMTOOL, [GOOD_RULES, BAD_TEMPLATE, BAD_EXPR], 60)
    assert verdicts[0] == Verdict(True, None)
    assert verdicts[1].refused and 'function "nosuchfunc" not defined' in str(verdicts[1].message)
    assert verdicts[2].refused and "unexpected identifier" in str(verdicts[2].message)
    assert not str(verdicts[1].message).startswith("1.yml")  # the scratch name is dropped


@pytest.mark.tools
def test_one_amtool_call_judges_many_configurations(amtool: Path) -> None:
    verdicts = run_check(str(amtool), Tool.AMTOOL, [GOOD_AM, BAD_AM, "route: [\n"], 60)
    assert verdicts[0] == Verdict(True, None)
    assert verdicts[1] == Verdict(True, 'undefined receiver "nope" used in route')
    assert verdicts[2].refused


def example_inventory() -> Inventory:
    inventory = Inventory()
    for path in sorted((REPO / "examples" / "shop").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if is_augur_document(doc):
                inventory.add(parse_resource(doc))
            elif isinstance(doc, dict) and doc.get("kind") == "Namespace":
                meta = doc["metadata"]
                inventory.namespace_labels[meta["name"]] = dict(meta.get("labels") or {})
    inventory.sort()
    return inventory


@pytest.mark.tools
def test_amtool_accepts_each_example_policys_smallest_configuration(amtool: Path) -> None:
    inventory = example_inventory()
    stack = stacks_of(inventory)[0]
    texts = [policy_check_config(stack, p) for p in inventory.alert_policies]
    assert len(texts) == 3
    assert run_check(str(amtool), Tool.AMTOOL, texts, 60) == [Verdict(True, None)] * 3


def test_a_call_that_times_out_is_killed_with_its_children_and_split(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = tmp_path / "promtool"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! >> {pids}\nwait\n")
    script.chmod(0o755)
    verdicts = run_check(str(script), Tool.PROMTOOL, [GOOD_RULES, BAD_EXPR], 0.5)
    assert verdicts == [Verdict(False, "promtool ran longer than 0.5s")] * 2
    started = [int(line) for line in pids.read_text().split()]
    assert len(started) == 3  # the pair, then each alone
    for pid in started:
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "State:\tZ" in status.read_text()


def test_a_missing_binary_judges_nothing(tmp_path: Path) -> None:
    verdicts = run_check(str(tmp_path / "nothing"), Tool.AMTOOL, [GOOD_AM], 5)
    assert not verdicts[0].judged and "cannot run" in str(verdicts[0].message)


class FakeTool:
    """Refuses texts holding 'bad'; records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Tool, list[str]]] = []

    def __call__(self, path: str, tool: Tool, texts: list[str], timeout: float) -> list[Verdict]:
        self.calls.append((tool, list(texts)))
        return [Verdict(True, "no" if "bad" in t else None) for t in texts]


async def test_verdicts_are_cached_by_content_and_batched() -> None:
    fake = FakeTool()
    checker = ToolChecker(ToolCheckSettings("promtool", "amtool", batch=2), fake)
    items = [
        CheckItem("AlertPolicy/a/one", Tool.PROMTOOL, "good 1"),
        CheckItem("AlertPolicy/a/two", Tool.PROMTOOL, "bad 2"),
        CheckItem("AlertPolicy/a/three", Tool.PROMTOOL, "good 3"),
        CheckItem("AlertPolicy/a/two", Tool.AMTOOL, "good am"),
    ]
    first = await checker.check(items)
    assert set(first.refused) == {"AlertPolicy/a/two"}
    assert str(first.refused["AlertPolicy/a/two"][0]) == "promtool refuses its rules: no"
    assert first.unchecked == []
    assert [(tool, len(texts)) for tool, texts in fake.calls] == [
        (Tool.PROMTOOL, 2),
        (Tool.PROMTOOL, 1),
        (Tool.AMTOOL, 1),
    ]
    again = await checker.check([*items, CheckItem("BusinessKPI/a/k", Tool.PROMTOOL, "bad k")])
    assert set(again.refused) == {"AlertPolicy/a/two", "BusinessKPI/a/k"}
    assert fake.calls[3:] == [(Tool.PROMTOOL, ["bad k"])]  # only the new text was judged


async def test_without_a_tool_nothing_is_refused_and_the_outcome_says_so() -> None:
    fake = FakeTool()
    checker = ToolChecker(ToolCheckSettings(None, "amtool"), fake)
    outcome = await checker.check(
        [
            CheckItem("AlertPolicy/a/one", Tool.PROMTOOL, "bad"),
            CheckItem("AlertPolicy/a/one", Tool.AMTOOL, "good"),
        ]
    )
    assert outcome.refused == {}
    assert outcome.unchecked == ["no promtool: 1 outputs not checked"]
    assert [tool for tool, _ in fake.calls] == [Tool.AMTOOL]


async def test_an_unjudged_file_is_let_through_and_not_remembered() -> None:
    calls = []

    def timing_out(path: str, tool: Tool, texts: list[str], timeout: float) -> list[Verdict]:
        calls.append(texts)
        return [Verdict(False, "promtool ran longer than 1s") for _ in texts]

    checker = ToolChecker(ToolCheckSettings("promtool", None), timing_out)
    item = CheckItem("AlertPolicy/a/one", Tool.PROMTOOL, "bad")
    for _ in range(2):
        outcome = await checker.check([item])
        assert outcome.refused == {}
        assert outcome.unchecked == ["promtool ran longer than 1s"]
    assert len(calls) == 2


class FakeCatalog:
    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory

    def inventory(self) -> Inventory:
        return self._inventory

    def policy_models(self) -> None:
        return None


def shop_with(policy_body: dict[str, Any]) -> tuple[Inventory, AlertPolicy]:
    inventory = example_inventory()
    extra = parse_resource(policy_body)
    assert isinstance(extra, AlertPolicy)
    inventory.add(extra)
    inventory.sort()
    return inventory, extra


@pytest.mark.tools
async def test_a_render_leaves_out_what_promtool_refuses_and_keeps_the_rest(
    promtool: Path, amtool: Path
) -> None:
    body = {
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AlertPolicy",
        "metadata": {"name": "broken", "namespace": "shop"},
        "spec": {
            "alerts": [
                {
                    "name": "Down",
                    "severity": "high",
                    "expr": "up == 0",
                    "summary": "fine",
                }
            ]
        },
    }
    inventory, broken = shop_with(body)
    # Validation refuses this template itself; the tools are the net for whatever it misses,
    # so the object is given what validation would refuse after it was parsed.
    object.__setattr__(broken.spec.alerts[0], "summary", "{{ nosuchfunc 1 }}")
    stack = stacks_of(inventory)[0]
    checker = ToolChecker(ToolCheckSettings(str(promtool), str(amtool)))
    render = StackRender(stack.key, None, checker=checker)
    rendered = await render.render(stack, FakeCatalog(inventory))  # type: ignore[arg-type]
    problems = rendered.output.rejected["AlertPolicy/shop/broken"]
    assert 'function "nosuchfunc" not defined' in str(problems[0])
    assert str(problems[0]).startswith("promtool refuses its rules: ")
    assert "shop/broken" not in {p.key for p in rendered.inputs.alert_policies}
    assert len(rendered.inputs.alert_policies) == 3
    assert not any("broken" in name for name in rendered.output.files)
    rule_files = [n for n in rendered.output.files if n.startswith("prometheus/rules/shop__")]
    assert rule_files  # the other policies' rules still flow
    assert rendered.unchecked == ()
    calls = checker.calls
    again = await render.render(stack, FakeCatalog(inventory))  # type: ignore[arg-type]
    assert "AlertPolicy/shop/broken" in again.output.rejected
    assert checker.calls == calls  # nothing changed: every verdict came from the cache
    assert len(inputs_for(stack, inventory).alert_policies) == 4


async def test_a_render_without_tools_loads_everything_and_says_so() -> None:
    inventory = example_inventory()
    stack = stacks_of(inventory)[0]
    render = StackRender(stack.key, None, checker=ToolChecker(ToolCheckSettings()))
    rendered = await render.render(stack, FakeCatalog(inventory))  # type: ignore[arg-type]
    assert not rendered.output.rejected
    files = len(rendered.memo.rule_files)
    assert files >= 5  # three policies and the KPIs
    assert rendered.unchecked == (
        f"no promtool: {files} outputs not checked",
        "no amtool: 3 outputs not checked",
    )


@pytest.mark.tools
async def test_a_kpi_whose_rules_promtool_refuses_is_still_reported_by_the_stack(
    promtool: Path, amtool: Path
) -> None:
    """Left out of the render, the KPI stays among the stack's selected KPIs, so its reader
    writes the tool's message into its status (it was never read, nor reported, before)."""
    inventory = example_inventory()
    stack = stacks_of(inventory)[0]
    selected = inputs_for(stack, inventory).business_kpis
    kpi = next(k for k in selected if k.spec.alerting.breach is not None)
    # the title enters the alerts' templates; validation refuses this itself, the tool is the
    # net for whatever it misses
    object.__setattr__(kpi.spec, "display_name", "{{ nosuchfunc 1 }}")
    checker = ToolChecker(ToolCheckSettings(str(promtool), str(amtool)))
    render = StackRender(stack.key, None, checker=checker)
    rendered = await render.render(stack, FakeCatalog(inventory))  # type: ignore[arg-type]
    problems = rendered.output.rejected[f"BusinessKPI/{kpi.key}"]
    assert str(problems[0]).startswith("promtool refuses its rules: ")
    assert kpi not in rendered.inputs.business_kpis
    assert [k.key for k in rendered.refused_kpis] == [kpi.key]
    assert kpi.key in {k.key for k in rendered.selected_kpis}
    assert len(rendered.selected_kpis) == len(selected)


def prometheus_rule(name: str, annotation: str) -> PrometheusRule:
    return parse_prometheus_rule(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {
                "groups": [
                    {
                        "name": name,
                        "rules": [
                            {
                                "alert": "Down",
                                "expr": "up == 0",
                                "annotations": {"summary": annotation},
                            }
                        ],
                    }
                ]
            },
        }
    )


@pytest.mark.tools
async def test_a_prometheus_rule_promtool_refuses_is_rejected_and_the_rest_loads(
    promtool: Path, amtool: Path
) -> None:
    inventory = example_inventory()
    stack = stacks_of(inventory)[0]
    spec = stack.spec.model_copy(
        update={"prometheus_operator_objects": PrometheusOperatorObjects(enabled=True)}
    )
    inventory.stacks = [stack.model_copy(update={"spec": spec})]
    stack = inventory.stacks[0]
    broken = prometheus_rule("broken", "fine")
    # validation refuses this template itself; the tool is the net for whatever it misses
    object.__setattr__(broken.spec.groups[0].rules[0], "annotations", {"summary": "{{ x 1 }}"})
    inventory.add(broken)
    inventory.add(prometheus_rule("redis", "Redis {{ $labels.instance }} is down"))
    inventory.sort()
    assert {r.name for r in inputs_for(stack, inventory).prometheus_rules} == {"broken", "redis"}
    checker = ToolChecker(ToolCheckSettings(str(promtool), str(amtool)))
    render = StackRender(stack.key, None, checker=checker)
    rendered = await render.render(stack, FakeCatalog(inventory))  # type: ignore[arg-type]
    problems = rendered.output.rejected["PrometheusRule/shop/broken"]
    assert str(problems[0]).startswith("promtool refuses its rules: ")
    assert 'function "x" not defined' in str(problems[0])
    assert [r.name for r in rendered.inputs.prometheus_rules] == ["redis"]
    assert "prometheus/rules/promrule__shop__broken.yaml" not in rendered.output.files
    assert "prometheus/rules/promrule__shop__redis.yaml" in rendered.output.files
    assert len(rendered.inputs.alert_policies) == 3  # the stack's policies still load

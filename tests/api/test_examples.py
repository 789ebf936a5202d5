"""The shipped examples: the shop scenario validates, each invalid file fails as it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from augur.commands.inputs import load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INVALID = sorted((EXAMPLES / "invalid").glob("*.yaml"))
PO_INVALID = sorted((EXAMPLES / "prometheus-operator" / "invalid").glob("*.yaml"))


def test_shop_scenario_is_valid() -> None:
    result = load([str(EXAMPLES / "shop")])
    assert result.findings == []
    inventory = result.inventory
    assert len(inventory.stacks) == 1
    assert len(inventory.alert_policies) == 3
    assert len(inventory.business_kpis) == 4
    assert all(k.spec.alerting.policy_ref is not None for k in inventory.business_kpis), (
        "every KPI's alerts reach a team"
    )
    assert result.warnings == []
    assert len(inventory.scaling_policies) == 1
    kinds = {k.spec.indicator.ratio is not None for k in inventory.business_kpis}
    assert kinds == {True, False}, "both indicator kinds are shown"


def test_shop_uses_every_receiver_channel() -> None:
    from augur.api.receivers import CHANNEL_KINDS

    result = load([str(EXAMPLES / "shop")])
    used = {
        kind
        for policy in result.inventory.alert_policies
        for receiver in policy.spec.receivers
        for kind, _ in receiver.channels()
    }
    assert used == set(CHANNEL_KINDS)


def test_there_are_invalid_examples() -> None:
    assert len(INVALID) >= 15


@pytest.mark.parametrize(
    "path",
    INVALID + PO_INVALID,
    ids=[p.stem for p in INVALID] + [f"po-{p.stem}" for p in PO_INVALID],
)
def test_invalid_example_fails_with_field_and_reason(path: Path) -> None:
    expected = re.search(r"^# expect: (.+)$", path.read_text(), re.M)
    assert expected, f"{path} must say what it expects in a '# expect:' line"
    result = load([str(path)])
    assert result.findings, f"{path} validated but should not"
    lines = [str(f) for f in result.findings]
    assert any(expected.group(1) in line for line in lines), lines
    for line in lines:
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+ ", line), "file:line:column comes first"


def test_prometheus_operator_example_loads_its_rules() -> None:
    from augur.render.rules.files import render_rule_files
    from augur.render.selection import inputs_for

    result = load([str(EXAMPLES / "prometheus-operator" / "stack.yaml")])
    assert result.findings == [] and result.warnings == []
    stack = result.inventory.stacks[0]
    rendered = render_rule_files(inputs_for(stack, result.inventory))
    assert [f.path for f in rendered.files] == [
        "prometheus/rules/promrule__cache__redis-exporter.yaml"
    ]
    assert 'redis_up{namespace="cache"} == 0' in rendered.files[0].text()
    assert len(PO_INVALID) >= 2

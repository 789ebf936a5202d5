"""Bad input is refused with the object and the field named."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from augur.api.resources import InvalidObject, MonitoringStack, parse_resource
from augur.render.alertmanager import render_alertmanager_component, render_alertmanager_config
from augur.render.selection import StackInputs, default_stack

LoadInputs = Callable[[str], StackInputs]


def _policy(spec: str, name: str = "bad") -> str:
    head = f"apiVersion: augur.dev/v1alpha1\nkind: AlertPolicy\nmetadata: {{name: {name}, namespace: shop}}\n"
    return head + "spec:\n" + spec


def _problems(load_inputs: LoadInputs, spec: str) -> list[str]:
    inputs = load_inputs(_policy(spec))
    output = render_alertmanager_component(inputs)
    assert "AlertPolicy/shop/bad" not in output.files["alertmanager/alertmanager.yml"]
    return [str(p) for p in output.rejected.get("AlertPolicy/shop/bad", [])]


def test_unknown_receiver_is_rejected_naming_the_field(load_inputs: LoadInputs) -> None:
    spec = "  routing:\n    routes:\n      - receivers: [nowhere]\n"
    inputs = load_inputs(_policy(spec))
    assert inputs.alert_policies == []  # selection already leaves it out...
    problems = [str(p) for p in inputs.rejected["AlertPolicy/shop/bad"]]
    assert problems[0].startswith("spec.routing.routes[0].receivers[0]: receiver 'nowhere'")


def test_unknown_receiver_is_rejected_by_the_renderer_too(load_inputs: LoadInputs) -> None:
    good = load_inputs(_policy("  routing:\n    routes:\n      - receivers: [default]\n"))
    policy = good.alert_policies[0]
    other_stack = MonitoringStack.model_validate(
        default_stack().model_dump(by_alias=True)
        | {"spec": {"alertmanager": {"defaultReceiver": {"name": "other"}}}}
    )
    rendered = render_alertmanager_config(other_stack, [policy])
    problems = [str(p) for p in rendered.rejected["AlertPolicy/shop/bad"]]
    assert problems == [
        "spec.routing.routes[0].receivers[0]: receiver 'default' is neither a receiver of "
        "this policy nor the defaultReceiver of stack monitoring/default"
    ]
    assert "augur_policy" not in rendered.text()


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (
            "  routing:\n    routes:\n      - matchers: [checkout]\n        receivers: [default]\n",
            "spec.routing.routes[0].matchers[0]",
        ),
        (
            "  inhibitions:\n    - sourceMatchers: ['a=\"b']\n      targetMatchers: ['c=\"d\"']\n",
            "spec.inhibitions[0].sourceMatchers[0]",
        ),
        (
            "  routing:\n    routes:\n      - matchers: ['a=~\"(\"']\n        receivers: [default]\n",
            "spec.routing.routes[0].matchers[0]",
        ),
        (
            "  timeIntervals:\n    - name: nights\n      intervals:\n"
            "        - times: [{start: '18:00', end: '08:00'}]\n",
            "spec.timeIntervals[0].intervals[0].times[0]",
        ),
        (
            "  timeIntervals:\n    - name: x\n      intervals: [{weekdays: [someday]}]\n",
            "spec.timeIntervals[0].intervals[0].weekdays",
        ),
        (
            "  timeIntervals:\n    - name: x\n      intervals: [{location: Mars/Olympus}]\n",
            "spec.timeIntervals[0].intervals[0].location",
        ),
    ],
)
def test_malformed_input_is_refused_naming_object_and_field(spec: str, field: str) -> None:
    import yaml

    with pytest.raises(InvalidObject) as caught:
        parse_resource(yaml.safe_load(_policy(spec)))
    assert str(caught.value).startswith("AlertPolicy/shop/bad: ")
    assert any(p.path == field for p in caught.value.problems), caught.value.problems

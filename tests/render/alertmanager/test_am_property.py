"""Any valid policy set renders a configuration amtool accepts."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from augur.api.common import API_VERSION
from augur.api.resources import AlertPolicy, MonitoringStack
from augur.render.alertmanager import render_alertmanager_config

pytestmark = pytest.mark.tools

SEVERITIES = ["critical", "high", "medium", "warning", "low", "info"]
WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
LABELS = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t{}\"'#:|\\"),
    max_size=30,
)
REGEXES = st.sampled_from(["eu-.*", "a|b|c", "[0-9]+", ".+", "(x|y)z?", "checkout"])
SECRET = st.builds(
    lambda name, key: {"secretKeyRef": {"name": name, "key": key}},
    NAMES,
    st.from_regex(r"[a-z][-.a-z0-9]{0,8}", fullmatch=True),
)


@st.composite
def matchers(draw: st.DrawFn) -> str:
    label = draw(LABELS)
    op = draw(st.sampled_from(["=", "!=", "=~", "!~"]))
    value = draw(REGEXES if "~" in op else TEXT)
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'{label}{op}"{escaped}"'


def _ordered(draw: st.DrawFn, low: int, high: int) -> str:
    start = draw(st.integers(low, high))
    end = draw(st.integers(start, high))
    return f"{start}:{end}" if end != start else str(start)


@st.composite
def intervals(draw: st.DrawFn) -> dict[str, Any]:
    interval: dict[str, Any] = {}
    if draw(st.booleans()):
        start = draw(st.integers(0, 23 * 60))
        end = draw(st.integers(start + 1, 24 * 60))
        interval["times"] = [
            {"start": f"{start // 60:02}:{start % 60:02}", "end": f"{end // 60:02}:{end % 60:02}"}
        ]
    if draw(st.booleans()):
        first = draw(st.integers(0, 6))
        last = draw(st.integers(first, 6))
        interval["weekdays"] = [f"{WEEKDAYS[first]}:{WEEKDAYS[last]}"]
    if draw(st.booleans()):
        interval["daysOfMonth"] = [_ordered(draw, 1, 31)]
    if draw(st.booleans()):
        interval["months"] = [_ordered(draw, 1, 12)]
    if draw(st.booleans()):
        interval["years"] = [_ordered(draw, 2020, 2030)]
    if draw(st.booleans()):
        interval["location"] = draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]))
    return interval


def _channels(draw: st.DrawFn) -> dict[str, Any]:
    options: dict[str, Any] = {
        "email": {
            "to": "a@example.com",
            "from": "b@example.com",
            "smarthost": "smtp:25",
            "authPassword": draw(SECRET),
            "subject": draw(TEXT),
        },
        "slack": {"apiURL": draw(SECRET), "text": draw(TEXT), "sendResolved": draw(st.booleans())},
        "pagerduty": {"routingKey": draw(SECRET), "details": {"x": draw(TEXT)}},
        "webhook": {"url": "http://hook.example.com/x", "maxAlerts": draw(st.integers(0, 9))},
        "msteams": {"webhookURL": draw(SECRET), "title": draw(TEXT)},
        "opsgenie": {"apiKey": draw(SECRET), "message": draw(TEXT)},
        "telegram": {"botToken": draw(SECRET), "chatID": draw(st.integers(1, 10**12))},
        "sns": {
            "topicARN": "arn:aws:sns:eu-west-1:1:t",
            "region": "eu-west-1",
            "credentialsSecretRef": draw(SECRET),
        },
    }
    kinds = draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True))
    return {kind: options[kind] for kind in kinds}


@st.composite
def policy_specs(draw: st.DrawFn) -> dict[str, Any]:
    receiver_names = draw(st.lists(NAMES, max_size=3, unique=True))
    interval_names = draw(st.lists(NAMES, max_size=2, unique=True))
    targets = [*receiver_names, "default"]
    routes = [
        {
            "severities": draw(st.lists(st.sampled_from(SEVERITIES), max_size=3, unique=True)),
            "matchers": draw(st.lists(matchers(), max_size=2)),
            "receivers": draw(st.lists(st.sampled_from(targets), min_size=1, max_size=3)),
            "muteTimeIntervals": draw(st.lists(st.sampled_from(interval_names), max_size=1))
            if interval_names
            else [],
            "continue": draw(st.booleans()),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    return {
        "routing": {
            "groupBy": draw(st.lists(LABELS, min_size=1, max_size=2, unique=True)),
            "routes": routes,
        },
        "receivers": [{"name": n, **_channels(draw)} for n in receiver_names],
        "inhibitions": [
            {
                "sourceMatchers": [draw(matchers())],
                "targetMatchers": [draw(matchers())],
                "equal": draw(st.lists(LABELS, max_size=2)),
            }
            for _ in range(draw(st.integers(0, 2)))
        ],
        "timeIntervals": [
            {"name": n, "intervals": draw(st.lists(intervals(), min_size=1, max_size=2))}
            for n in interval_names
        ],
    }


@st.composite
def policy_sets(draw: st.DrawFn) -> tuple[MonitoringStack, list[AlertPolicy]]:
    tenancy = draw(
        st.sampled_from(
            [{}, {"enforceNamespaceLabel": "namespace"}, {"enforceNamespaceLabel": "tenant"}]
        )
    )
    stack = MonitoringStack.model_validate(
        {
            "apiVersion": API_VERSION,
            "kind": "MonitoringStack",
            "metadata": {"name": "s", "namespace": "monitoring"},
            "spec": {"namespaceSelector": {"any": True}, "tenancy": tenancy},
        }
    )
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(["monitoring", "a", "b"]), NAMES), max_size=4, unique=True
        )
    )
    policies = [
        AlertPolicy.model_validate(
            {
                "apiVersion": API_VERSION,
                "kind": "AlertPolicy",
                "metadata": {"name": name, "namespace": ns},
                "spec": draw(policy_specs()),
            }
        )
        for ns, name in keys
    ]
    return stack, policies


def _check(amtool: Path, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "alertmanager.yml"
        path.write_text(text)
        run = subprocess.run(
            [str(amtool), "check-config", str(path)], capture_output=True, text=True, check=False
        )
    assert run.returncode == 0, run.stdout + run.stderr + "\n" + text


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(policy_sets())
def test_any_valid_policy_set_renders_a_config_amtool_accepts(
    amtool: Path, generated: tuple[MonitoringStack, list[AlertPolicy]]
) -> None:
    stack, policies = generated
    rendered = render_alertmanager_config(stack, policies)
    assert rendered.rejected == {}
    text = rendered.text()
    assert yaml.safe_load(text) == rendered.config
    _check(amtool, text)

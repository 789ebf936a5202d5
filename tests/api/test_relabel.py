"""Relabelling rules: augur refuses what Prometheus 3.5 refuses (each case also put through
`promtool check config`; augur is stricter only about label names, which it holds to the
classic [a-zA-Z_][a-zA-Z0-9_]* where Prometheus 3 takes any UTF-8), and tells which rules may
write a label tenancy reserves."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from augur.api.relabel import RelabelConfig, may_write

CASES: list[tuple[dict[str, Any], bool]] = [
    ({"sourceLabels": ["a"], "targetLabel": "b"}, True),
    ({"sourceLabels": ["a"]}, False),  # replace needs a target
    ({"sourceLabels": ["a"], "targetLabel": "b_${1}", "regex": "(x)"}, True),
    ({"sourceLabels": ["a"], "targetLabel": "b", "action": "HashMod"}, False),  # no modulus
    ({"sourceLabels": ["a"], "targetLabel": "b", "action": "hashmod", "modulus": 8}, True),
    ({"sourceLabels": ["a"], "targetLabel": "b", "action": "lowercase"}, True),
    ({"sourceLabels": ["a"], "targetLabel": "b", "action": "uppercase", "replacement": "x"}, False),
    ({"sourceLabels": ["a"], "action": "uppercase"}, False),
    ({"sourceLabels": ["a"], "targetLabel": "b", "action": "keepequal"}, True),
    ({"sourceLabels": ["a"], "targetLabel": "b", "action": "dropequal", "regex": "(.*)"}, False),
    ({"sourceLabels": ["a"], "targetLabel": "b", "action": "keepequal", "separator": ","}, False),
    ({"regex": "pod_.*", "action": "labeldrop"}, True),
    ({"sourceLabels": ["a"], "regex": "x", "action": "labelkeep"}, False),
    ({"regex": "x", "targetLabel": "b", "action": "labeldrop"}, False),
    ({"regex": "__meta_(.+)", "action": "labelmap"}, True),
    ({"regex": "__meta_(.+)", "replacement": "1bad", "action": "labelmap"}, False),  # UTF-8
    ({"sourceLabels": ["a"], "regex": "(?P<x>a)(?<!b)", "action": "keep"}, False),  # not RE2
    ({"sourceLabels": ["a"], "regex": "a++", "action": "drop"}, False),
    ({"sourceLabels": ["a"], "targetLabel": "b", "action": "rename"}, False),
    ({"sourceLabels": ["a"], "targetLabel": "b", "modulus": 2}, True),  # ignored by replace
]


def _augur_accepts(rule: dict[str, Any]) -> RelabelConfig | None:
    try:
        return RelabelConfig.model_validate(rule)
    except ValidationError:
        return None


@pytest.mark.parametrize(("rule", "accepted"), CASES)
def test_augur_refuses_what_prometheus_refuses(rule: dict[str, Any], accepted: bool) -> None:
    assert (_augur_accepts(rule) is not None) == accepted


def _as_prometheus(rule: dict[str, Any]) -> dict[str, Any]:
    """The rule spelt as Prometheus reads it (for refused rules, which have no model)."""
    names = {"sourceLabels": "source_labels", "targetLabel": "target_label"}
    spelt = {names.get(k, k): v for k, v in rule.items()}
    if "action" in spelt:
        spelt["action"] = str(spelt["action"]).lower()
    return spelt


@pytest.mark.tools
def test_promtool_agrees(promtool: Path, tmp_path: Path) -> None:
    disagreements = []
    for index, (rule, accepted) in enumerate(CASES):
        accepted = accepted or rule.get("replacement") == "1bad"  # augur's stricter names
        model = _augur_accepts(rule)
        spelt = model.to_prometheus() if model is not None else _as_prometheus(rule)
        config = {
            "scrape_configs": [
                {
                    "job_name": "j",
                    "static_configs": [{"targets": ["a:1"]}],
                    "relabel_configs": [spelt],
                }
            ]
        }
        path = tmp_path / f"case-{index}.yml"
        path.write_text(yaml.safe_dump(config))
        run = subprocess.run(
            [str(promtool), "check", "config", str(path)], capture_output=True, text=True
        )
        if (run.returncode == 0) != accepted:
            disagreements.append((rule, run.stdout + run.stderr))
    assert disagreements == []


@pytest.mark.parametrize(
    ("rule", "label", "writes"),
    [
        ({"sourceLabels": ["a"], "targetLabel": "tenant"}, "tenant", True),
        ({"sourceLabels": ["a"], "targetLabel": "team"}, "tenant", False),
        ({"sourceLabels": ["a"], "targetLabel": "$1", "regex": "(.*)"}, "tenant", True),
        ({"sourceLabels": ["a"], "targetLabel": "x_$1", "regex": "(.*)"}, "tenant", False),
        ({"regex": "foo_(.+)", "action": "labelmap"}, "tenant", True),
        ({"regex": "foo_(.+)", "replacement": "foo_$1", "action": "labelmap"}, "tenant", False),
        ({"regex": "ten.*", "action": "labeldrop"}, "tenant", True),
        ({"regex": "pod_.*", "action": "labeldrop"}, "tenant", False),
        ({"regex": "job|instance", "action": "labelkeep"}, "tenant", True),
        ({"sourceLabels": ["a"], "regex": "x", "action": "drop"}, "tenant", False),
        ({"sourceLabels": ["a"], "targetLabel": "tenant", "action": "keepequal"}, "tenant", False),
        ({"sourceLabels": ["a"], "targetLabel": "tenant", "action": "lowercase"}, "tenant", True),
    ],
)
def test_may_write(rule: dict[str, Any], label: str, writes: bool) -> None:
    assert may_write(RelabelConfig.model_validate(rule), label) == writes

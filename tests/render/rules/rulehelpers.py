"""Helpers for the rule renderers' tests: objects from YAML, and promtool runs on the output."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from augur.api.inventory import Inventory
from augur.api.resources import parse_resource
from augur.render.rules.files import RenderedRules, RuleFile, render_rule_files
from augur.render.selection import inputs_for, stacks_of


def inventory_of(text: str) -> Inventory:
    """Every augur object of a multi-document YAML text (they must all be valid)."""
    inventory = Inventory()
    for doc in yaml.safe_load_all(text):
        if doc:
            inventory.add(parse_resource(doc))
    inventory.sort()
    return inventory


def render_text(text: str) -> RenderedRules:
    """The rule files of the first stack of `text` (or of the default stack)."""
    inventory = inventory_of(text)
    return render_rule_files(inputs_for(stacks_of(inventory)[0], inventory))


def write_rule_files(folder: Path, files: list[RuleFile]) -> list[str]:
    """Write rule files into `folder`; return their names."""
    names = []
    for rule_file in files:
        name = Path(rule_file.path).name
        (folder / name).write_text(rule_file.text())
        names.append(name)
    return names


PromtoolTests = Callable[[list[RuleFile], list[dict[str, Any]]], None]
"""Runs promtool test groups against rule files."""


def promtool_check(promtool: Path, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """`promtool check rules` over many files in one call."""
    return subprocess.run(
        [str(promtool), "check", "rules", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def firing(alertname: str, at: str, present: bool, **labels: str) -> dict[str, Any]:
    """A promql_expr_test: is an alert with these labels firing at `at`?"""
    matchers = ", ".join(
        f'{k}="{v}"' for k, v in {"alertname": alertname, "alertstate": "firing", **labels}.items()
    )
    return {
        "expr": f"group(ALERTS{{{matchers}}}) or vector(0)",
        "eval_time": at,
        "exp_samples": [{"labels": "{}", "value": 1 if present else 0}],
    }


def never_fired(alertname: str, at: str, over: str, **labels: str) -> dict[str, Any]:
    """A promql_expr_test: the alert was never firing during `over` before `at`."""
    matchers = ", ".join(
        f'{k}="{v}"' for k, v in {"alertname": alertname, "alertstate": "firing", **labels}.items()
    )
    return {
        "expr": f"count(count_over_time(ALERTS{{{matchers}}}[{over}])) or vector(0)",
        "eval_time": at,
        "exp_samples": [{"labels": "{}", "value": 0}],
    }

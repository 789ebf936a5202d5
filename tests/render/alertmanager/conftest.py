"""Fixtures for the Alertmanager configuration tests: inputs from YAML, and amtool runs."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from augur.api.inventory import Inventory
from augur.api.resources import is_augur_document, parse_resource
from augur.render.selection import StackInputs, inputs_for, stacks_of

LoadInputs = Callable[[str], StackInputs]
CheckConfig = Callable[[str], None]
RoutesTest = Callable[[str, dict[str, str]], list[str]]


def inputs_from_yaml(text: str) -> StackInputs:
    """The inputs of the one stack of a multi-document YAML text (or the default stack)."""
    inventory = Inventory()
    for doc in yaml.safe_load_all(text):
        if is_augur_document(doc):
            inventory.add(parse_resource(doc))
    inventory.sort()
    stacks = stacks_of(inventory)
    assert len(stacks) == 1, "a case holds at most one MonitoringStack"
    return inputs_for(stacks[0], inventory)


@pytest.fixture
def load_inputs() -> LoadInputs:
    """Parse a YAML text of CRs into one stack's inputs."""
    return inputs_from_yaml


@pytest.fixture
def check_config(amtool: Path, tmp_path: Path) -> CheckConfig:
    """Run `amtool check-config` on a configuration text; fail with amtool's words."""

    def check(text: str) -> None:
        path = tmp_path / "check.yml"
        path.write_text(text)
        run = subprocess.run(
            [str(amtool), "check-config", str(path)], capture_output=True, text=True, check=False
        )
        assert run.returncode == 0, run.stdout + run.stderr

    return check


@pytest.fixture
def routes_test(amtool: Path, tmp_path: Path) -> RoutesTest:
    """The receivers `amtool config routes test` sends an alert with these labels to."""

    def route(text: str, labels: dict[str, str]) -> list[str]:
        path = tmp_path / "routes.yml"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        args = [f"{name}={value}" for name, value in labels.items()]
        run = subprocess.run(
            [str(amtool), "config", "routes", "test", f"--config.file={path}", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout.strip().split(",")

    return route

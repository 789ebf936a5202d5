"""Golden Alertmanager configurations: golden/<case>.in.yaml -> output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from augur.render.alertmanager import render_alertmanager_config
from augur.render.selection import StackInputs
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

LoadInputs = Callable[[str], StackInputs]
CheckConfig = Callable[[str], None]

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))


def _render(load_inputs: LoadInputs, case: str) -> tuple[str, str]:
    inputs = load_inputs((GOLDEN / f"{case}.in.yaml").read_text())
    rendered = render_alertmanager_config(inputs.stack, inputs.alert_policies)
    needs: dict[str, Any] = {
        "secretKeys": {k: f"{s}:{key}" for k, (s, key) in sorted(rendered.secret_keys.items())},
        "awsProfiles": {
            p: {"key": a.key, "sourceProfile": a.source_profile}
            for p, a in sorted(rendered.aws_profiles.items())
        },
        "rejected": {
            obj: [str(problem) for problem in problems]
            for obj, problems in sorted(rendered.rejected.items())
        },
    }
    return rendered.text(), GENERATED_HEADER + dump_yaml(needs)


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, load_inputs: LoadInputs, golden: Callable[[Path, str], None]) -> None:
    config, needs = _render(load_inputs, case)
    golden(GOLDEN / f"{case}.alertmanager.yml", config)
    golden(GOLDEN / f"{case}.needs.yaml", needs)


@pytest.mark.tools
@pytest.mark.parametrize("case", CASES)
def test_golden_passes_amtool(case: str, check_config: CheckConfig) -> None:
    check_config((GOLDEN / f"{case}.alertmanager.yml").read_text())


def test_every_case_has_its_outputs() -> None:
    outputs = {p.name for p in GOLDEN.iterdir() if not p.name.endswith(".in.yaml")}
    expected = {f"{c}.alertmanager.yml" for c in CASES} | {f"{c}.needs.yaml" for c in CASES}
    assert outputs == expected

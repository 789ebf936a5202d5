"""Golden stacks: golden/<case>.in.yaml -> manifests, prometheus.yml, needs.

Each case is also proven by the tools that read it: the Kubernetes 1.33 OpenAPI schema,
`promtool check config` (with the rule shards mounted beside it, as in the pod) and
`amtool check-config` (on the configuration the reloader decompresses from its Secret)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from stackhelpers import (
    CASES,
    GOLDEN,
    alertmanager_config_from_secret,
    prometheus_pod_view,
    render_case,
)

from augur.render.prometheus.config import CONFIG_FILE
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

Golden = Callable[[Path, str], None]
Run = Callable[..., str]


def _needs(case: str) -> str:
    output = render_case(case)
    needs: dict[str, Any] = {
        "secretKeys": {k: f"{s}:{key}" for k, (s, key) in sorted(output.secret_keys.items())},
        "warnings": list(output.warnings),
        "files": sorted(output.files),
    }
    return GENERATED_HEADER + dump_yaml(needs)


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, golden: Golden) -> None:
    output = render_case(case)
    golden(GOLDEN / f"{case}.manifests.yaml", output.files["manifests.yaml"])
    golden(GOLDEN / f"{case}.needs.yaml", _needs(case))
    if CONFIG_FILE in output.files:
        golden(GOLDEN / f"{case}.prometheus.yml", output.files[CONFIG_FILE])


def test_every_case_has_its_outputs() -> None:
    outputs = {p.name for p in GOLDEN.iterdir() if not p.name.endswith(".in.yaml")}
    expected = {f"{c}.manifests.yaml" for c in CASES} | {f"{c}.needs.yaml" for c in CASES}
    expected |= {f"{c}.prometheus.yml" for c in CASES if c != "prometheus-disabled"}
    assert outputs == expected


@pytest.mark.parametrize("case", CASES)
def test_output_is_deterministic(case: str) -> None:
    assert render_case(case).files == render_case(case).files


@pytest.mark.parametrize("case", CASES)
def test_manifests_are_valid_kubernetes_1_33(case: str) -> None:
    for document in yaml.safe_load_all((GOLDEN / f"{case}.manifests.yaml").read_text()):
        kubernetes_validate.validate(document, "1.33", strict=True)


@pytest.mark.tools
@pytest.mark.parametrize("case", [c for c in CASES if c != "prometheus-disabled"])
def test_prometheus_config_passes_promtool(case: str, run_promtool: Run, tmp_path: Path) -> None:
    config = prometheus_pod_view(render_case(case), tmp_path)
    out = run_promtool("check", "config", str(config))
    assert "augur-self-monitoring.yaml" in out  # the rule shards were found and checked


@pytest.mark.tools
@pytest.mark.parametrize("case", [c for c in CASES if c != "alertmanager-disabled"])
def test_alertmanager_config_passes_amtool(case: str, run_amtool: Run, tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yaml"
    path.write_text(alertmanager_config_from_secret(render_case(case)))
    run_amtool("check-config", str(path))

"""ServiceMonitors and PodMonitors become the scrape jobs prometheus-operator v0.85.0 makes
of them.

golden/<case>.promoperator.yaml is what the prometheus-operator binary itself generated for
the monitors of golden/<case>.in.yaml (promoperator_reference.py, in a local control plane);
golden/<case>.augur.yaml is augur's jobs for them. The comparison reads both after the
differences augur makes on purpose (render/prometheus/monitors.py): a Secret is a file of the
stack's credentials Secret where prometheus-operator writes its value or a file of its own
(both read here as `secret:<namespace>/<name>:<key>`), and there are no sharding rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from stackhelpers import inputs_from_yaml, prometheus_pod_view

from augur.render.component_output import ComponentOutput
from augur.render.prometheus.config import CONFIG_FILE
from augur.render.prometheus.credentials import CREDENTIALS_DIR
from augur.render.stack import render_stack
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

GOLDEN = Path(__file__).resolve().parent / "golden"
Golden = Callable[[Path, str], None]
Run = Callable[..., str]
Obj = dict[str, Any]

_PO_CERT = re.compile(r"^/etc/prometheus/certs/\d+_([^_]+)_([^_]+)_(.+)$")
_FILE_FIELDS = {
    "credentials_file": "credentials",
    "bearer_token_file": "bearer_token",
    "username_file": "username",
    "password_file": "password",
}
_SHARDING_LABEL = "__tmp_hash"


def render_case(case: str) -> ComponentOutput:
    return render_stack(inputs_from_yaml((GOLDEN / f"{case}.in.yaml").read_text()))


def monitor_jobs(output: ComponentOutput) -> list[Obj]:
    config = yaml.safe_load(output.files[CONFIG_FILE])
    return [j for j in config["scrape_configs"] if j["job_name"].split("/")[0] in MONITOR_JOBS]


MONITOR_JOBS = ("serviceMonitor", "podMonitor")


def _marker(source: str, key: str) -> str:
    return f"secret:{source}:{key}"


def as_read(job: Obj, files: dict[str, str]) -> Obj:
    """A job with every Secret read as `secret:<namespace>/<name>:<key>` and no sharding
    rules; `files` maps a mounted file's path to that marker (augur's)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if isinstance(value, str) and value in files and key in _FILE_FIELDS:
                    out[_FILE_FIELDS[key]] = files[value]
                elif isinstance(value, str) and value in files:
                    out[key] = files[value]
                elif isinstance(value, str) and (found := _PO_CERT.match(value)):
                    out[key] = _marker(f"{found[1]}/{found[2]}", found[3])
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    read: Obj = walk(job)
    read["relabel_configs"] = [
        rule
        for rule in read.get("relabel_configs", [])
        if _SHARDING_LABEL not in rule.get("source_labels", [])
    ]
    return read


def augur_files(output: ComponentOutput) -> dict[str, str]:
    return {
        f"{CREDENTIALS_DIR}/{key}": _marker(source, source_key)
        for key, (source, source_key) in output.secret_keys.items()
    }


CASES = sorted(
    p.name.removesuffix(".promoperator.yaml") for p in GOLDEN.glob("*.promoperator.yaml")
)


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, golden: Golden) -> None:
    jobs = monitor_jobs(render_case(case))
    golden(GOLDEN / f"{case}.augur.yaml", GENERATED_HEADER + dump_yaml({"scrape_configs": jobs}))


@pytest.mark.parametrize("case", CASES)
def test_jobs_are_prometheus_operators(case: str) -> None:
    """Each job equals what prometheus-operator's `generateServiceMonitorConfig` /
    `generatePodMonitorConfig` (pkg/prometheus/promcfg.go) generated for the same monitor,
    job by job, in prometheus-operator's order (`appendServiceMonitorConfigs`, then
    `appendPodMonitorConfigs`, each sorted by namespace/name)."""
    output = render_case(case)
    reference = yaml.safe_load((GOLDEN / f"{case}.promoperator.yaml").read_text())
    theirs = [as_read(job, {}) for job in reference["scrape_configs"]]
    files = augur_files(output)
    ours = [as_read(job, files) for job in monitor_jobs(output)]
    assert [j["job_name"] for j in ours] == [j["job_name"] for j in theirs]
    for mine, expected in zip(ours, theirs, strict=True):
        assert mine == expected, mine["job_name"]


@pytest.mark.tools
@pytest.mark.parametrize("case", CASES)
def test_promtool_accepts(case: str, run_promtool: Run, tmp_path: Path) -> None:
    config = prometheus_pod_view(render_case(case), tmp_path)
    run_promtool("check", "config", str(config))

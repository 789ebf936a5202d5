"""Property: every combination of cluster monitoring's switches, with or without tenancy and
cluster-wide discovery, renders objects Kubernetes 1.33 accepts, rule files and a
prometheus.yml promtool accepts, and runs, scrapes, alerts on and draws exactly the parts
that are on."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path
from typing import Any, get_args

import kubernetes_validate
import pytest

from augur.api.clustermonitoring import Part
from augur.api.resources import MonitoringStack
from augur.render.cluster.component import render_cluster_monitoring
from augur.render.cluster.rules import CLUSTER_RULES_FILE
from augur.render.prometheus.config import CONFIG_FILE
from augur.render.selection import StackInputs
from augur.render.stack import render_stack

Obj = dict[str, Any]
WIRE = {
    "node_exporter": "nodeExporter",
    "kube_state_metrics": "kubeStateMetrics",
    "kubelet": "kubelet",
    "cadvisor": "cadvisor",
    "api_server": "apiServer",
    "core_dns": "coreDNS",
    "rules": "rules",
    "dashboards": "dashboards",
}
JOB_OF = {
    "node_exporter": "augur/node-exporter",
    "kube_state_metrics": "augur/kube-state-metrics",
    "kubelet": "augur/kubelet",
    "cadvisor": "augur/cadvisor",
    "api_server": "augur/apiserver",
    "core_dns": "augur/coredns",
}
PARTS: tuple[Part, ...] = get_args(Part)
SCRAPED = tuple(p for p in PARTS if p in JOB_OF)


def _stack(on: set[str], tenancy: str | None, any_namespace: bool) -> MonitoringStack:
    spec: Obj = {"clusterMonitoring": {"enabled": True, **{WIRE[p]: p in on for p in PARTS}}}
    if tenancy:
        spec["tenancy"] = {"enforceNamespaceLabel": tenancy}
    if any_namespace:
        spec["namespaceSelector"] = {"any": True}
    return MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "platform", "namespace": "monitoring"},
            "spec": spec,
        }
    )


def _combinations() -> list[tuple[set[str], str | None, bool]]:
    """Every subset of the scraped parts, with rules and dashboards on, and a spread of the
    rest (rules/dashboards off, tenancy, cluster-wide discovery)."""
    found = []
    for size in range(len(SCRAPED) + 1):
        for chosen in itertools.combinations(SCRAPED, size):
            index = len(found)
            on = set(chosen) | {"rules", "dashboards"}
            if index % 5 == 4:
                on -= {"rules"}
            if index % 7 == 6:
                on -= {"dashboards"}
            tenancy = (None, "namespace", "tenant")[index % 3]
            found.append((on, tenancy, index % 4 == 1))
    return found


COMBINATIONS = _combinations()


def test_every_combination_runs_scrapes_alerts_and_draws_only_what_is_on() -> None:
    for on, tenancy, any_namespace in COMBINATIONS:
        stack = _stack(on, tenancy, any_namespace)
        out = render_cluster_monitoring(StackInputs(stack))
        jobs = {job["job_name"] for job in out.scrape.jobs}
        assert jobs == {JOB_OF[p] for p in SCRAPED if p in on}, on
        names = {m["metadata"]["name"] for m in out.output.manifests}
        assert ("platform-node-exporter" in names) == ("node_exporter" in on)
        assert ("platform-kube-state-metrics" in names) == ("kube_state_metrics" in on)
        rules = "".join(out.rule_files.values())
        read = {JOB_OF[p] for p in SCRAPED if f'job="{JOB_OF[p]}"' in rules}
        assert read <= jobs, (on, read - jobs)
        for board in out.dashboards:
            drawn = {j for j in JOB_OF.values() if f'job=\\"{j}\\"' in json.dumps(board.data)}
            assert drawn <= jobs, (on, board.file, drawn - jobs)
        assert bool(out.dashboards) == ("dashboards" in on and bool(jobs))


@pytest.mark.tools
def test_every_combination_passes_kubernetes_and_promtool(promtool: Path, tmp_path: Path) -> None:
    rule_files: list[Path] = []
    configs: list[Path] = []
    for index, (on, tenancy, any_namespace) in enumerate(COMBINATIONS):
        output = render_stack(StackInputs(_stack(on, tenancy, any_namespace)))
        for obj in output.manifests:
            kubernetes_validate.validate(obj, "1.33", strict=True)
        if CLUSTER_RULES_FILE in output.files:
            rule_files.append(tmp_path / f"rules-{index}.yaml")
            rule_files[-1].write_text(output.files[CLUSTER_RULES_FILE])
        configs.append(tmp_path / f"prometheus-{index}.yml")
        configs[-1].write_text(output.files[CONFIG_FILE])
    assert rule_files
    for command in (["check", "rules", *map(str, rule_files)],
                    ["check", "config", "--syntax-only", *map(str, configs)]):  # fmt: skip
        done = subprocess.run(
            [str(promtool), *command], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

"""The cluster dashboards: valid for Grafana (as the built-in ones are checked), provisioned in
a folder of their own, and reading only the jobs of the parts that run."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from clusterhelpers import CASES, GOLDEN, objects, render_case, render_whole

from augur.api.resources import MonitoringStack
from augur.render.cluster.dashboards.boards import cluster_dashboards
from augur.render.cluster.scrape import BASELINE_JOBS
from augur.render.grafana.dashboards.provisioning import DATASOURCES_FILE, PROVIDERS_FILE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "grafana"))
from grafanahelpers import dashboard_problems, panels

Golden = Callable[[Path, str], None]
WITH_GRAFANA = [c for c in CASES if c != "prometheus-disabled"]


def _stack(cluster: dict[str, Any]) -> MonitoringStack:
    return MonitoringStack.model_validate(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": "platform", "namespace": "monitoring"},
            "spec": {"clusterMonitoring": cluster},
        }
    )


def _jobs_read(data: dict[str, Any]) -> set[str]:
    return set(re.findall(r'job=\\?"(augur/[a-z-]+)\\?"', json.dumps(data)))


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, golden: Golden) -> None:
    text = "".join(
        f"### {board.folder}/{board.file}\n{json.dumps(board.data, indent=2, sort_keys=True)}\n"
        for board in render_case(case).dashboards
    )
    golden(GOLDEN / f"{case}.dashboards.txt", text)


@pytest.mark.parametrize("case", WITH_GRAFANA)
def test_dashboards_are_valid_and_read_provisioned_datasources(case: str) -> None:
    output = render_whole(case)
    uids = {d["uid"] for d in yaml.safe_load(output.files[DATASOURCES_FILE])["datasources"]}
    for board in render_case(case).dashboards:
        assert dashboard_problems(board.data, uids) == [], board.file


@pytest.mark.parametrize("case", WITH_GRAFANA)
def test_grafana_provisions_them_in_the_cluster_folder(case: str) -> None:
    output = render_whole(case)
    boards = render_case(case).dashboards
    providers = yaml.safe_load(output.files[PROVIDERS_FILE])["providers"]
    cluster = [p for p in providers if p["folder"] == "Cluster"]
    assert len(cluster) == (1 if boards else 0)
    [config_map] = [
        c for c in objects(output, "ConfigMap") if c["metadata"]["name"].endswith("-dashboards")
    ]
    [deployment] = [
        d for d in objects(output, "Deployment") if d["metadata"]["name"].endswith("-grafana")
    ]
    pod = deployment["spec"]["template"]["spec"]
    [volume] = [v for v in pod["volumes"] if v["name"] == "dashboards"]
    [mount] = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "dashboards"]
    items = {i["key"]: f"{mount['mountPath']}/{i['path']}" for i in volume["configMap"]["items"]}
    for board in boards:
        assert json.loads(config_map["data"][board.file]) == board.data
        assert output.files[f"grafana/dashboards/{board.file}"]
        # the file lands in the folder the Cluster provider reads
        assert items[board.file].rsplit("/", 1)[0] == cluster[0]["options"]["path"]


def test_uids_are_unique_and_titles_say_cluster() -> None:
    boards = cluster_dashboards(_stack({"enabled": True}))
    assert len(boards) == 3
    assert len({b.data["uid"] for b in boards}) == 3
    assert all(b.data["title"].startswith("Cluster") for b in boards)
    assert all(len(list(panels(b.data))) > 3 for b in boards)


@pytest.mark.parametrize(
    "off",
    [
        ("nodeExporter",),
        ("kubeStateMetrics",),
        ("kubelet", "cadvisor"),
        ("apiServer", "coreDNS"),
        ("nodeExporter", "kubeStateMetrics", "cadvisor"),
    ],
)
def test_dashboards_read_only_the_jobs_that_run(off: tuple[str, ...]) -> None:
    stack = _stack({"enabled": True, **dict.fromkeys(off, False)})
    running = {job for job in BASELINE_JOBS if job.split("/")[1] not in _job_names(off)}
    for board in cluster_dashboards(stack):
        assert _jobs_read(board.data) <= running, board.file
        assert all(p["type"] == "row" or p.get("targets") for p in panels(board.data))


def _job_names(parts: tuple[str, ...]) -> set[str]:
    names = {
        "nodeExporter": "node-exporter",
        "kubeStateMetrics": "kube-state-metrics",
        "kubelet": "kubelet",
        "cadvisor": "cadvisor",
        "apiServer": "apiserver",
        "coreDNS": "coredns",
    }
    return {names[p] for p in parts}


def test_every_job_is_drawn_when_all_run() -> None:
    read: set[str] = set()
    for board in cluster_dashboards(_stack({"enabled": True})):
        read |= _jobs_read(board.data)
    assert read == set(BASELINE_JOBS)


def test_switched_off_dashboards_are_not_rendered() -> None:
    assert cluster_dashboards(_stack({"enabled": True, "dashboards": False})) == []
    assert cluster_dashboards(_stack({"enabled": False})) == []

"""The live stack's rewriting of rendered objects for host processes, on golden stack output."""

from __future__ import annotations

import gzip
import os
import subprocess
from base64 import b64encode
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.api.inventory import Inventory
from augur.api.resources import parse_resource
from augur.dev.livestack import _digest, _write_pod
from augur.dev.livestack_config import (
    EnvsubstError,
    HostPod,
    alertmanager_config,
    envsubst,
    host_args,
    host_url,
    prometheus_config,
    volume_files,
)
from augur.dev.relabel import relabel
from augur.render.cluster.scrape import BASELINE_JOBS
from augur.render.selection import inputs_for, stacks_of
from augur.render.stack import render_stack

GOLDEN = Path(__file__).resolve().parents[1] / "render" / "stack" / "golden"
PROM_PORT, AM_PORT = 19090, 19093
ROOT = "/run/live/monitoring/platform"


def manifests(case: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((GOLDEN / f"{case}.manifests.yaml").read_text()) if d]


def objects_of(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (d["kind"], d["metadata"]["name"]): d for d in docs if d["kind"] in ("ConfigMap", "Secret")
    }


def pods(docs: list[dict[str, Any]], root: str = ROOT) -> dict[str, HostPod]:
    sets = {
        d["metadata"]["labels"]["app.kubernetes.io/name"]: d
        for d in docs
        if d["kind"] == "StatefulSet"
    }
    return {
        "prometheus": HostPod.of(
            sets["prometheus"], f"{root}/prometheus", {("prometheus", 9090): PROM_PORT}
        ),
        "alertmanager": HostPod.of(
            sets["alertmanager"], f"{root}/alertmanager", {("alertmanager", 9093): AM_PORT}
        ),
    }


def rewritten_prometheus(case: str) -> tuple[dict[str, Any], list[str]]:
    docs = manifests(case)
    found = pods(docs)
    text = objects_of(docs)[("ConfigMap", "platform-prometheus-config")]["data"]["prometheus.yml"]
    discoverable = [labels for pod in found.values() for labels in pod.discoverable()]
    result = prometheus_config(found["prometheus"], "prometheus", text, discoverable)
    return yaml.safe_load(result.text), result.notes


def test_arguments_listen_on_loopback_with_host_paths_and_no_gossip() -> None:
    found = pods(manifests("ha"))
    prom = host_args(found["prometheus"], "prometheus", PROM_PORT)
    assert f"--web.listen-address=127.0.0.1:{PROM_PORT}" in prom
    view = f"{ROOT}/prometheus/fs/prometheus"
    assert f"--config.file={view}/etc/prometheus/config/prometheus.yml" in prom
    assert f"--storage.tsdb.path={view}/prometheus" in prom
    # The reload flags stay as the stack renders them.
    assert "--enable-feature=auto-reload-config" in prom
    assert any(a.startswith("--config.auto-reload-interval=") for a in prom)

    am = host_args(found["alertmanager"], "alertmanager", AM_PORT)
    assert f"--web.listen-address=127.0.0.1:{AM_PORT}" in am
    assert "--cluster.listen-address=" in am
    assert not [a for a in am if a.startswith(("--cluster.peer", "--cluster.advertise"))]
    assert all("$(" not in a for a in am)
    assert found["alertmanager"].env("alertmanager")["POD_IP"] == "127.0.0.1"
    assert found["prometheus"].env("prometheus")["POD_NAME"] == "platform-prometheus-0"


def test_discovery_of_the_stacks_own_pods_becomes_static_targets() -> None:
    config, notes = rewritten_prometheus("scrape")
    managers = config["alerting"]["alertmanagers"]
    assert managers == [
        {"api_version": "v2", "static_configs": [{"targets": [f"127.0.0.1:{AM_PORT}"]}]}
    ]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["augur/prometheus"]["static_configs"] == [
        {
            "targets": [f"127.0.0.1:{PROM_PORT}"],
            "labels": {
                "namespace": "monitoring",
                "pod": "platform-prometheus-0",
                "container": "prometheus",
            },
        }
    ]
    assert "relabel_configs" not in jobs["augur/prometheus"]
    assert "kubernetes_sd_configs" not in jobs["augur/alertmanager"]
    assert jobs["augur/alertmanager"]["static_configs"][0]["targets"] == [f"127.0.0.1:{AM_PORT}"]
    # Pods, Services and endpoints that do not run are not scraped; static jobs stay as written.
    for gone in ("backend", "checkout", "model-server", "augur/config-reloader", "augur/operator"):
        assert gone not in jobs
        assert f"job {gone}: dropped (discovers no running pod)" in notes
    assert jobs["edge-routers"]["static_configs"] == [
        {"targets": ["10.0.0.10:9100", "router.example.com:9100"]}
    ]
    assert config["rule_files"][0] == "../rules/shard-0/*.yaml"


def test_host_jobs_are_added_beside_the_stacks_own() -> None:
    docs = manifests("scrape")
    found = pods(docs)
    text = objects_of(docs)[("ConfigMap", "platform-prometheus-config")]["data"]["prometheus.yml"]
    load = {"job_name": "augur-dev-load", "static_configs": [{"targets": ["127.0.0.1:9"]}]}
    clash = {"job_name": "edge-routers", "static_configs": [{"targets": ["127.0.0.1:8"]}]}
    result = prometheus_config(found["prometheus"], "prometheus", text, [], [load, clash])
    jobs = {job["job_name"]: job for job in yaml.safe_load(result.text)["scrape_configs"]}
    assert jobs["augur-dev-load"] == load
    # A stack's own job is never replaced by the runner's.
    assert jobs["edge-routers"]["static_configs"][0]["targets"][0] == "10.0.0.10:9100"
    assert "job augur-dev-load: added by the runner, static 127.0.0.1:9" in result.notes
    assert "job edge-routers: the stack has its own; the runner's is not added" in result.notes


def test_credential_paths_point_into_the_pods_folder() -> None:
    config, _ = rewritten_prometheus("remote-write")
    files = [
        value
        for entry in config["remote_write"]
        for auth in entry.values()
        if isinstance(auth, dict)
        for key, value in auth.items()
        if key.endswith("_file")
    ]
    assert files
    prefix = f"{ROOT}/prometheus/fs/prometheus/etc/prometheus/credentials/"
    assert all(path.startswith(prefix) for path in files)


def test_alertmanager_configuration_is_decompressed_with_credentials_on_the_host() -> None:
    docs = manifests("minimal")
    am = pods(docs)["alertmanager"]
    secret = objects_of(docs)[("Secret", "platform-alertmanager-config")]
    raw = volume_files({"secret": {"secretName": secret["metadata"]["name"]}}, objects_of(docs))
    assert raw is not None
    text = alertmanager_config(
        am, "config-reloader", "alertmanager", raw["alertmanager.yaml.gz"], True
    )
    config = yaml.safe_load(text)
    assert config["route"]["receiver"]
    assert config == yaml.safe_load(gzip.decompress(raw["alertmanager.yaml.gz"]))
    # What the reloader refuses, the runner refuses.
    with pytest.raises(EnvsubstError, match="UNSET_NAME"):
        envsubst("text: $(UNSET_NAME)", {"POD_NAME": "x"})
    assert envsubst("pod: $(POD_NAME)", {"POD_NAME": "am-0"}) == "pod: am-0"


def test_alertmanager_secret_paths_are_rewritten() -> None:
    docs = manifests("minimal")
    am = pods(docs)["alertmanager"]
    config = "receivers:\n- name: x\n  slack_configs:\n  - api_url_file: /etc/alertmanager/credentials/k\n"
    text = alertmanager_config(am, "config-reloader", "alertmanager", config.encode(), False)
    path = yaml.safe_load(text)["receivers"][0]["slack_configs"][0]["api_url_file"]
    assert path == f"{ROOT}/alertmanager/fs/alertmanager/etc/alertmanager/credentials/k"


def test_reload_url_points_at_the_host_port() -> None:
    am = pods(manifests("minimal"))["alertmanager"]
    assert host_url(am, "config-reloader", "http://127.0.0.1:9093/-/reload") == (
        f"http://127.0.0.1:{AM_PORT}/-/reload"
    )
    assert host_url(am, "config-reloader", "http://example.com:9093/") == "http://example.com:9093/"


def test_relabelling_follows_prometheus() -> None:
    labels = {"__meta_a": "x-1", "__address__": "h:1", "keep": "yes"}
    assert relabel(labels, [{"source_labels": ["keep"], "regex": "no", "action": "keep"}]) is None
    assert relabel(labels, [{"source_labels": ["keep"], "regex": "y.s", "action": "drop"}]) is None
    out = relabel(
        labels,
        [
            {
                "source_labels": ["__meta_a"],
                "regex": "(.*)-(\\d)",
                "target_label": "n",
                "replacement": "${2}$1",
            },
            {"regex": "__meta_(.+)", "action": "labelmap"},
            {"regex": "keep", "action": "labeldrop"},
        ],
    )
    assert out == {"__meta_a": "x-1", "__address__": "h:1", "n": "1x", "a": "x-1"}


def test_volumes_need_their_objects_unless_optional() -> None:
    objects = {("ConfigMap", "c"): {"data": {"a.yaml": "x", "b": "y"}}}
    assert volume_files({"configMap": {"name": "c"}}, objects) == {"a.yaml": b"x", "b": b"y"}
    assert volume_files({"configMap": {"name": "gone"}}, objects) is None
    assert volume_files({"secret": {"secretName": "gone", "optional": True}}, objects) == {}
    items = {"configMap": {"name": "c", "items": [{"key": "b", "path": "renamed"}]}}
    assert volume_files(items, objects) == {"renamed": b"y"}
    secret = {("Secret", "s"): {"data": {"k": b64encode(b"v").decode()}}}
    assert volume_files({"secret": {"secretName": "s"}}, secret) == {"k": b"v"}


def test_pod_layout_resolves_relative_rule_files_and_digests_credentials(tmp_path: Path) -> None:
    docs = manifests("minimal")
    found = pods(docs, str(tmp_path))
    prom = found["prometheus"]
    files: dict[str, dict[str, bytes]] = {name: {} for name in prom.volumes()}
    files["rules-3"] = {"ns__policy.yaml": b"groups: []\n"}
    files["config"] = {"prometheus.yml": b"rule_files: [../rules/shard-3/*.yaml]\n"}
    _write_pod(prom, files, ("prometheus",))
    config = Path(prom.host_path("prometheus", "/etc/prometheus/config/prometheus.yml") or "")
    assert config.read_bytes() == files["config"]["prometheus.yml"]
    rules = Path(os.path.normpath(config.parent / "../rules/shard-3/ns__policy.yaml"))
    assert rules.read_bytes() == b"groups: []\n"
    # A key removed from the ConfigMap disappears from the folder.
    files["rules-3"] = {}
    _write_pod(prom, files, ("prometheus",))
    assert not rules.exists()

    am = found["alertmanager"]
    before = _digest(am, {"credentials": {"k": b"1"}, "config-out": {"alertmanager.yaml": b"a"}})
    changed = _digest(am, {"credentials": {"k": b"2"}, "config-out": {"alertmanager.yaml": b"a"}})
    assert before != changed


def test_cluster_monitoring_jobs_are_left_out_cleanly(promtool: Path, tmp_path: Path) -> None:
    # The live stack runs the stack's StatefulSets only: no node-exporter, kube-state-metrics,
    # kubelet, API server or CoreDNS answers on the host, so their jobs are dropped, each with
    # a note, and what remains is a configuration Prometheus loads.

    source = Path(__file__).resolve().parents[1] / "render" / "cluster" / "golden"
    inventory = Inventory()
    for doc in yaml.safe_load_all((source / "minimal.in.yaml").read_text()):
        inventory.add(parse_resource(doc))
    [stack] = stacks_of(inventory)
    docs = render_stack(inputs_for(stack, inventory)).manifests
    found = pods(docs)
    text = objects_of(docs)[("ConfigMap", "platform-prometheus-config")]["data"]["prometheus.yml"]
    assert all(job in text for job in BASELINE_JOBS)
    discoverable = [labels for pod in found.values() for labels in pod.discoverable()]
    result = prometheus_config(found["prometheus"], "prometheus", text, discoverable)
    config = yaml.safe_load(result.text)
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert "augur/prometheus" in jobs
    for job in BASELINE_JOBS:
        assert job not in jobs
        assert f"job {job}: dropped (discovers no running pod)" in result.notes
    path = tmp_path / "prometheus.yml"
    path.write_text(result.text)
    done = subprocess.run(
        [str(promtool), "check", "config", "--syntax-only", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

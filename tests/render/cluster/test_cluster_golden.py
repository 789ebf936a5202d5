"""Cluster monitoring's golden cases: the exporters' objects and the scrape jobs, proven by the
Kubernetes 1.33 schema and by promtool (the whole prometheus.yml, rule shards beside it)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from clusterhelpers import CASES, GOLDEN, objects, render_case, render_whole

from augur.render.cluster.scrape import SERVICE_ACCOUNT_DIR
from augur.render.prometheus.config import CONFIG_FILE
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml, dump_yaml_documents

Golden = Callable[[Path, str], None]
WITH_PROMETHEUS = [c for c in CASES if c != "prometheus-disabled"]


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, golden: Golden) -> None:
    out = render_case(case)
    golden(GOLDEN / f"{case}.manifests.yaml", dump_yaml_documents(out.output.manifests))
    scrape = {
        "jobs": list(out.scrape.jobs),
        "namespaces": sorted(out.scrape.namespaces),
        "clusterRules": list(out.scrape.cluster_rules),
    }
    golden(GOLDEN / f"{case}.scrape.yaml", GENERATED_HEADER + dump_yaml(scrape))
    golden(GOLDEN / f"{case}.rules.yaml", "".join(out.rule_files.values()))


def test_every_case_has_its_outputs() -> None:
    outputs = {p.name for p in GOLDEN.iterdir() if not p.name.endswith(".in.yaml")}
    expected = {
        f"{c}.{k}"
        for c in CASES
        for k in ("manifests.yaml", "scrape.yaml", "rules.yaml", "dashboards.txt")
    }
    assert outputs == expected


@pytest.mark.parametrize("case", CASES)
def test_output_is_deterministic(case: str) -> None:
    assert render_case(case) == render_case(case)


@pytest.mark.parametrize("case", CASES)
def test_whole_stack_is_valid_kubernetes_1_33(case: str) -> None:
    for document in render_whole(case).manifests:
        kubernetes_validate.validate(document, "1.33", strict=True)


def _pod_view(case: str, root: Path) -> Path:
    """prometheus.yml and the rule shards as the Prometheus pod mounts them."""
    output = render_whole(case)
    for config_map in objects(output, "ConfigMap"):
        name = config_map["metadata"]["name"]
        if name.endswith("-prometheus-config"):
            folder = root / "config"
        elif "-prometheus-rules-" in name:
            folder = root / "rules" / f"shard-{name.rsplit('-', 1)[1]}"
        else:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for key, text in (config_map.get("data") or {}).items():
            (folder / key).write_text(text)
    return root / "config" / "prometheus.yml"


@pytest.mark.tools
@pytest.mark.parametrize("case", WITH_PROMETHEUS)
def test_prometheus_config_passes_promtool(case: str, promtool: Path, tmp_path: Path) -> None:
    config = _pod_view(case, tmp_path)
    jobs = {job["job_name"] for job in yaml.safe_load(config.read_text())["scrape_configs"]}
    assert jobs >= {job["job_name"] for job in render_case(case).scrape.jobs}
    done = subprocess.run(
        [str(promtool), "check", "config", "--syntax-only", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert render_whole(case).files[CONFIG_FILE] == config.read_text()
    # the cluster rule file is among the rule shards the configuration loads
    rules = render_case(case).rule_files
    shards = {p.name for p in tmp_path.glob("rules/shard-*/*.yaml")}
    assert {path.rsplit("/", 1)[1] for path in rules} <= shards
    if rules:
        # The full check reads the files the configuration names: the ServiceAccount's
        # token and CA as the pod has them, here in a folder of the test's.
        account = tmp_path / "serviceaccount"
        account.mkdir()
        (account / "token").write_text("token")
        (account / "ca.crt").write_text("")
        config.write_text(config.read_text().replace(SERVICE_ACCOUNT_DIR, str(account)))
        done = subprocess.run(
            [str(promtool), "check", "config", str(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "augur-cluster.yaml" in done.stdout + done.stderr

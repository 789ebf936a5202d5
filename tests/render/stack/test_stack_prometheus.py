"""Prometheus: rule shards that leave the pod template alone on edits, reload without restart,
credentials only as files, and bad input refused by the API models."""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml
from stackhelpers import (
    alertmanager_config_from_secret,
    inputs_from_yaml,
    named,
    objects,
    render_spec,
    stack_yaml,
)

from augur.api.resources import MonitoringStack
from augur.commands.inputs import load
from augur.render.alertmanager import CONFIG_FILE as ALERTMANAGER_CONFIG_FILE
from augur.render.component_output import ComponentOutput
from augur.render.prometheus.config import CONFIG_FILE
from augur.render.prometheus.objects import render_prometheus_component
from augur.render.prometheus.rule_shards import RULE_SHARDS, SHARD_LIMIT_BYTES, shard_of
from augur.render.selection import inputs_for, stacks_of
from augur.render.stack import render_stack, stack_endpoints

Run = Callable[..., str]


def _rule_file(name: str, size: int = 0) -> str:
    rule = {"alert": name.replace("-", "_"), "expr": "vector(1)"}
    text = yaml.safe_dump({"groups": [{"name": name, "rules": [rule]}]})
    return text + "#" * size + "\n" if size else text


def _prometheus(rule_files: dict[str, str]) -> ComponentOutput:
    inputs = inputs_from_yaml(stack_yaml({}))
    return render_prometheus_component(
        inputs, ComponentOutput(files=rule_files), stack_endpoints(inputs.stack)
    )


def _shards(output: ComponentOutput) -> dict[str, dict[str, str]]:
    return {
        c["metadata"]["name"]: c["data"]
        for c in objects(output, "ConfigMap")
        if "-rules-" in c["metadata"]["name"]
    }


def test_adding_rules_changes_one_shard_and_never_the_pod_template() -> None:
    files = {f"prometheus/rules/team-{i}.yaml": _rule_file(f"team-{i}") for i in range(20)}
    before = _prometheus(files)
    after = _prometheus({**files, "prometheus/rules/new.yaml": _rule_file("new")})
    changed = [n for n, d in _shards(after).items() if _shards(before)[n] != d]
    assert changed == [f"platform-prometheus-rules-{shard_of('new.yaml')}"]
    assert len(_shards(after)) == RULE_SHARDS
    template = named(before, "StatefulSet", "platform-prometheus")["spec"]["template"]
    assert named(after, "StatefulSet", "platform-prometheus")["spec"]["template"] == template


def test_rule_volumes_are_optional_and_globbed_by_rule_files() -> None:
    output = _prometheus({})
    pod = named(output, "StatefulSet", "platform-prometheus")["spec"]["template"]["spec"]
    rule_volumes = [v for v in pod["volumes"] if v["name"].startswith("rules-")]
    assert len(rule_volumes) == RULE_SHARDS
    assert all(v["configMap"]["optional"] is True for v in rule_volumes)
    config = yaml.safe_load(output.files[CONFIG_FILE])
    assert config["rule_files"] == [f"../rules/shard-{i}/*.yaml" for i in range(RULE_SHARDS)]


def test_rules_that_outgrow_the_shards_get_more_shards_not_dropped() -> None:
    big = SHARD_LIMIT_BYTES // 3
    # Enough files that some shard of 8 would receive a fourth one that cannot fit.
    files = {f"prometheus/rules/big-{i}.yaml": _rule_file(f"big-{i}", big) for i in range(40)}
    output = _prometheus(files)
    assert output.warnings == []
    shards = _shards(output)
    assert len(shards) > RULE_SHARDS
    assert sum(len(data) for data in shards.values()) == 40 + 1  # and self-monitoring's
    for data in shards.values():
        assert sum(len(k) + len(v.encode()) for k, v in data.items()) <= SHARD_LIMIT_BYTES


def test_config_reloads_without_a_restart() -> None:
    container = named(render_spec({}), "StatefulSet", "platform-prometheus")["spec"]["template"][
        "spec"
    ]["containers"][0]
    assert "--enable-feature=auto-reload-config" in container["args"]
    assert any(a.startswith("--config.auto-reload-interval=") for a in container["args"])


@pytest.mark.tools
def test_prometheus_flags_exist_in_the_deployed_version(prometheus_binary: Path) -> None:
    done = subprocess.run(
        [str(prometheus_binary), "--help"], capture_output=True, text=True, check=False
    )
    help_text = done.stdout + done.stderr
    container = named(render_case_all(), "StatefulSet", "platform-prometheus")["spec"]["template"][
        "spec"
    ]["containers"][0]
    for arg in container["args"]:
        flag = arg.split("=", 1)[0]
        assert re.search(rf"{re.escape(flag)}[=\s]", help_text), flag


def render_case_all() -> ComponentOutput:
    return render_spec(
        {
            "prometheus": {
                "retentionSize": "10GB",
                "ingress": {"host": "prometheus.example.com", "path": "/prom"},
            }
        }
    )


def test_alerts_go_to_every_alertmanager_pod_not_a_service() -> None:
    config = yaml.safe_load(render_spec({"alertmanager": {"replicas": 3}}).files[CONFIG_FILE])
    [peers] = config["alerting"]["alertmanagers"]
    assert [sd["role"] for sd in peers["kubernetes_sd_configs"]] == ["pod"]
    assert "static_configs" not in peers
    assert config["alerting"]["alert_relabel_configs"] == [
        {"action": "labeldrop", "regex": "prometheus_replica"}
    ]
    assert config["global"]["external_labels"]["prometheus_replica"] == "${POD_NAME}"


def test_alertmanager_secret_holds_exactly_the_rendered_config() -> None:
    output = render_spec({})
    assert alertmanager_config_from_secret(output) == output.files[ALERTMANAGER_CONFIG_FILE]


def test_no_secret_value_reaches_the_output(repo_root: Path) -> None:
    result = load((str(repo_root / "examples" / "shop"),))
    values = []
    for path in (repo_root / "examples" / "shop").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "Secret":
                values += [str(v) for v in (doc.get("stringData") or {}).values()]
                values += [base64.b64decode(v).decode() for v in (doc.get("data") or {}).values()]
    assert values
    for stack in stacks_of(result.inventory):
        output = render_stack(inputs_for(stack, result.inventory))
        everything = "\n".join(output.files.values()) + alertmanager_config_from_secret(output)
        for value in values:
            assert value not in everything


def test_remote_write_credentials_are_files_from_prometheus_keys() -> None:
    output = render_spec(
        {
            "prometheus": {
                "remoteWrite": [
                    {
                        "url": "https://m.example.com/push",
                        "bearerToken": {"secretKeyRef": {"name": "m", "key": "token"}},
                    }
                ]
            }
        }
    )
    assert output.secret_keys == {
        "prometheus.remote-write-0.bearer-token": ("monitoring/m", "token")
    }
    [entry] = yaml.safe_load(output.files[CONFIG_FILE])["remote_write"]
    assert entry["authorization"]["credentials_file"] == (
        "/etc/prometheus/credentials/prometheus.remote-write-0.bearer-token"
    )


def test_a_timeout_longer_than_the_interval_is_clamped() -> None:
    target = {"name": "a", "interval": "10s", "timeout": "1m"}
    config = yaml.safe_load(render_spec({"prometheus": {"scrape": [target]}}).files[CONFIG_FILE])
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "a"]
    assert (job["scrape_interval"], job["scrape_timeout"]) == ("10s", "10s")


def test_labelled_namespaces_unknown_leave_the_job_out_with_a_warning() -> None:
    output = render_spec(
        {
            "namespaceSelector": {"matchLabels": {"team": "x"}},
            "prometheus": {"scrape": [{"name": "a"}]},
        }
    )
    config = yaml.safe_load(output.files[CONFIG_FILE])
    assert "a" not in {j["job_name"] for j in config["scrape_configs"]}
    assert any("scrape[0]" in w for w in output.warnings)


def _stack_error(spec: dict[str, Any]) -> pydantic.ValidationError:
    with pytest.raises(pydantic.ValidationError) as caught:
        MonitoringStack.model_validate(yaml.safe_load(stack_yaml(spec)))
    return caught.value


def test_static_scrape_without_targets_fails_validation_naming_the_field() -> None:
    error = _stack_error({"prometheus": {"scrape": [{"name": "edge", "role": "static"}]}})
    [problem] = error.errors()
    assert problem["loc"][:4] == ("spec", "prometheus", "scrape", 0)
    assert "static" in problem["msg"]


def test_storage_size_that_is_not_a_quantity_fails_validation_naming_the_field() -> None:
    error = _stack_error({"prometheus": {"storage": {"size": "lots"}}})
    [problem] = error.errors()
    assert problem["loc"] == ("spec", "prometheus", "storage", "size")


def _tenant_scrape_stack() -> ComponentOutput:
    return render_spec(
        {
            "namespaceSelector": {"matchNames": ["monitoring", "shop", "ml"]},
            "tenancy": {"enforceNamespaceLabel": "tenant"},
            "prometheus": {
                "scrape": [{"name": "apps", "role": "pod", "selector": {"matchLabels": {"a": "b"}}}]
            },
        }
    )


def test_scraped_series_carry_the_enforced_label_as_their_namespace() -> None:
    # Regression: with enforceNamespaceLabel `tenant`, only `namespace` was set on targets, so
    # a tenant's pods could export tenant="ml" and appear in ml's restricted queries. As a
    # target label (honor_labels is off) it wins over what a pod exports.
    config = yaml.safe_load(render_tenant_config())
    (apps,) = [job for job in config["scrape_configs"] if job["job_name"] == "apps"]
    assert not apps.get("honor_labels")
    targets = {
        rule["target_label"]: rule["source_labels"]
        for rule in apps["relabel_configs"]
        if "target_label" in rule
    }
    assert targets["tenant"] == ["__meta_kubernetes_namespace"]
    assert targets["namespace"] == ["__meta_kubernetes_namespace"]


def render_tenant_config() -> str:
    return str(_tenant_scrape_stack().files[CONFIG_FILE])


@pytest.mark.tools
def test_the_enforced_label_scrape_config_is_one_prometheus_loads(
    promtool: Path, tmp_path: Path
) -> None:
    path = tmp_path / "prometheus.yml"
    path.write_text(render_tenant_config())
    done = subprocess.run(
        [str(promtool), "check", "config", "--syntax-only", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

"""Jaeger v2: golden cases, Kubernetes 1.33 validity, and the configuration accepted by
`jaeger validate` of the deployed version when that binary is built."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from augur.api.inventory import Inventory
from augur.api.resources import is_augur_document, parse_resource
from augur.dev.tools import tool_path
from augur.render.component_output import ComponentOutput
from augur.render.jaeger.config import CONFIG_FILE, ES_PASSWORD_FILE
from augur.render.jaeger.objects import render_jaeger_component
from augur.render.selection import StackInputs, inputs_for, stacks_of
from augur.render.yamlwriter import dump_yaml_documents

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))
Golden = Callable[[Path, str], None]


def _inputs(case: str) -> StackInputs:
    inventory = Inventory()
    for doc in yaml.safe_load_all((GOLDEN / f"{case}.in.yaml").read_text()):
        if is_augur_document(doc):
            inventory.add(parse_resource(doc))
    [stack] = stacks_of(inventory)
    return inputs_for(stack, inventory)


def _render(case: str) -> ComponentOutput:
    return render_jaeger_component(_inputs(case))


def _one(output: ComponentOutput, kind: str) -> dict[str, Any]:
    [found] = [m for m in output.manifests if m["kind"] == kind]
    return found


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, golden: Golden) -> None:
    output = _render(case)
    golden(GOLDEN / f"{case}.manifests.yaml", dump_yaml_documents(output.manifests))
    golden(GOLDEN / f"{case}.config.yaml", output.files[CONFIG_FILE])


def test_every_case_has_its_outputs() -> None:
    outputs = {p.name for p in GOLDEN.iterdir() if not p.name.endswith(".in.yaml")}
    assert outputs == {f"{c}.{k}" for c in CASES for k in ("manifests.yaml", "config.yaml")}


@pytest.mark.parametrize("case", CASES)
def test_manifests_are_valid_kubernetes_1_33(case: str) -> None:
    for document in yaml.safe_load_all((GOLDEN / f"{case}.manifests.yaml").read_text()):
        kubernetes_validate.validate(document, "1.33", strict=True)


@pytest.fixture(scope="module")
def jaeger_binary() -> Path:
    # Built by the test command with the other tools; tool_path builds it if it is missing.
    return tool_path("jaeger")


@pytest.mark.tools
@pytest.mark.parametrize("case", CASES)
def test_config_passes_jaeger_validate(case: str, jaeger_binary: Path, tmp_path: Path) -> None:
    output = _render(case)
    config = tmp_path / "config.yaml"
    config.write_text(output.files[CONFIG_FILE])
    # The same flags the container runs with, its config path swapped for the temporary one.
    args = _one(output, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    flags = [a for a in args if not a.startswith("--config=")]
    result = subprocess.run(
        [str(jaeger_binary), "validate", f"--config=file:{config}", *flags],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_config_carries_the_sampling_rate_and_the_storage() -> None:
    config = yaml.safe_load(_render("elasticsearch").files[CONFIG_FILE])
    assert config["extensions"]["remote_sampling"]["file"] == {"default_sampling_probability": 0.05}
    es = config["extensions"]["jaeger_storage"]["backends"]["primary"]["elasticsearch"]
    assert es["auth"]["basic"] == {"username": "jaeger", "password_file": ES_PASSWORD_FILE}
    badger = yaml.safe_load(_render("badger").files[CONFIG_FILE])
    assert list(badger["receivers"]["otlp"]["protocols"]) == ["http"]
    assert badger["extensions"]["jaeger_query"]["base_path"] == "/jaeger"


def test_elasticsearch_password_is_a_mounted_secret_file_never_a_value() -> None:
    output = _render("elasticsearch")
    assert "Secret" not in [m["kind"] for m in output.manifests]
    pod = _one(output, "Deployment")["spec"]["template"]["spec"]
    [volume] = [v for v in pod["volumes"] if "secret" in v]
    assert volume["secret"] == {
        "secretName": "es-credentials",
        "items": [{"key": "jaeger-password", "path": "password"}],
    }
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert ES_PASSWORD_FILE.rsplit("/", 1)[0] in mounts
    assert "subPath" not in str(pod)


def test_badger_gets_a_volume_and_is_recreated_not_rolled() -> None:
    output = _render("badger")
    claim = _one(output, "PersistentVolumeClaim")
    assert claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert claim["spec"]["storageClassName"] == "fast"
    deployment = _one(output, "Deployment")
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "platform-jaeger-data"}} in (
        deployment["spec"]["template"]["spec"]["volumes"]
    )
    assert "PersistentVolumeClaim" not in [m["kind"] for m in _render("memory").manifests]


def test_service_ports_follow_the_otlp_settings() -> None:
    def ports(case: str) -> dict[str, int]:
        service = _one(_render(case), "Service")
        assert service["metadata"]["name"].endswith("-jaeger")
        return {p["name"]: p["port"] for p in service["spec"]["ports"]}

    assert ports("memory") == {
        "query": 16686,
        "otlp-grpc": 4317,
        "otlp-http": 4318,
        "sampling": 5778,
    }
    assert ports("query-only") == {"query": 16686, "sampling": 5778}
    assert ports("legacy-intake") == {
        "query": 16686,
        "otlp-grpc": 4317,
        "otlp-http": 4318,
        "jaeger-thrift": 14268,
        "zipkin": 9411,
        "sampling": 5778,
    }


def test_legacy_receivers_feed_the_traces_pipeline() -> None:
    config = yaml.safe_load(_render("legacy-intake").files[CONFIG_FILE])
    assert config["receivers"]["jaeger"] == {
        "protocols": {"thrift_http": {"endpoint": "0.0.0.0:14268"}}
    }
    assert config["receivers"]["zipkin"] == {"endpoint": "0.0.0.0:9411"}
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp", "jaeger", "zipkin"]
    alone = yaml.safe_load(_render("zipkin-only").files[CONFIG_FILE])
    assert alone["service"]["pipelines"]["traces"]["receivers"] == ["zipkin"]
    args = _one(_render("zipkin-only"), "Deployment")["spec"]["template"]["spec"]["containers"]
    assert not any("AllowNoPipelines" in a for a in args[0]["args"])


def test_probes_read_the_health_check_extension() -> None:
    container = _one(_render("memory"), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    config = yaml.safe_load(_render("memory").files[CONFIG_FILE])
    port = int(config["extensions"]["healthcheckv2"]["http"]["endpoint"].rsplit(":", 1)[1])
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        assert named[container[probe]["httpGet"]["port"]] == port


def test_disabled_jaeger_renders_nothing() -> None:
    inputs = _inputs("memory")
    inputs.stack.spec.jaeger.enabled = False
    output = render_jaeger_component(inputs)
    assert output.files == {} and output.manifests == []

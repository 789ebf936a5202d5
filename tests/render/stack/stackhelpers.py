"""Helpers of the stack rendering tests: inputs from YAML, and the files a pod would see."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path
from typing import Any

import yaml

from augur.api.inventory import Inventory
from augur.api.promoperator import is_promoperator_document, parse_promoperator
from augur.api.resources import is_augur_document, parse_resource
from augur.render.component_output import ComponentOutput
from augur.render.prometheus.credentials import (
    ADDITIONAL_SCRAPE_CONFIGS_KEY,
    CREDENTIALS_DIR,
    CREDENTIALS_KEY_PREFIX,
)
from augur.render.selection import StackInputs, inputs_for, stacks_of
from augur.render.stack import render_stack

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))


def inputs_from_yaml(text: str) -> StackInputs:
    """The inputs of the one stack of a multi-document YAML text (or the default stack)."""
    inventory = Inventory()
    for doc in yaml.safe_load_all(text):
        if is_augur_document(doc):
            inventory.add(parse_resource(doc))
        elif is_promoperator_document(doc):
            inventory.add(parse_promoperator(doc))
        elif isinstance(doc, dict) and doc.get("kind") == "Namespace":
            meta = doc["metadata"]
            inventory.namespace_labels[meta["name"]] = dict(meta.get("labels") or {})
    inventory.sort()
    stacks = stacks_of(inventory)
    assert len(stacks) == 1, "a case holds at most one MonitoringStack"
    return inputs_for(stacks[0], inventory)


def stack_yaml(spec: dict[str, Any], name: str = "platform", namespace: str = "monitoring") -> str:
    """A MonitoringStack document with this spec."""
    return yaml.safe_dump(
        {
            "apiVersion": "augur.dev/v1alpha1",
            "kind": "MonitoringStack",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
    )


def render_spec(spec: dict[str, Any]) -> ComponentOutput:
    """render_stack of a stack with this spec and nothing selected."""
    return render_stack(inputs_from_yaml(stack_yaml(spec)))


def render_case(case: str) -> ComponentOutput:
    """render_stack of a golden case."""
    return render_stack(inputs_from_yaml((GOLDEN / f"{case}.in.yaml").read_text()))


def objects(output: ComponentOutput, kind: str) -> list[dict[str, Any]]:
    """The rendered objects of a kind."""
    return [m for m in output.manifests if m["kind"] == kind]


def named(output: ComponentOutput, kind: str, name: str) -> dict[str, Any]:
    """The one rendered object of this kind and name."""
    found = [m for m in objects(output, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def prometheus_pod_view(output: ComponentOutput, root: Path) -> Path:
    """Lay out Prometheus' ConfigMaps as its pod mounts them, with a placeholder file for
    every credential it reads (promtool checks that they exist, at `root`/credentials in
    place of the credentials mount); returns prometheus.yml's path."""
    credentials = root / "credentials"
    credentials.mkdir(parents=True, exist_ok=True)
    for key in output.secret_keys:
        if key.startswith(CREDENTIALS_KEY_PREFIX):
            text = "scrape_configs: []\n" if key == ADDITIONAL_SCRAPE_CONFIGS_KEY else "secret\n"
            (credentials / key).write_text(text)
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
            (folder / key).write_text(text.replace(CREDENTIALS_DIR, str(credentials)))
    return root / "config" / "prometheus.yml"


def alertmanager_config_from_secret(output: ComponentOutput) -> str:
    """The Alertmanager configuration as the config reloader decompresses it."""
    [secret] = [
        s
        for s in objects(output, "Secret")
        if s["metadata"]["name"].endswith("-alertmanager-config")
    ]
    [data] = secret["data"].values()
    return gzip.decompress(base64.b64decode(data)).decode("utf-8")

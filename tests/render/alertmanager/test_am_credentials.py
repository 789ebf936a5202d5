"""No credential value ever appears in the configuration: every channel reads files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from augur.api.receivers import CHANNEL_KINDS
from augur.render.alertmanager import (
    AWS_CREDENTIALS_KEY,
    compress_config,
    decompress_config,
    merge_aws_credentials,
    render_alertmanager_component,
    render_alertmanager_config,
)
from augur.render.selection import StackInputs

GOLDEN = Path(__file__).resolve().parent / "golden"
LoadInputs = Callable[[str], StackInputs]
CheckConfig = Callable[[str], None]


def _secret_refs(node: Any, found: set[tuple[str, str]]) -> None:
    if isinstance(node, dict):
        ref = node.get("secretKeyRef")
        if isinstance(ref, dict):
            found.add((ref["name"], ref["key"]))
        for value in node.values():
            _secret_refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _secret_refs(item, found)


def _with_sentinel_secrets(text: str) -> tuple[str, dict[tuple[str, str, str], str]]:
    """The input plus a Secret for every reference, each key holding a distinct sentinel."""
    docs = list(yaml.safe_load_all(text))
    values: dict[tuple[str, str, str], str] = {}
    secrets: dict[tuple[str, str], dict[str, str]] = {}
    for doc in docs:
        refs: set[tuple[str, str]] = set()
        _secret_refs(doc.get("spec", {}), refs)
        namespace = doc["metadata"].get("namespace", "default")
        for name, key in sorted(refs):
            sentinel = f"SENTINEL-{len(values)}-{namespace}-{name}-{key}"
            if key == "credentials":  # an AWS credentials file
                sentinel = (
                    f"[default]\naws_access_key_id = {sentinel}-id\n"
                    f"aws_secret_access_key = {sentinel}-secret\n"
                    f"[alerts]\naws_access_key_id = {sentinel}-alerts-id\n"
                    f"aws_secret_access_key = {sentinel}-alerts-secret\n"
                )
            values[(namespace, name, key)] = sentinel
            secrets.setdefault((namespace, name), {})[key] = sentinel
    for (namespace, name), data in secrets.items():
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": namespace},
                "stringData": data,
            }
        )
    return yaml.safe_dump_all(docs), values


def _needles(values: dict[tuple[str, str, str], str]) -> list[str]:
    needles = []
    for value in values.values():
        needles.extend(line.split(" = ")[-1] for line in value.splitlines() if "SENTINEL" in line)
    return needles


@pytest.mark.parametrize("case", ["all-channels", "shop"])
def test_no_credential_value_in_the_output(case: str, load_inputs: LoadInputs) -> None:
    text, values = _with_sentinel_secrets((GOLDEN / f"{case}.in.yaml").read_text())
    inputs = load_inputs(text)
    output = render_alertmanager_component(inputs)
    rendered = render_alertmanager_config(inputs.stack, inputs.alert_policies)
    haystacks = [
        *output.files.values(),
        repr(output.secret_keys),
        repr(output.manifests),
        decompress_config(compress_config(rendered.text())),
        repr(rendered.aws_profiles),
    ]
    needles = _needles(values)
    assert len(needles) >= len(values)
    for needle in needles:
        for haystack in haystacks:
            assert needle not in haystack


def test_every_channel_kind_is_covered_by_the_sentinel_case(load_inputs: LoadInputs) -> None:
    inputs = load_inputs((GOLDEN / "all-channels.in.yaml").read_text())
    kinds = {
        kind for p in inputs.alert_policies for r in p.spec.receivers for kind, _ in r.channels()
    }
    assert kinds == set(CHANNEL_KINDS)


def test_every_referenced_secret_key_is_listed(load_inputs: LoadInputs) -> None:
    text, values = _with_sentinel_secrets((GOLDEN / "all-channels.in.yaml").read_text())
    inputs = load_inputs(text)
    rendered = render_alertmanager_config(inputs.stack, inputs.alert_policies)
    sources = {(s.split("/")[0], s.split("/")[1], key) for s, key in rendered.secret_keys.values()}
    assert sources == set(values)
    for path_key in rendered.secret_keys:
        assert path_key in rendered.text() or path_key in rendered.aws_profiles


@pytest.mark.tools
def test_the_config_works_with_the_credentials_mounted(
    load_inputs: LoadInputs, check_config: CheckConfig, tmp_path: Path
) -> None:
    """What the operator does: copy each key into the mounted Secret, merge the AWS files."""
    text, values = _with_sentinel_secrets((GOLDEN / "all-channels.in.yaml").read_text())
    inputs = load_inputs(text)
    mount = tmp_path / "credentials"
    mount.mkdir()
    rendered = render_alertmanager_config(
        inputs.stack, inputs.alert_policies, mount_path=str(mount)
    )
    copied = {}
    for key, (source, source_key) in rendered.secret_keys.items():
        namespace, name = source.split("/")
        copied[key] = values[(namespace, name, source_key)]
        (mount / key).write_text(copied[key])
    merged = merge_aws_credentials(rendered.aws_profiles, copied)
    (mount / AWS_CREDENTIALS_KEY).write_text(merged)
    assert "-alerts-secret" in merged  # the sns-sms receiver's profile [alerts]
    check_config(rendered.text())
    for value in _needles(values):
        assert value not in rendered.text()

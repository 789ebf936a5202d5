"""The objects a stack should own: the rendered manifests, stamped, plus its credentials."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from augur.kube.ownership import StackRef, stamp
from augur.render.alertmanager.credentials import DEFAULT_RECEIVER_SCOPE, credentials_secret_name
from augur.render.labels import RETAIN_ANNOTATION
from augur.render.prometheus import CREDENTIALS_KEY_PREFIX as PROMETHEUS_CREDENTIALS_PREFIX
from augur.render.prometheus import credentials_secret_name as prometheus_credentials_secret_name


@dataclass
class Credentials:
    """The credentials Secret's data, and what could not be found (by whom it is needed)."""

    data: dict[str, str] = field(default_factory=dict)
    """Key -> base64 value, copied from the source Secrets as stored."""
    missing: dict[str, list[str]] = field(default_factory=dict)
    """User (AlertPolicy namespace/name, or 'stack') -> what is missing."""


def credential_user(key: str, stack_key: str) -> str:
    """Who needs a key of the credentials Secret: `ns/policy` from `ns_policy_receiver_…`."""
    if key.startswith(DEFAULT_RECEIVER_SCOPE):
        return stack_key
    parts = key.split("_")
    return f"{parts[0]}/{parts[1]}" if len(parts) >= 3 else stack_key


def gather_credentials(
    secret_keys: Mapping[str, tuple[str, str]],
    sources: Mapping[str, Mapping[str, str] | None],
    stack_key: str,
) -> Credentials:
    """Copy each needed key from its source Secret; note what is missing (never values)."""
    result = Credentials()
    for key, (source, source_key) in sorted(secret_keys.items()):
        data = sources.get(source)
        user = credential_user(key, stack_key)
        if data is None:
            result.missing.setdefault(user, []).append(f"Secret {source} not found")
        elif source_key not in data:
            result.missing.setdefault(user, []).append(f"key {source_key!r} of Secret {source}")
        else:
            result.data[key] = data[source_key]
    for user, items in result.missing.items():
        result.missing[user] = sorted(set(items))
    return result


def credentials_by_secret(stack_name: str, data: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Split the credentials by the Secret that mounts them: Prometheus' keys (prefixed) go to
    its own Secret, the rest to Alertmanager's, so neither program sees the other's."""
    split: dict[str, dict[str, str]] = {credentials_secret_name(stack_name): {}}
    for key, value in data.items():
        if key.startswith(PROMETHEUS_CREDENTIALS_PREFIX):
            target = prometheus_credentials_secret_name(stack_name)
        else:
            target = credentials_secret_name(stack_name)
        split.setdefault(target, {})[key] = value
    return split


def desired_objects(
    manifests: list[dict[str, Any]],
    stack: StackRef,
    credentials: Credentials,
    *,
    needs_credentials: bool,
    is_namespaced: Callable[[str, str], bool],
) -> list[dict[str, Any]]:
    """Every object the stack owns, with labels and owner references; the credentials Secrets
    carry `data` only."""
    secrets = credentials_by_secret(stack.name, credentials.data)
    objects = []
    found: set[str] = set()
    for manifest in manifests:
        obj = copy.deepcopy(manifest)
        meta = obj.setdefault("metadata", {})
        namespaced = is_namespaced(str(obj.get("apiVersion")), str(obj.get("kind")))
        if (
            obj.get("kind") == "Secret"
            and meta.get("name") in secrets
            and meta.get("namespace", stack.namespace) == stack.namespace
        ):
            obj.pop("stringData", None)
            obj["data"] = dict(secrets[meta["name"]])
            found.add(meta["name"])
        owned = meta.get("annotations", {}).get(RETAIN_ANNOTATION) != "true"
        objects.append(stamp(obj, stack, cluster_scoped=not namespaced, owned=owned))
    for name, data in sorted(secrets.items()):
        if name in found:
            continue
        is_alertmanager = name == credentials_secret_name(stack.name)
        if not data and not (is_alertmanager and needs_credentials):
            continue
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": stack.namespace},
            "type": "Opaque",
            "data": dict(data),
        }
        objects.append(stamp(secret, stack, cluster_scoped=False))
    return objects

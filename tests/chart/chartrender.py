"""Rendering charts/augur with the pinned helm, and reading RBAC rules, for the chart tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from augur import versions

CHART = Path(__file__).resolve().parents[2] / "charts" / "augur"
RELEASE = "augur"
NAMESPACE = "augur-system"
KUBE_VERSION = ".".join(versions.KUBERNETES_VERSION.split(".")[:2])

Obj = dict[str, Any]


def run_helm(helm: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run helm offline; a failure with `check` raises with helm's own message."""
    result = subprocess.run(
        [str(helm), *args], capture_output=True, text=True, timeout=120, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def render(helm: Path, values: Obj | None = None, tmp: Path | None = None) -> list[Obj]:
    """The objects `helm template` renders from the chart (CRDs included) with `values`."""
    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--include-crds"]
    args += ["--kube-version", KUBE_VERSION]
    if values is not None:
        assert tmp is not None
        path = tmp / "values.yaml"
        path.write_text(yaml.safe_dump(values))
        args += ["--values", str(path)]
    out = run_helm(helm, *args).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def of_kind(objects: Iterable[Obj], kind: str) -> list[Obj]:
    """The objects of one kind."""
    return [obj for obj in objects if obj.get("kind") == kind]


def one(objects: Iterable[Obj], kind: str) -> Obj:
    """The single object of a kind."""
    found = of_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def allows(rules: list[Obj], group: str, resource: str, verb: str) -> bool:
    """True when any rule grants `verb` on `resource` of API `group`."""
    return any(
        group in rule.get("apiGroups", [])
        and resource in rule.get("resources", [])
        and verb in rule.get("verbs", [])
        for rule in rules
    )


def plural(kind: str) -> str:
    """The resource name of a built-in kind (the kinds augur renders)."""
    lower = kind.lower()
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    if lower.endswith("s"):
        return lower + "es"
    return lower + "s"


def group_of(api_version: str) -> str:
    """The API group of an apiVersion ("" for the core group)."""
    return api_version.rpartition("/")[0]

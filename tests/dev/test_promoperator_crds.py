"""prometheus-operator's CRDs, read from its pinned release's Go module."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from augur.dev.promoperator_crds import CRD_FOLDER, module_dir, promoperator_crds
from augur.dev.toolcache import ToolError
from augur.dev.tools import get_tool

from .conftest import FakeGo

TOOL = get_tool("prometheus-operator")


def _crd(kind: str, plural: str) -> dict[str, object]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.monitoring.coreos.com"},
        "spec": {"group": "monitoring.coreos.com", "names": {"kind": kind, "plural": plural}},
    }


def _module(source: Path) -> Path:
    folder = source / CRD_FOLDER
    folder.mkdir(parents=True)
    (source / "go.mod").write_text("module github.com/prometheus-operator/prometheus-operator\n")
    for kind, plural in (("Prometheus", "prometheuses"), ("PrometheusRule", "prometheusrules")):
        (folder / f"monitoring.coreos.com_{plural}.yaml").write_text(
            yaml.safe_dump(_crd(kind, plural))
        )
    return source


def test_kinds_come_in_the_order_asked(cache: Path) -> None:
    _module(module_dir(TOOL, cache))
    crds = promoperator_crds(["PrometheusRule", "Prometheus"])
    assert [crd["metadata"]["name"] for crd in crds] == [
        "prometheusrules.monitoring.coreos.com",
        "prometheuses.monitoring.coreos.com",
    ]
    assert len(promoperator_crds()) == 2


def test_an_unknown_kind_names_the_known_ones(cache: Path) -> None:
    _module(module_dir(TOOL, cache))
    with pytest.raises(ValueError, match="no kind Probe; it defines Prometheus, PrometheusRule"):
        promoperator_crds(["Prometheus", "Probe"])


def test_a_missing_module_is_downloaded(fake_go: FakeGo, cache: Path, tmp_path: Path) -> None:
    source = _module(tmp_path / "downloaded")
    calls = fake_go(info={"Dir": str(source)})
    assert promoperator_crds(["Prometheus"])[0]["spec"]["names"]["kind"] == "Prometheus"
    assert f"mod download -json {TOOL.module}@{TOOL.module_version}" in calls.read_text()


def test_a_module_without_crds_is_an_error(fake_go: FakeGo, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    fake_go(info={"Dir": str(tmp_path / "empty")})
    with pytest.raises(ToolError, match=r"No CRDs of monitoring\.coreos\.com"):
        promoperator_crds(["Prometheus"])


@pytest.mark.tools
def test_the_pinned_release_defines_the_kinds_augur_reads() -> None:
    """The real module (downloaded once if the cache lacks it)."""
    kinds = ["Prometheus", "PrometheusRule", "ServiceMonitor", "PodMonitor"]
    crds = promoperator_crds(kinds)
    for kind, crd in zip(kinds, crds, strict=True):
        assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
        assert crd["kind"] == "CustomResourceDefinition"
        assert crd["spec"]["group"] == "monitoring.coreos.com"
        assert crd["spec"]["names"]["kind"] == kind
        assert crd["metadata"]["name"] == f"{crd['spec']['names']['plural']}.monitoring.coreos.com"
        served = [version["name"] for version in crd["spec"]["versions"] if version["served"]]
        assert "v1" in served

"""The images a stack deploys and the tools that check its output are the same versions."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from augur import versions
from augur.dev.tools import TOOLS


def _tag(image: str) -> str:
    return image.rsplit(":", 1)[1]


def test_prometheus_tools_match_the_deployed_image() -> None:
    for name in ("promtool", "prometheus"):
        assert f"v{TOOLS[name].version}" == _tag(versions.PROMETHEUS_IMAGE)
        assert TOOLS[name].module_version == versions.PROMETHEUS_MODULE_VERSION


def test_alertmanager_tools_match_the_deployed_image() -> None:
    for name in ("amtool", "alertmanager"):
        assert f"v{TOOLS[name].version}" == _tag(versions.ALERTMANAGER_IMAGE)
        assert TOOLS[name].module_version == _tag(versions.ALERTMANAGER_IMAGE)


def test_jaeger_matches_the_deployed_image() -> None:
    assert TOOLS["jaeger"].version == _tag(versions.JAEGER_IMAGE)
    assert TOOLS["jaeger"].optional


def test_helm_assumes_the_control_planes_kubernetes_minor() -> None:
    helm = TOOLS["helm"]
    assert helm.module_version == f"v{versions.HELM_VERSION}"
    assert helm.optional and helm.for_tests
    minor = versions.KUBERNETES_VERSION.split(".")[1]
    assert f"helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor={minor}" in helm.ldflags
    assert f"helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor={minor}" in helm.ldflags


def test_module_versions_are_derived_from_release_versions() -> None:
    assert versions.prometheus_module_version("3.5.0") == "v0.305.0"
    assert versions.prometheus_module_version("3.10.2") == "v0.310.2"
    assert versions.kubernetes_staging_version("1.33.13") == "v0.33.13"
    assert versions.jaeger_module_version("2.8.0") == "v1.71.0"
    with pytest.raises(ValueError, match=r"Jaeger 2\.x"):
        versions.jaeger_module_version("1.71.0")


def test_every_tool_reports_its_pinned_version() -> None:
    for tool in TOOLS.values():
        assert tool.version in tool.version_text, tool.name
        assert tool.module_version.lstrip("v") in (tool.version, tool.module_version[1:])


def test_control_plane_is_one_kubernetes_release_with_etcd_3_5() -> None:
    kube = {
        TOOLS[n].version for n in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
    }
    assert kube == {versions.KUBERNETES_VERSION}
    assert versions.KUBERNETES_VERSION.startswith("1.33.")
    assert versions.ETCD_VERSION.startswith("3.5.")
    assert versions.KWOK_VERSION == "0.7.0"


def test_kubectl_on_this_machine_is_within_one_minor() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("no kubectl on this machine")
    out = subprocess.run(
        [kubectl, "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    client_minor = int(json.loads(out)["clientVersion"]["minor"].rstrip("+"))
    server_minor = int(versions.KUBERNETES_VERSION.split(".")[1])
    assert abs(client_minor - server_minor) <= 1


def test_prometheus_operator_is_built_for_the_benchmark_only() -> None:
    tool = TOOLS["prometheus-operator"]
    assert tool.optional and not tool.for_tests
    assert tool.module_version == f"v{versions.PROMETHEUS_OPERATOR_VERSION}"
    assert tool.package.endswith("/cmd/operator")
    assert tool.wrapper  # its go.mod replaces its API and client modules by local directories


def test_the_config_reloader_is_the_benchmarked_prometheus_operators_release() -> None:
    """One prometheus-operator version: the reloader sidecar augur deploys and the operator the
    side-by-side benchmark runs (the reload flags augur passes exist in that release)."""
    assert _tag(versions.PROMETHEUS_CONFIG_RELOADER_IMAGE) == (
        f"v{TOOLS['prometheus-operator'].version}"
    )


@pytest.mark.tools
def test_the_pinned_config_reloader_takes_every_flag_augur_passes() -> None:
    """Read from the release's own source (downloaded once if the cache lacks it)."""
    from augur.dev.promoperator_crds import release_source
    from augur.render.alertmanager.objects import reloader_container

    main_go = (release_source() / "cmd" / "prometheus-config-reloader" / "main.go").read_text()
    passed = {
        arg.removeprefix("--").split("=", 1)[0]
        for once in (True, False)
        for arg in reloader_container("r", once=once, reload_url="http://x/-/reload")["args"]
    }
    assert passed >= {"config-file", "config-envsubst-file", "watch-interval", "reload-url"}
    for flag in passed:
        assert f'"{flag}"' in main_go, flag


def test_cluster_exporter_images_carry_their_pinned_versions() -> None:
    assert _tag(versions.NODE_EXPORTER_IMAGE) == f"v{versions.NODE_EXPORTER_VERSION}"
    assert _tag(versions.KUBE_STATE_METRICS_IMAGE) == f"v{versions.KUBE_STATE_METRICS_VERSION}"

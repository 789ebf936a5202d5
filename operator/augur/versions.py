"""Pinned versions: the images a stack deploys by default and the tools that check its output.

One file, so the image augur deploys and the promtool/amtool that prove its configuration
never drift apart (tests/dev/test_versions.py checks they agree).
"""

from __future__ import annotations

PROMETHEUS_VERSION = "3.5.0"
ALERTMANAGER_VERSION = "0.28.1"
GRAFANA_VERSION = "12.1.0"
JAEGER_VERSION = "2.8.0"

PROMETHEUS_IMAGE = f"quay.io/prometheus/prometheus:v{PROMETHEUS_VERSION}"
ALERTMANAGER_IMAGE = f"quay.io/prometheus/alertmanager:v{ALERTMANAGER_VERSION}"
GRAFANA_IMAGE = f"docker.io/grafana/grafana:{GRAFANA_VERSION}"
JAEGER_IMAGE = f"docker.io/jaegertracing/jaeger:{JAEGER_VERSION}"

# prometheus-operator itself is built only for the side-by-side benchmark (bench/versus.py):
# never part of the test set, never deployed. Its module serves the CRDs of
# monitoring.coreos.com (`augur.dev.promoperator_crds`).
PROMETHEUS_OPERATOR_VERSION = "0.85.0"

# Baseline cluster monitoring (spec.clusterMonitoring). node-exporter: the latest release
# (1.12.1, 2026-07-14), no client library tying it to a Kubernetes version; every flag augur
# passes exists in it. kube-state-metrics: 2.17.0, built with client-go v0.33.4 (its
# compatibility matrix: 2.17 is the release for Kubernetes 1.33, the minor of the control
# plane below and of augur's tests; 2.16 is 1.32's).
NODE_EXPORTER_VERSION = "1.12.1"
KUBE_STATE_METRICS_VERSION = "2.17.0"
NODE_EXPORTER_IMAGE = f"quay.io/prometheus/node-exporter:v{NODE_EXPORTER_VERSION}"
KUBE_STATE_METRICS_IMAGE = (
    f"registry.k8s.io/kube-state-metrics/kube-state-metrics:v{KUBE_STATE_METRICS_VERSION}"
)

# Alertmanager has no automatic reload: this sidecar decompresses its configuration from the
# Secret and calls its reload endpoint (prometheus-operator's, released with it: one version).
PROMETHEUS_CONFIG_RELOADER_VERSION = PROMETHEUS_OPERATOR_VERSION
PROMETHEUS_CONFIG_RELOADER_IMAGE = (
    f"quay.io/prometheus-operator/prometheus-config-reloader:v{PROMETHEUS_CONFIG_RELOADER_VERSION}"
)

# --- Real tools: the programs that read what augur writes, and the local control plane. ---
# `augur dev tools` builds each from its Go source module at exactly these versions.

KUBERNETES_VERSION = "1.33.13"  # latest 1.33 patch; kubectl 1.32 stays within one minor
ETCD_VERSION = "3.5.35"  # latest 3.5 patch
KWOK_VERSION = "0.7.0"
# Helm renders and lints the chart in charts/augur; its default Kubernetes version (what
# `.Capabilities.KubeVersion` and the linter's deprecation checks assume) is stamped to the
# control plane's minor above, not the client-go minor Helm's own Makefile would stamp.
HELM_VERSION = "3.22.0"

PROMETHEUS_MODULE = "github.com/prometheus/prometheus"
ALERTMANAGER_MODULE = "github.com/prometheus/alertmanager"
KUBERNETES_MODULE = "k8s.io/kubernetes"
ETCD_SERVER_MODULE = "go.etcd.io/etcd/server/v3"
KWOK_MODULE = "sigs.k8s.io/kwok"
JAEGER_MODULE = "github.com/jaegertracing/jaeger"
HELM_MODULE = "helm.sh/helm/v3"
PROMETHEUS_OPERATOR_MODULE = "github.com/prometheus-operator/prometheus-operator"
NODE_EXPORTER_MODULE = "github.com/prometheus/node_exporter"


def prometheus_module_version(version: str) -> str:
    """Prometheus 3.x is published as Go module v0.3XX.Y: 3.5.0 is v0.305.0."""
    major, minor, patch = (int(part) for part in version.split("."))
    return f"v0.{major * 100 + minor}.{patch}"


def kubernetes_staging_version(version: str) -> str:
    """Kubernetes 1.X.Y publishes its staging modules (k8s.io/api, ...) as v0.X.Y."""
    _, minor, patch = version.split(".")
    return f"v0.{minor}.{patch}"


def jaeger_module_version(version: str) -> str:
    """Jaeger 2.N.P is tagged together with 1.(63+N).P, the only form its Go module accepts.

    The module path has no /v2 suffix, so `v2.8.0` is not a valid module version; its twin
    `v1.71.0` is the same commit (the release notes head it "v1.71.0 / v2.8.0").
    """
    major, minor, patch = (int(part) for part in version.split("."))
    if major != 2:
        raise ValueError(f"expected a Jaeger 2.x version, got {version}")
    return f"v1.{63 + minor}.{patch}"


PROMETHEUS_MODULE_VERSION = prometheus_module_version(PROMETHEUS_VERSION)
ALERTMANAGER_MODULE_VERSION = f"v{ALERTMANAGER_VERSION}"
KUBERNETES_MODULE_VERSION = f"v{KUBERNETES_VERSION}"
KUBERNETES_STAGING_VERSION = kubernetes_staging_version(KUBERNETES_VERSION)
ETCD_MODULE_VERSION = f"v{ETCD_VERSION}"
KWOK_MODULE_VERSION = f"v{KWOK_VERSION}"
JAEGER_MODULE_VERSION = jaeger_module_version(JAEGER_VERSION)
HELM_MODULE_VERSION = f"v{HELM_VERSION}"
PROMETHEUS_OPERATOR_MODULE_VERSION = f"v{PROMETHEUS_OPERATOR_VERSION}"

"""Pinned versions: the images a stack deploys by default and the tools that check its output.

One file, so the image augur deploys and the promtool/amtool that prove its configuration
never drift apart (tests/tools/test_versions.py checks they agree).
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

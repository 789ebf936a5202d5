"""The series the cluster dashboards read, by the job that scrapes them. Dashboards compute
from the scraped series, not from the recording rules, so they work with `rules: false`."""

from __future__ import annotations

from augur.render.cluster.scrape import (
    API_SERVER_JOB,
    CADVISOR_JOB,
    COREDNS_JOB,
    KSM_JOB,
    KUBELET_JOB,
    NODE_EXPORTER_JOB,
)

NE = f'job="{NODE_EXPORTER_JOB}"'
KSM = f'job="{KSM_JOB}"'
CADVISOR = f'job="{CADVISOR_JOB}"'
KUBELET = f'job="{KUBELET_JOB}"'
APISERVER = f'job="{API_SERVER_JOB}"'
COREDNS = f'job="{COREDNS_JOB}"'
CORES = "suffix: cores"
"""CPU in cores used (Grafana has no such unit of its own)."""
FOLDER = "Cluster"
"""The Grafana folder of the cluster dashboards."""

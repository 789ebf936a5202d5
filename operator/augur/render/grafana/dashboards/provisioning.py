"""Grafana's provisioning files: the stack's datasources (fixed UIDs) and dashboard providers,
and every built-in dashboard with the folder it goes into.

Grafana reads datasources once at start (a change rolls its pods); it polls the dashboard
folders, so a dashboard change needs no restart."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from augur.render.component_output import Dashboard
from augur.render.grafana.dashboards import anomalies, health, scaling
from augur.render.grafana.dashboards.kpis import kpi_dashboards
from augur.render.k8s.endpoints import StackEndpoints
from augur.render.panels import (
    ALERTMANAGER_UID,
    JAEGER_UID,
    PROMETHEUS_UID,
    Obj,
    dashboard_text,
)
from augur.render.selection import StackInputs
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

DATASOURCES_FILE = "grafana/provisioning/datasources/augur.yaml"
PROVIDERS_FILE = "grafana/provisioning/dashboards/augur.yaml"
DASHBOARDS_DIR = "grafana/dashboards"
"""Where `augur render` writes them, relative to the stack's folder."""

PROVISIONING_DIR = "/etc/grafana/provisioning"
BUILT_IN_DIR = "/etc/grafana/dashboards/augur"
USER_DIR = "/etc/grafana/dashboards/user"
"""Where the pod reads them."""
STACK_FOLDER = "augur"
USER_FOLDER = "Dashboards"
POLL_SECONDS = 30


@dataclass(frozen=True)
class DashboardFile:
    """A built-in dashboard: its file name, the provider folder it is in, and its JSON."""

    name: str
    folder: str
    directory: str
    """Sub-directory of BUILT_IN_DIR the folder's provider reads."""
    data: Obj

    @functools.cached_property
    def text(self) -> str:
        """The dashboard's JSON (encoded once: a stack's ConfigMap and files both read it)."""
        return dashboard_text(self.data)


def datasources(inputs: StackInputs, peers: StackEndpoints) -> list[Obj]:
    """A datasource for each enabled component of the stack, Prometheus the default, at the
    ports of `peers`."""
    stack = inputs.stack
    spec = stack.spec
    name, ns = stack.name, stack.namespace
    found: list[Obj] = []
    if spec.prometheus.enabled:
        found.append(
            {
                "name": "Prometheus",
                "type": "prometheus",
                "uid": PROMETHEUS_UID,
                "access": "proxy",
                "url": peers.prometheus_web.url(name, ns),
                "isDefault": True,
                "editable": False,
                "jsonData": {"httpMethod": "POST", "timeInterval": spec.prometheus.scrape_interval},
            }
        )
    if spec.alertmanager.enabled:
        found.append(
            {
                "name": "Alertmanager",
                "type": "alertmanager",
                "uid": ALERTMANAGER_UID,
                "access": "proxy",
                "url": peers.alertmanager_web.url(name, ns),
                "editable": False,
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            }
        )
    if spec.jaeger.enabled:
        found.append(
            {
                "name": "Jaeger",
                "type": "jaeger",
                "uid": JAEGER_UID,
                "access": "proxy",
                "url": peers.jaeger_query.url(name, ns),
                "editable": False,
            }
        )
    return found


def datasources_text(inputs: StackInputs, peers: StackEndpoints) -> str:
    """The datasources provisioning file; `prune` removes datasources the stack no longer has."""
    body: dict[str, Any] = {
        "apiVersion": 1,
        "prune": True,
        "datasources": datasources(inputs, peers),
    }
    return GENERATED_HEADER + dump_yaml(body)


def built_in_dashboards(inputs: StackInputs) -> list[DashboardFile]:
    """Stack health, anomalies, scaling and the KPI dashboards; none without Prometheus
    (every panel reads it) or when dashboards.builtIn is off."""
    spec = inputs.stack.spec
    if not spec.grafana.dashboards.built_in or not spec.prometheus.enabled:
        return []
    files = [
        DashboardFile(
            health.FILE, STACK_FOLDER, "stack", health.stack_health_dashboard(inputs.stack)
        ),
        DashboardFile(
            anomalies.FILE,
            STACK_FOLDER,
            "stack",
            anomalies.anomalies_dashboard(inputs.alert_policies),
        ),
        DashboardFile(scaling.FILE, STACK_FOLDER, "stack", scaling.scaling_dashboard(inputs)),
    ]
    for slug, (folder, data) in kpi_dashboards(inputs.business_kpis).items():
        files.append(DashboardFile(f"kpis-{slug}.json", folder, f"kpis-{slug}", data))
    return files


def other_dashboards(dashboards: Sequence[Dashboard]) -> list[DashboardFile]:
    """Other components' dashboards, each folder in a directory of its own (`other-<slug>`)."""
    files = []
    for board in dashboards:
        slug = re.sub(r"[^a-z0-9]+", "-", board.folder.lower()).strip("-")
        files.append(DashboardFile(board.file, board.folder, f"other-{slug}", board.data))
    return files


def _provider(name: str, folder: str, path: str, *, from_structure: bool = False) -> Obj:
    provider: Obj = {
        "name": name,
        "orgId": 1,
        "folder": folder,
        "type": "file",
        "disableDeletion": True,
        "allowUiUpdates": False,
        "updateIntervalSeconds": POLL_SECONDS,
        "options": {"path": path},
    }
    if from_structure:
        provider["options"]["foldersFromFilesStructure"] = True
    return provider


def providers_text(dashboards: list[DashboardFile], user_dashboards: bool) -> str:
    """The dashboard providers file: one per built-in folder, one for user dashboards."""
    folders: dict[str, str] = {}
    for board in dashboards:
        folders.setdefault(board.directory, board.folder)
    providers = [
        _provider(f"augur-{directory}", folder, f"{BUILT_IN_DIR}/{directory}")
        for directory, folder in folders.items()
    ]
    if user_dashboards:
        providers.append(_provider("user", USER_FOLDER, USER_DIR))
    return GENERATED_HEADER + dump_yaml({"apiVersion": 1, "providers": providers})

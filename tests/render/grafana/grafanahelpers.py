"""Helpers of the Grafana tests: inputs from YAML, and what Grafana requires of a dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from augur.api.inventory import Inventory
from augur.api.resources import is_augur_document, parse_resource
from augur.render.component_output import ComponentOutput
from augur.render.grafana.objects import render_grafana_component
from augur.render.selection import StackInputs, inputs_for, stacks_of
from augur.render.stack import stack_endpoints

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))

PANEL_TYPES = {"row", "timeseries", "stat", "bargauge"}
"""The panel types the built-in dashboards use (all built into Grafana)."""


def load(text: str) -> tuple[StackInputs, dict[str, dict[str, str]]]:
    """The one stack's inputs, and the ConfigMaps of its namespace (name -> labels)."""
    inventory = Inventory()
    config_maps: list[dict[str, Any]] = []
    for doc in yaml.safe_load_all(text):
        if is_augur_document(doc):
            inventory.add(parse_resource(doc))
        elif isinstance(doc, dict) and doc.get("kind") == "ConfigMap":
            config_maps.append(doc["metadata"])
    inventory.sort()
    [stack] = stacks_of(inventory)
    labels = {
        m["name"]: dict(m.get("labels") or {})
        for m in config_maps
        if m["namespace"] == stack.namespace
    }
    return inputs_for(stack, inventory), labels


def render_text(text: str) -> ComponentOutput:
    """render_grafana_component of a multi-document YAML text."""
    inputs, config_maps = load(text)
    return render_grafana_component(
        inputs, stack_endpoints(inputs.stack), dashboard_config_maps=config_maps
    )


def render_case(case: str) -> ComponentOutput:
    """render_grafana_component of a golden case."""
    return render_text((GOLDEN / f"{case}.in.yaml").read_text())


def files_text(output: ComponentOutput) -> str:
    """Every rendered file, each under a header naming its path."""
    return "".join(f"### {path}\n{text}" for path, text in sorted(output.files.items()))


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows' nested panels included."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_problems(dashboard: dict[str, Any], datasource_uids: set[str]) -> list[str]:
    """What Grafana would refuse or show broken: the dashboard model's required structure,
    unknown panel types, overlapping ids, panels off the 24-column grid, queries without
    refId or that are not PromQL, and datasources that are not provisioned."""
    problems = []
    for key, kind in (("uid", str), ("title", str), ("schemaVersion", int), ("panels", list)):
        if not isinstance(dashboard.get(key), kind):
            problems.append(f"{key} missing or not {kind.__name__}")
    if len(dashboard.get("uid", "")) > 40:
        problems.append("uid longer than 40 characters")
    ids = [p.get("id") for p in panels(dashboard)]
    if len(ids) != len(set(ids)) or None in ids:
        problems.append(f"panel ids not unique: {ids}")
    for panel in panels(dashboard):
        where = f"panel {panel.get('id')} {panel.get('title')!r}"
        if panel.get("type") not in PANEL_TYPES:
            problems.append(f"{where}: type {panel.get('type')!r}")
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in "hwxy") or grid["x"] + grid["w"] > 24:
            problems.append(f"{where}: gridPos {grid}")
        if panel["type"] == "row":
            continue
        uid = (panel.get("datasource") or {}).get("uid")
        if uid not in datasource_uids:
            problems.append(f"{where}: datasource {uid!r} is not provisioned")
        refs = [t.get("refId") for t in panel.get("targets", [])]
        if not refs or len(refs) != len(set(refs)) or not all(refs):
            problems.append(f"{where}: refIds {refs}")
        for target in panel.get("targets", []):
            target_uid = (target.get("datasource") or {}).get("uid", uid)
            if target_uid not in datasource_uids:
                problems.append(f"{where}: target datasource {target_uid!r}")
            try:
                promql_parser.parse(target["expr"])
            except ValueError as error:
                problems.append(f"{where}: {target['expr']!r} is not PromQL: {error}")
    return problems

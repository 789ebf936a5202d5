"""Helpers of the Grafana tests: inputs from YAML, and what Grafana requires of a dashboard."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as sdk

from augur.api.inventory import Inventory
from augur.api.resources import is_augur_document, parse_resource
from augur.render.component_output import ComponentOutput
from augur.render.grafana.objects import render_grafana_component
from augur.render.selection import StackInputs, inputs_for, stacks_of
from augur.render.stack import stack_endpoints

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))

PANEL_TYPES = {"row", "timeseries", "stat", "bargauge", "state-timeline"}
"""The panel types the built-in dashboards use (all built into Grafana)."""

GRAFANA_UNITS = frozenset(
    line
    for line in (Path(__file__).resolve().parent / "data" / "grafana_units.txt")
    .read_text()
    .splitlines()
    if line and not line.startswith("#")
)
CUSTOM_UNIT_PREFIXES = ("prefix:", "suffix:", "si:", "count:", "currency:", "time:")
"""Grafana's custom units: a prefix and free text."""

DATASOURCE = "${datasource}"


def is_grafana_unit(unit: str) -> bool:
    """A unit Grafana formats: one of its own, or a custom one saying something."""
    if unit in GRAFANA_UNITS:
        return True
    prefix = next((p for p in CUSTOM_UNIT_PREFIXES if unit.startswith(p)), None)
    text = unit.removeprefix(prefix or "").strip()
    return prefix is not None and text not in ("", "any")


def with_variables_substituted(expr: str) -> str:
    """A query with each template variable replaced as Grafana does for the All option (a
    regular expression matching every value)."""
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def sdk_round_trip_problems(dashboard: dict[str, Any]) -> list[str]:
    """Fields of the dashboard Grafana's schema does not know: what the foundation SDK's
    model (generated from that schema) drops when it reads the dashboard and writes it."""
    back = json.loads(json.dumps(sdk.Dashboard.from_json(dashboard), cls=JSONEncoder))
    problems: list[str] = []

    def compare(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a:
                if key not in b:
                    problems.append(f"{path}.{key}: not in Grafana's dashboard schema")
                else:
                    compare(a[key], b[key], f"{path}.{key}")
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                compare(x, y, f"{path}[{index}]")
        elif a != b:
            problems.append(f"{path}: {a!r} reads back as {b!r}")

    compare(dashboard, back, "dashboard")
    return problems


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
        if uid != DATASOURCE:
            problems.append(f"{where}: datasource {uid!r}, not the dashboard's variable")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not isinstance(unit, str) or not is_grafana_unit(unit):
            problems.append(f"{where}: unit {unit!r} is not a Grafana unit")
        refs = [t.get("refId") for t in panel.get("targets", [])]
        if not refs or len(refs) != len(set(refs)) or not all(refs):
            problems.append(f"{where}: refIds {refs}")
        for target in panel.get("targets", []):
            target_uid = (target.get("datasource") or {}).get("uid", uid)
            if target_uid != DATASOURCE:
                problems.append(f"{where}: target datasource {target_uid!r}")
            problems += _promql_problems(where, target["expr"])
    problems += _variable_problems(dashboard, datasource_uids)
    problems += sdk_round_trip_problems(dashboard)
    return problems


def _promql_problems(where: str, expr: str) -> list[str]:
    try:
        promql_parser.parse(with_variables_substituted(expr))
    except ValueError as error:
        return [f"{where}: {expr!r} is not PromQL: {error}"]
    return []


def _variable_problems(dashboard: dict[str, Any], datasource_uids: set[str]) -> list[str]:
    """The `datasource` variable (Prometheus, the stack's own by default) and label variables
    whose queries are PromQL; every variable a query uses is defined."""
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    problems: list[str] = []
    source = variables.get("datasource")
    if source is None or source.get("type") != "datasource" or source.get("query") != "prometheus":
        problems.append(f"no Prometheus datasource variable: {source}")
    elif source.get("current", {}).get("value") not in datasource_uids:
        problems.append(
            f"the datasource variable's default {source.get('current')} is not provisioned"
        )
    for name, variable in variables.items():
        if variable.get("type") != "query":
            continue
        found = re.fullmatch(r"label_values\((.+), (\w+)\)", str(variable.get("query")))
        if found is None:
            problems.append(f"variable {name}: query {variable.get('query')!r}")
            continue
        problems += _promql_problems(f"variable {name}", found.group(1))
        if (variable.get("datasource") or {}).get("uid") != DATASOURCE:
            problems.append(f"variable {name}: datasource {variable.get('datasource')}")
    used = set(re.findall(r"\$\{?(\w+)\}?", json.dumps(dashboard.get("panels", []))))
    used |= set(re.findall(r"\$\{?(\w+)\}?", json.dumps(list(variables.values()))))
    missing = used - set(variables) - {"__all"}
    if missing:
        problems.append(f"variables used but not defined: {sorted(missing)}")
    return problems

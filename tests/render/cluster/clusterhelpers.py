"""Golden cases of cluster monitoring: golden/<case>.in.yaml rendered whole and by part."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from augur.api.inventory import Inventory
from augur.api.resources import is_augur_document, parse_resource
from augur.render.cluster.component import ClusterMonitoringOutput, render_cluster_monitoring
from augur.render.component_output import ComponentOutput
from augur.render.selection import StackInputs, inputs_for, stacks_of
from augur.render.stack import render_stack

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(p.name.removesuffix(".in.yaml") for p in GOLDEN.glob("*.in.yaml"))


def stack_inputs(case: str) -> StackInputs:
    """The inputs of the case's one stack."""
    inventory = Inventory()
    for doc in yaml.safe_load_all((GOLDEN / f"{case}.in.yaml").read_text()):
        if is_augur_document(doc):
            inventory.add(parse_resource(doc))
    [stack] = stacks_of(inventory)
    return inputs_for(stack, inventory)


def render_case(case: str) -> ClusterMonitoringOutput:
    """Cluster monitoring's output for the case."""
    return render_cluster_monitoring(stack_inputs(case))


def render_whole(case: str) -> ComponentOutput:
    """The whole stack of the case."""
    return render_stack(stack_inputs(case))


def objects(output: ComponentOutput, kind: str) -> list[dict[str, Any]]:
    """The manifests of one kind."""
    return [m for m in output.manifests if m["kind"] == kind]

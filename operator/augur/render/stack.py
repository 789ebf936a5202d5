"""Everything one MonitoringStack renders into: its objects and configuration files."""

from __future__ import annotations

from collections.abc import Callable

from augur.render.alertmanager import render_alertmanager_component
from augur.render.output import GENERATED_HEADER, ComponentOutput, dump_yaml_documents
from augur.render.rules import render_rules_component
from augur.render.selection import StackInputs

ComponentRenderer = Callable[[StackInputs], ComponentOutput]

# Order is the order of objects in manifests.yaml.
COMPONENT_RENDERERS: tuple[ComponentRenderer, ...] = (
    render_rules_component,
    render_alertmanager_component,
)


def render_stack(inputs: StackInputs) -> ComponentOutput:
    """Render every component of the stack; `files` includes manifests.yaml."""
    result = ComponentOutput(rejected={k: list(v) for k, v in inputs.rejected.items()})
    for renderer in COMPONENT_RENDERERS:
        result.merge(renderer(inputs))
    result.files["manifests.yaml"] = GENERATED_HEADER + (
        dump_yaml_documents(result.manifests) if result.manifests else ""
    )
    return result

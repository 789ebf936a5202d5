"""The Alertmanager configuration from a stack and the AlertPolicies it selects."""

from __future__ import annotations

from augur.render.output import ComponentOutput
from augur.render.selection import StackInputs


def render_alertmanager_component(inputs: StackInputs) -> ComponentOutput:
    """alertmanager/alertmanager.yml (not yet rendered: empty)."""
    return ComponentOutput()

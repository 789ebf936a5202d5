"""Prometheus rule files from the AlertPolicies and BusinessKPIs a stack selects."""

from __future__ import annotations

from augur.render.output import ComponentOutput
from augur.render.selection import StackInputs


def render_rules_component(inputs: StackInputs) -> ComponentOutput:
    """Rule files under prometheus/rules/ (not yet rendered: empty)."""
    return ComponentOutput()

"""Inhibition rules of the selected policies, scoped to their namespace under tenancy."""

from __future__ import annotations

from typing import Any

from augur.api.alertpolicy import Inhibition
from augur.api.resources import AlertPolicy, MonitoringStack
from augur.render.alertmanager.routes import (
    equality,
    is_tenant,
    namespace_label,
    normalised_matcher,
)


def render_inhibition(inhibition: Inhibition, scope: tuple[str, str] | None) -> dict[str, Any]:
    """One inhibit rule; with a (label, namespace) scope both sides only match that namespace."""
    source = [normalised_matcher(m) for m in inhibition.source_matchers]
    target = [normalised_matcher(m) for m in inhibition.target_matchers]
    equal = list(inhibition.equal)
    if scope is not None:
        label, namespace = scope
        source.append(equality(label, namespace))
        target.append(equality(label, namespace))
        if label not in equal:
            equal.append(label)
    rule: dict[str, Any] = {"source_matchers": source, "target_matchers": target}
    if equal:
        rule["equal"] = equal
    return rule


def render_inhibitions(stack: MonitoringStack, policies: list[AlertPolicy]) -> list[dict[str, Any]]:
    """Every policy's inhibition rules, in policy order."""
    label = namespace_label(stack)
    rules: list[dict[str, Any]] = []
    for policy in policies:
        scope = (label, policy.metadata.namespace) if is_tenant(policy, stack) else None
        rules.extend(render_inhibition(i, scope) for i in policy.spec.inhibitions)
    return rules

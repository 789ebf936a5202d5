"""Inhibition rules of the selected policies, scoped to their namespace under tenancy, and the
ones escalation steps with silenceSource ask for.

An escalated copy keeps its source's alertname and labels, so without silenceSource both
notify, each on its severity's route (unless the policy's own inhibitions mute the lower one:
a rule muting lower severities on equal labels matches the source too). With silenceSource,
the copy a step raised mutes the alert it was raised from: same policy, same alertname, equal
values of the policy's groupBy labels (the notification group; the source's exact series
cannot be named in an inhibit rule).
"""

from __future__ import annotations

from typing import Any

from augur.api.alertpolicy import Inhibition
from augur.api.common import SEVERITY_RANK
from augur.api.escalation import ESCALATED_FROM_LABEL, ESCALATED_LABEL, escalations
from augur.api.resources import AlertPolicy, MonitoringStack
from augur.render.alertmanager.routes import (
    equality,
    is_tenant,
    namespace_label,
    normalised_matcher,
    policy_matchers,
)

# labels an escalated copy and its source never share
_ESCALATION_LABELS = frozenset({"severity", ESCALATED_LABEL, ESCALATED_FROM_LABEL})


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
        rules.extend(escalation_inhibitions(policy, stack))
    return rules


def escalation_inhibitions(policy: AlertPolicy, stack: MonitoringStack) -> list[dict[str, Any]]:
    """For every severity an alert may have and every level its chain raises it to by a step
    with silenceSource: the raised copy mutes the level it was raised from.

    Built from the routing alone (every severity, whether or not an alert has it), so the
    configuration does not change when alerts do.
    """
    routing = policy.spec.routing
    if not any(step.silence_source for step in routing.escalation):
        return []
    scope = policy_matchers(policy, stack)
    grouping = [name for name in routing.group_by if name not in _ESCALATION_LABELS]
    equal = list(dict.fromkeys(["alertname", *grouping]))
    rules = []
    for origin in SEVERITY_RANK:
        for escalation in escalations(routing.escalation, origin):
            if not escalation.last.silence_source:
                continue
            # the source itself carries no augur_escalated_from: matching "" selects it
            raised_from = "" if escalation.previous == origin else origin
            rules.append(
                {
                    "source_matchers": [
                        *scope,
                        equality("severity", escalation.severity),
                        equality(ESCALATED_FROM_LABEL, origin),
                    ],
                    "target_matchers": [
                        *scope,
                        equality("severity", escalation.previous),
                        equality(ESCALATED_FROM_LABEL, raised_from),
                    ],
                    "equal": equal,
                }
            )
    return rules

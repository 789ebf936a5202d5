"""Which AlertPolicies, BusinessKPIs and ScalingPolicies a MonitoringStack loads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from augur.api.alertpolicy import AlertPolicySpec
from augur.api.common import API_VERSION, LabelSelector
from augur.api.inventory import Inventory
from augur.api.monitoringstack import NamespaceSelector
from augur.api.promoperator_rules import PrometheusRule
from augur.api.promoperator_rules import enforced_label_problems as promrule_label_problems
from augur.api.resources import (
    AlertPolicy,
    AnyResource,
    BusinessKPI,
    MonitoringStack,
    Problem,
    ScalingPolicy,
)
from augur.api.tenancy import enforced_label_problems

DEFAULT_STACK_NAME = "default"
DEFAULT_STACK_NAMESPACE = "monitoring"

SECRETS_CONSENT_PREFIX = "allow-stack.augur.dev/"
"""A Namespace labelled `allow-stack.augur.dev/<N>: "true"` lets the stacks of namespace N
copy the Secrets its AlertPolicies' receivers name into their credentials Secret."""
SECRETS_NOT_PERMITTED = "does not allow the stacks of namespace"
"""The words of a refusal (`secret_consent`), for statuses to tell it from a missing Secret."""


def default_stack() -> MonitoringStack:
    """The stack used when the input has none: it selects everything, in every namespace
    (prometheus-operator's objects too)."""
    return MonitoringStack.model_validate(
        {
            "apiVersion": API_VERSION,
            "kind": "MonitoringStack",
            "metadata": {"name": DEFAULT_STACK_NAME, "namespace": DEFAULT_STACK_NAMESPACE},
            "spec": {
                "namespaceSelector": {"any": True},
                "prometheusOperatorObjects": {"enabled": True},
            },
        }
    )


def namespace_selected(
    stack: MonitoringStack, namespace: str, namespace_labels: dict[str, dict[str, str]]
) -> bool:
    """True when the stack's namespaceSelector takes `namespace`."""
    return selector_takes(
        stack.spec.namespace_selector, stack.metadata.namespace, namespace, namespace_labels
    )


def selector_takes(
    selector: NamespaceSelector,
    own: str,
    namespace: str,
    namespace_labels: dict[str, dict[str, str]],
) -> bool:
    """True when `selector` of a stack in namespace `own` takes `namespace`."""
    if selector.any:
        return True
    if selector.match_names:
        return namespace in selector.match_names
    if selector.match_labels:
        labels = namespace_labels.get(namespace, {})
        return LabelSelector(match_labels=selector.match_labels).matches(labels)
    return namespace == own


def stack_selects_labels(
    stack: MonitoringStack,
    namespace: str,
    labels: Mapping[str, str],
    namespace_labels: dict[str, dict[str, str]],
) -> bool:
    """True when `stack` loads an object of `namespace` carrying `labels`: the one rule of
    selection (also for objects whose spec did not parse)."""
    return namespace_selected(stack, namespace, namespace_labels) and (
        stack.spec.policy_selector.matches(dict(labels))
    )


def promoperator_selects(
    stack: MonitoringStack,
    namespace: str,
    labels: Mapping[str, str],
    namespace_labels: dict[str, dict[str, str]],
) -> bool:
    """True when `stack` loads a prometheus-operator object (ServiceMonitor, PodMonitor,
    PrometheusRule) of `namespace` carrying `labels`: only when the stack enables them, from
    their namespaceSelector (default: the stack's own) and by their selector."""
    wanted = stack.spec.prometheus_operator_objects
    if not wanted.enabled:
        return False
    selector = wanted.namespace_selector or stack.spec.namespace_selector
    return selector_takes(
        selector, stack.metadata.namespace, namespace, namespace_labels
    ) and wanted.selector.matches(dict(labels))


def stack_selects(
    stack: MonitoringStack, resource: AnyResource, namespace_labels: dict[str, dict[str, str]]
) -> bool:
    """True when `stack` loads `resource` (by namespace and labels)."""
    return stack_selects_labels(
        stack, resource.metadata.namespace, resource.metadata.labels, namespace_labels
    )


def secrets_consented(stack: MonitoringStack, namespace: str, labels: Mapping[str, str]) -> bool:
    """True when `stack` may read the Secrets of `namespace` (whose Namespace carries
    `labels`): its own namespace, or one whose Namespace consents to the stack's namespace
    (`SECRETS_CONSENT_PREFIX`). Selecting a namespace loads its policies; copying its
    Secrets into the stack's namespace, readable by whoever can read that namespace's Secrets,
    needs the consent of whoever may label the Namespace (a cluster administrator)."""
    own = stack.metadata.namespace
    return namespace == own or labels.get(SECRETS_CONSENT_PREFIX + own) == "true"


def secret_consent(
    stack: MonitoringStack,
    secret_keys: Mapping[str, tuple[str, str]],
    users: Mapping[str, str],
    namespace_labels: Mapping[str, Mapping[str, str]],
) -> tuple[dict[str, tuple[str, str]], dict[str, list[str]]]:
    """Split the credentials a render asked for (key -> (source Secret as namespace/name,
    source key)) into those `stack` may read and, by user (the AlertPolicy named in `users`,
    else the stack), why the others are not read."""
    allowed: dict[str, tuple[str, str]] = {}
    refused: dict[str, list[str]] = {}
    own = stack.metadata.namespace
    for key, (source, source_key) in secret_keys.items():
        namespace = source.partition("/")[0]
        if secrets_consented(stack, namespace, namespace_labels.get(namespace, {})):
            allowed[key] = (source, source_key)
            continue
        reason = (
            f"Secret {source} not read: namespace {namespace} {SECRETS_NOT_PERMITTED} {own} "
            f"to copy its Secrets (label it {SECRETS_CONSENT_PREFIX}{own}=true to allow)"
        )
        user = users.get(key, stack.key)
        if reason not in refused.setdefault(user, []):
            refused[user].append(reason)
    return allowed, refused


@dataclass
class StackInputs:
    """Everything one stack renders from: the stack and what it selects, in a stable order."""

    stack: MonitoringStack
    alert_policies: list[AlertPolicy] = field(default_factory=list)
    business_kpis: list[BusinessKPI] = field(default_factory=list)
    scaling_policies: list[ScalingPolicy] = field(default_factory=list)
    prometheus_rules: list[PrometheusRule] = field(default_factory=list)
    """prometheus-operator PrometheusRules the stack loads (`promoperator_selects`)."""
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    rejected: dict[str, list[Problem]] = field(default_factory=dict)
    """Selected objects left out, by 'Kind/namespace/name', with why."""


def stacks_of(inventory: Inventory) -> list[MonitoringStack]:
    """The stacks of the input, or the default stack when it has none."""
    return inventory.stacks or [default_stack()]


def inputs_for(stack: MonitoringStack, inventory: Inventory) -> StackInputs:
    """The objects `stack` selects, with those whose references do not resolve rejected."""
    labels = inventory.namespace_labels
    inputs = StackInputs(stack=stack, namespace_labels=labels)
    for policy in inventory.alert_policies:
        if not stack_selects(stack, policy, labels):
            continue
        problems = unresolved_receivers(policy.spec, [stack])
        if problems:
            inputs.rejected[f"AlertPolicy/{policy.key}"] = problems
        else:
            inputs.alert_policies.append(policy)
    inputs.business_kpis = [k for k in inventory.business_kpis if stack_selects(stack, k, labels)]
    inputs.scaling_policies = [
        s for s in inventory.scaling_policies if stack_selects(stack, s, labels)
    ]
    inputs.prometheus_rules = [
        r
        for r in inventory.prometheus_rules
        if promoperator_selects(stack, r.namespace, r.metadata.labels, labels)
    ]
    return inputs


def unresolved_receivers(spec: AlertPolicySpec, stacks: list[MonitoringStack]) -> list[Problem]:
    """Route receivers that resolve neither within the policy nor to every stack's default."""
    own = {receiver.name for receiver in spec.receivers}
    problems = []
    for index, route in enumerate(spec.routing.routes):
        for position, name in enumerate(route.receivers):
            if name in own:
                continue
            missing = [s.key for s in stacks if s.spec.alertmanager.default_receiver.name != name]
            if not stacks or missing:
                where = (
                    "no stack selects this policy"
                    if not stacks
                    else f"nor the defaultReceiver of stack {', '.join(missing)}"
                )
                problems.append(
                    Problem(
                        f"spec.routing.routes[{index}].receivers[{position}]",
                        f"receiver {name!r} is neither a receiver of this policy {where}",
                    )
                )
    return problems


def enforced_label(stack: MonitoringStack, namespace: str) -> str | None:
    """The label `stack` enforces tenancy with on objects of `namespace` (None: the stack
    does not, or the objects are the stack's own)."""
    if namespace == stack.metadata.namespace:
        return None
    return stack.spec.tenancy.enforce_namespace_label


def reference_problems(inventory: Inventory) -> dict[str, list[Problem]]:
    """Problems between objects, by 'Kind/namespace/name': unresolved receivers, and labels a
    tenant (an AlertPolicy, a BusinessKPI, a PrometheusRule) may not set under a selecting
    stack's tenancy."""
    stacks = stacks_of(inventory)
    labels = inventory.namespace_labels
    found: dict[str, list[Problem]] = {}
    for policy in inventory.alert_policies:
        selecting = [s for s in stacks if stack_selects(s, policy, labels)]
        problems = unresolved_receivers(policy.spec, selecting)
        for stack in selecting:
            problems += enforced_label_problems(
                policy.spec, enforced_label(stack, policy.namespace)
            )
        if problems:
            found[f"AlertPolicy/{policy.key}"] = list(dict.fromkeys(problems))
    for kpi in inventory.business_kpis:
        problems = []
        for stack in stacks:
            if stack_selects(stack, kpi, labels):
                problems += enforced_label_problems(kpi.spec, enforced_label(stack, kpi.namespace))
        if problems:
            found[f"BusinessKPI/{kpi.key}"] = list(dict.fromkeys(problems))
    for rule in inventory.prometheus_rules:
        problems = []
        for stack in stacks:
            if promoperator_selects(stack, rule.namespace, rule.metadata.labels, labels):
                problems += promrule_label_problems(rule, enforced_label(stack, rule.namespace))
        if problems:
            found[f"PrometheusRule/{rule.key}"] = list(dict.fromkeys(problems))
    return found

"""The route tree: the stack's top route, one subtree per policy, the policy's routes in order."""

from __future__ import annotations

import functools
import json
from typing import Any

from augur.api.alertpolicy import Route, Routing
from augur.api.matchers import parse_matcher
from augur.api.resources import AlertPolicy, MonitoringStack
from augur.render.alertmanager.receivers import NULL_RECEIVER, policy_receiver_name


def namespace_label(stack: MonitoringStack) -> str:
    """The label carrying an alert's namespace: the tenancy label when set, else `namespace`."""
    return stack.spec.tenancy.enforce_namespace_label or "namespace"


def is_tenant(policy: AlertPolicy, stack: MonitoringStack) -> bool:
    """True when tenancy isolates this policy: it comes from a namespace other than the stack's."""
    return (
        stack.spec.tenancy.enforce_namespace_label is not None
        and policy.metadata.namespace != stack.metadata.namespace
    )


def policy_matchers(policy: AlertPolicy, stack: MonitoringStack) -> list[str]:
    """What selects a policy's alerts: the `namespace` and `augur_policy` its rules set, and
    for a tenant also the tenancy label (its rules set that to the namespace too)."""
    namespace = policy.metadata.namespace
    matchers = [equality("namespace", namespace)]
    label = namespace_label(stack)
    if is_tenant(policy, stack) and label != "namespace":
        matchers.append(equality(label, namespace))
    matchers.append(equality("augur_policy", policy.metadata.name))
    return matchers


def equality(label: str, value: str) -> str:
    """`label="value"` in Alertmanager's quoted matcher form."""
    return f"{label}={json.dumps(value, ensure_ascii=False)}"


@functools.lru_cache(maxsize=16384)
def normalised_matcher(text: str) -> str:
    """A user's matcher, always quoted, so both of Alertmanager's parsers read it alike."""
    matcher = parse_matcher(text)
    return f"{matcher.name}{matcher.op}{json.dumps(matcher.value, ensure_ascii=False)}"


def _severity_matchers(severities: list[str]) -> list[str]:
    # Routes with no severity list take every severity except info: info never notifies
    # unless a route lists it.
    if not severities:
        return ['severity!="info"']
    unique = list(dict.fromkeys(severities))
    if len(unique) == 1:
        return [equality("severity", unique[0])]
    return [f'severity=~"{"|".join(unique)}"']


def interval_name(namespace: str, policy: str, interval: str) -> str:
    """The Alertmanager name of a policy's time interval: unique per namespace and policy."""
    return f"{namespace}/{policy}/{interval}"


class PolicyRoutes:
    """Renders the subtree of one policy."""

    def __init__(self, policy: AlertPolicy, stack: MonitoringStack) -> None:
        self.policy = policy
        self.namespace = policy.metadata.namespace
        self.name = policy.metadata.name
        self.default_receiver = stack.spec.alertmanager.default_receiver.name
        self.own_receivers = {receiver.name for receiver in policy.spec.receivers}
        self.matchers = policy_matchers(policy, stack)

    def receiver(self, name: str) -> str:
        """A route's receiver: the policy's own first, else the stack's defaultReceiver."""
        if name in self.own_receivers:
            return policy_receiver_name(self.namespace, self.name, name)
        return self.default_receiver

    def intervals(self, names: list[str]) -> list[str] | None:
        """Time interval names as the configuration spells them."""
        return [interval_name(self.namespace, self.name, n) for n in names] or None

    def route_entries(self, route: Route) -> list[dict[str, Any]]:
        """One Alertmanager route per receiver; all but the last continue to the next."""
        matchers = _severity_matchers(list(route.severities))
        matchers += [normalised_matcher(m) for m in route.matchers]
        receivers = list(dict.fromkeys(self.receiver(r) for r in route.receivers))
        entries = []
        for position, receiver in enumerate(receivers):
            last = position == len(receivers) - 1
            entry: dict[str, Any] = {"receiver": receiver, "matchers": list(matchers)}
            if route.group_by is not None:
                entry["group_by"] = list(route.group_by)
            if not last or route.continue_:
                entry["continue"] = True
            mute = self.intervals(route.mute_time_intervals)
            active = self.intervals(route.active_time_intervals)
            if mute:
                entry["mute_time_intervals"] = mute
            if active:
                entry["active_time_intervals"] = active
            entries.append(entry)
        return entries

    def subtree(self) -> dict[str, Any]:
        """The policy's subtree: its alerts (by namespace and policy), its routes in order,
        info held back, everything else to the stack's defaultReceiver."""
        routing: Routing = self.policy.spec.routing
        tree: dict[str, Any] = {
            "receiver": self.default_receiver,
            "matchers": list(self.matchers),
            "group_by": list(routing.group_by),
        }
        for key, value in (
            ("group_wait", routing.group_wait),
            ("group_interval", routing.group_interval),
            ("repeat_interval", routing.repeat_interval),
        ):
            if value is not None:
                tree[key] = value
        children = [entry for route in routing.routes for entry in self.route_entries(route)]
        children.append({"receiver": NULL_RECEIVER, "matchers": [equality("severity", "info")]})
        tree["routes"] = children
        return tree


WATCHDOG_MATCHERS = ['alertname="Watchdog"', 'severity="none"']
"""What selects the stack's own Watchdog: no policy or KPI alert has severity `none`."""


def watchdog_route(stack: MonitoringStack) -> dict[str, Any]:
    """The Watchdog's route, first of the top routes (as in kube-prometheus): to the
    watchdogReceiver, repeated every 5 minutes so a heartbeat service sees it steadily; to no
    receiver when there is none, since at the defaultReceiver it would notify forever."""
    watchdog = stack.spec.alertmanager.watchdog_receiver
    if watchdog is None:
        return {"receiver": NULL_RECEIVER, "matchers": list(WATCHDOG_MATCHERS)}
    return {
        "receiver": watchdog.name,
        "matchers": list(WATCHDOG_MATCHERS),
        "group_wait": "0s",
        "group_interval": "5m",
        "repeat_interval": "5m",
    }


def render_route_tree(stack: MonitoringStack, policies: list[AlertPolicy]) -> dict[str, Any]:
    """The top route: the stack's grouping and defaultReceiver, the Watchdog's route, a
    subtree per policy, and info alerts of no policy held back."""
    top = stack.spec.alertmanager.route
    routes = [watchdog_route(stack)]
    routes += [PolicyRoutes(policy, stack).subtree() for policy in policies]
    routes.append({"receiver": NULL_RECEIVER, "matchers": [equality("severity", "info")]})
    return {
        "receiver": stack.spec.alertmanager.default_receiver.name,
        "group_by": list(top.group_by),
        "group_wait": top.group_wait,
        "group_interval": top.group_interval,
        "repeat_interval": top.repeat_interval,
        "routes": routes,
    }

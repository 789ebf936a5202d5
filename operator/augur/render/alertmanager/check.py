"""The smallest Alertmanager configuration that holds one policy's part of a stack's
configuration, for `amtool check-config` to judge that policy alone."""

from __future__ import annotations

from typing import Any

from augur.api.resources import AlertPolicy, MonitoringStack
from augur.render.alertmanager.credentials import (
    CREDENTIALS_MOUNT_PATH,
    Credentials,
    CredentialScope,
)
from augur.render.alertmanager.inhibitions import render_inhibitions
from augur.render.alertmanager.receivers import NULL_RECEIVER, policy_receiver_name, render_receiver
from augur.render.alertmanager.routes import PolicyRoutes
from augur.render.alertmanager.timeintervals import render_time_intervals
from augur.render.yamlwriter import dump_yaml


def policy_check_config(stack: MonitoringStack, policy: AlertPolicy) -> str:
    """A configuration of the policy's subtree, receivers, inhibitions and time intervals as
    `stack` renders them, under a top route to a receiver with no integration; the stack's
    defaultReceiver, which the policy's routes may name, is present without integrations, so
    only what the policy itself contributes is judged."""
    files = Credentials(mount_path=CREDENTIALS_MOUNT_PATH)
    default = stack.spec.alertmanager.default_receiver.name
    receivers: list[dict[str, Any]] = [
        {"name": name} for name in dict.fromkeys((NULL_RECEIVER, default))
    ]
    for receiver in policy.spec.receivers:
        name = policy_receiver_name(policy.namespace, policy.name, receiver.name)
        scope = CredentialScope.of_policy(policy.namespace, policy.name, receiver.name)
        receivers.append(render_receiver(name, receiver, scope, files))
    config: dict[str, Any] = {
        "route": {"receiver": NULL_RECEIVER, "routes": [PolicyRoutes(policy, stack).subtree()]},
        "receivers": receivers,
    }
    inhibitions = render_inhibitions(stack, [policy])
    if inhibitions:
        config["inhibit_rules"] = inhibitions
    intervals = render_time_intervals([policy])
    if intervals:
        config["time_intervals"] = intervals
    return dump_yaml(config)

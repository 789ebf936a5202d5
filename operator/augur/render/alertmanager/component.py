"""The whole Alertmanager configuration of a stack, and its place in `augur render`'s output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from augur.api.resources import AlertPolicy, MonitoringStack, Problem
from augur.render.alertmanager.credentials import (
    CREDENTIALS_MOUNT_PATH,
    AwsProfile,
    Credentials,
    CredentialScope,
)
from augur.render.alertmanager.inhibitions import render_inhibitions
from augur.render.alertmanager.receivers import (
    NULL_RECEIVER,
    policy_receiver_name,
    render_receiver,
)
from augur.render.alertmanager.routes import render_route_tree
from augur.render.alertmanager.timeintervals import render_time_intervals
from augur.render.output import GENERATED_HEADER, ComponentOutput, dump_yaml
from augur.render.selection import StackInputs, unresolved_receivers

CONFIG_FILE = "alertmanager/alertmanager.yml"
"""Where the configuration is written, relative to the stack's output folder."""


@dataclass
class AlertmanagerConfig:
    """A rendered configuration and what it needs around it."""

    config: dict[str, Any]
    """The configuration, as Alertmanager reads it."""
    secret_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Keys the stack's credentials Secret must hold: key -> (namespace/Secret, source key)."""
    aws_profiles: dict[str, AwsProfile] = field(default_factory=dict)
    """Sections of the merged AWS credentials file (SNS), by profile name."""
    rejected: dict[str, list[Problem]] = field(default_factory=dict)
    """Policies left out, by 'AlertPolicy/namespace/name', with why."""

    def text(self) -> str:
        """The configuration file's text."""
        return GENERATED_HEADER + dump_yaml(self.config)


def _partition(
    stack: MonitoringStack, policies: list[AlertPolicy]
) -> tuple[list[AlertPolicy], dict[str, list[Problem]]]:
    accepted, rejected = [], {}
    for policy in policies:
        problems = unresolved_receivers(policy.spec, [stack])
        if problems:
            rejected[f"AlertPolicy/{policy.key}"] = problems
        else:
            accepted.append(policy)
    return accepted, rejected


def _receivers(
    stack: MonitoringStack, policies: list[AlertPolicy], files: Credentials
) -> list[dict[str, Any]]:
    default = stack.spec.alertmanager.default_receiver
    rendered = [
        render_receiver(default.name, default, CredentialScope.of_stack(stack.namespace), files),
        {"name": NULL_RECEIVER},
    ]
    for policy in policies:
        namespace, name = policy.namespace, policy.name
        for receiver in policy.spec.receivers:
            rendered.append(
                render_receiver(
                    policy_receiver_name(namespace, name, receiver.name),
                    receiver,
                    CredentialScope.of_policy(namespace, name, receiver.name),
                    files,
                )
            )
    return rendered


def render_alertmanager_config(
    stack: MonitoringStack,
    policies: list[AlertPolicy],
    *,
    mount_path: str = CREDENTIALS_MOUNT_PATH,
) -> AlertmanagerConfig:
    """The configuration of `stack`'s Alertmanager for the policies it selects.

    Policies Alertmanager would refuse are left out and reported in `rejected`, so one bad
    policy never stops the others' delivery. Credentials are files under `mount_path`."""
    accepted, rejected = _partition(stack, policies)
    files = Credentials(mount_path=mount_path)
    config: dict[str, Any] = {
        "route": render_route_tree(stack, accepted),
        "receivers": _receivers(stack, accepted, files),
    }
    inhibitions = render_inhibitions(stack, accepted)
    if inhibitions:
        config["inhibit_rules"] = inhibitions
    intervals = render_time_intervals(accepted)
    if intervals:
        config["time_intervals"] = intervals
    return AlertmanagerConfig(config, files.secret_keys, files.aws_profiles, rejected)


def render_alertmanager_component(inputs: StackInputs) -> ComponentOutput:
    """alertmanager/alertmanager.yml and the credentials it needs (nothing when disabled)."""
    if not inputs.stack.spec.alertmanager.enabled:
        return ComponentOutput()
    rendered = render_alertmanager_config(inputs.stack, inputs.alert_policies)
    return ComponentOutput(
        files={CONFIG_FILE: rendered.text()},
        secret_keys=rendered.secret_keys,
        rejected=rendered.rejected,
    )

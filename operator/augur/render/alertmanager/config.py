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
from augur.render.component_output import ComponentOutput
from augur.render.selection import StackInputs, unresolved_receivers
from augur.render.yamlwriter import GENERATED_HEADER, dump_yaml

CONFIG_FILE = "alertmanager/alertmanager.yml"
"""Where the configuration is written, relative to the stack's output folder."""


@dataclass
class AlertmanagerConfig:
    """A rendered configuration and what it needs around it: the value the Alertmanager
    objects are built around."""

    config: dict[str, Any]
    """The configuration, as Alertmanager reads it."""
    credentials: Credentials = field(default_factory=Credentials)
    """The credentials Secret keys the configuration refers to, and the AWS profiles (SNS)."""
    rejected: dict[str, list[Problem]] = field(default_factory=dict)
    """Policies left out, by 'AlertPolicy/namespace/name', with why."""
    _text: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def secret_keys(self) -> dict[str, tuple[str, str]]:
        """Keys the stack's credentials Secret must hold: key -> (namespace/Secret, source key)."""
        return self.credentials.secret_keys

    @property
    def aws_profiles(self) -> dict[str, AwsProfile]:
        """Sections of the merged AWS credentials file (SNS), by profile name."""
        return self.credentials.aws_profiles

    def text(self) -> str:
        """The configuration file's text (written once, however often it is asked for)."""
        if self._text is None:
            self._text = GENERATED_HEADER + dump_yaml(self.config)
        return self._text


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
    watchdog = stack.spec.alertmanager.watchdog_receiver
    if watchdog is not None:
        scope = CredentialScope.of_watchdog(stack.namespace)
        rendered.append(render_receiver(watchdog.name, watchdog, scope, files))
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
    return AlertmanagerConfig(config, files, rejected)


def render_stack_alertmanager_config(inputs: StackInputs) -> AlertmanagerConfig | None:
    """The configuration of the stack's Alertmanager (None when it is disabled)."""
    if not inputs.stack.spec.alertmanager.enabled:
        return None
    return render_alertmanager_config(inputs.stack, inputs.alert_policies)


def config_output(config: AlertmanagerConfig | None) -> ComponentOutput:
    """alertmanager/alertmanager.yml and the credentials it needs (nothing without a config)."""
    if config is None:
        return ComponentOutput()
    return ComponentOutput(
        files={CONFIG_FILE: config.text()},
        secret_keys=dict(config.credentials.secret_keys),
        secret_users=dict(config.credentials.users),
        aws_profiles={a.key: a.source_profile for a in config.credentials.aws_profiles.values()},
        rejected={key: list(problems) for key, problems in config.rejected.items()},
    )


def render_alertmanager_component(inputs: StackInputs) -> ComponentOutput:
    """alertmanager/alertmanager.yml and the credentials it needs (nothing when disabled)."""
    return config_output(render_stack_alertmanager_config(inputs))

"""Alertmanager of a stack: its configuration from the stack and the AlertPolicies it selects,
and its Kubernetes objects.

The configuration (config.py) is made of the route tree (routes.py), receivers with
credentials as files (receivers.py), inhibition rules (inhibitions.py) and time intervals
(timeintervals.py); policies Alertmanager would refuse are left out by config.py (with
`augur.render.selection.unresolved_receivers`). The credentials Secret's keys and data are
credentials.py's; the StatefulSet, Services and the Secret holding the compressed configuration
(compression.py) are objects.py's, its ports ports.py's."""

from __future__ import annotations

from augur.render.alertmanager.compression import (
    CONFIG_SECRET_KEY,
    compress_config,
    decompress_config,
)
from augur.render.alertmanager.config import (
    CONFIG_FILE,
    AlertmanagerConfig,
    render_alertmanager_component,
    render_alertmanager_config,
)
from augur.render.alertmanager.credentials import (
    AWS_CREDENTIALS_KEY,
    CREDENTIALS_MOUNT_PATH,
    AwsCredentialsError,
    AwsProfile,
    credentials_secret_name,
    merge_aws_credentials,
)
from augur.render.alertmanager.receivers import NULL_RECEIVER

__all__ = [
    "AWS_CREDENTIALS_KEY",
    "CONFIG_FILE",
    "CONFIG_SECRET_KEY",
    "CREDENTIALS_MOUNT_PATH",
    "NULL_RECEIVER",
    "AlertmanagerConfig",
    "AwsCredentialsError",
    "AwsProfile",
    "compress_config",
    "credentials_secret_name",
    "decompress_config",
    "merge_aws_credentials",
    "render_alertmanager_component",
    "render_alertmanager_config",
]

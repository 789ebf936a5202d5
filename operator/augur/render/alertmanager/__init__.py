"""The Alertmanager configuration from a stack and the AlertPolicies it selects.

Route tree (routes.py), receivers with credentials as files (receivers.py, credentials.py),
inhibition rules (inhibitions.py), time intervals (timeintervals.py), what Alertmanager would
refuse (checks.py) and the compressed form stored in a Secret (compression.py)."""

from __future__ import annotations

from augur.render.alertmanager.component import (
    CONFIG_FILE,
    AlertmanagerConfig,
    render_alertmanager_component,
    render_alertmanager_config,
)
from augur.render.alertmanager.compression import (
    CONFIG_SECRET_KEY,
    compress_config,
    decompress_config,
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

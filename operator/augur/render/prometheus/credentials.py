"""Prometheus' credentials Secret: its name, its keys and where it is mounted."""

from __future__ import annotations

CREDENTIALS_DIR = "/etc/prometheus/credentials"
"""Where the credentials Secret is mounted in the Prometheus container."""

CREDENTIALS_KEY_PREFIX = "prometheus."
"""Prefix of the credentials Secret keys Prometheus needs (receivers' keys never have a dot
before their first `_`), so the keys can be told apart from Alertmanager's."""
ADDITIONAL_SCRAPE_CONFIGS_KEY = f"{CREDENTIALS_KEY_PREFIX}additional-scrape-configs.yaml"


def credentials_secret_name(stack: str) -> str:
    """The Secret, in the stack's namespace, holding Prometheus' credentials as files."""
    return f"{stack}-prometheus-credentials"

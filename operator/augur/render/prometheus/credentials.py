"""Prometheus' credentials Secret: its name, its keys and where it is mounted."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

CREDENTIALS_DIR = "/etc/prometheus/credentials"
"""Where the credentials Secret is mounted in the Prometheus container."""

CREDENTIALS_KEY_PREFIX = "prometheus."
"""Prefix of the credentials Secret keys Prometheus needs (receivers' keys never have a dot
before their first `_`), so the keys can be told apart from Alertmanager's."""
ADDITIONAL_SCRAPE_CONFIGS_KEY = f"{CREDENTIALS_KEY_PREFIX}additional-scrape-configs.yaml"


def credentials_secret_name(stack: str) -> str:
    """The Secret, in the stack's namespace, holding Prometheus' credentials as files."""
    return f"{stack}-prometheus-credentials"


_KEY_UNSAFE = re.compile(r"[^-._a-zA-Z0-9]")
MAX_KEY_LENGTH = 253


def scrape_credential_key(owner: str, part: str) -> str:
    """The credentials Secret key of one secret of a scrape job: `owner` names the job's
    source (`scrape.<job>`, `servicemonitor.<namespace>.<name>.<i>`), `part` the secret
    (`ca`, `password`, ...). Too long a key keeps a hash of the whole."""
    key = _KEY_UNSAFE.sub("_", f"{CREDENTIALS_KEY_PREFIX}{owner}.{part}")
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: MAX_KEY_LENGTH - len(part) - 18]}-{digest}.{part}"


@dataclass
class SecretFiles:
    """The Secret keys a piece of prometheus.yml reads as files, and who asked for each."""

    keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Credentials Secret key -> (source Secret as namespace/name, source key)."""
    users: dict[str, str] = field(default_factory=dict)
    """Credentials Secret key -> the object that needs it, when not the stack
    ('ServiceMonitor/namespace/name')."""

    def file(
        self, key: str, namespace: str, secret: str, secret_key: str, user: str | None = None
    ) -> str:
        """Record that `key` holds `secret_key` of Secret `namespace/secret`; its path in the
        Prometheus container."""
        self.keys[key] = (f"{namespace}/{secret}", secret_key)
        if user is not None:
            self.users[key] = user
        return f"{CREDENTIALS_DIR}/{key}"

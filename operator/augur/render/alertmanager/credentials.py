"""Where receiver credentials live: keys of the stack's credentials Secret, mounted as files."""

from __future__ import annotations

import configparser
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from augur.api.common import SecretRef

CREDENTIALS_MOUNT_PATH = "/etc/alertmanager/credentials"
"""Where the stack's credentials Secret is mounted in the Alertmanager container."""

AWS_CREDENTIALS_KEY = "aws-credentials"
"""Key of the credentials Secret holding the merged AWS shared credentials file (SNS).

The Alertmanager container points AWS_SHARED_CREDENTIALS_FILE at
`<mount path>/aws-credentials`; its content is `merge_aws_credentials(...)`."""

DEFAULT_RECEIVER_SCOPE = "default-receiver"
"""Key prefix of the stack's defaultReceiver credentials."""

_MAX_KEY = 253


def credentials_secret_name(stack_name: str) -> str:
    """Name of the Secret, in the stack's namespace, that holds every receiver credential."""
    return f"{stack_name}-alertmanager-credentials"


@dataclass(frozen=True)
class AwsProfile:
    """One section of the merged AWS credentials file, copied from a user's credentials file."""

    key: str
    """Key of the credentials Secret holding the user's file."""
    source_profile: str
    """Profile (section) of the user's file to copy."""


@dataclass(frozen=True)
class CredentialScope:
    """Whose credentials these are: the namespace their Secrets live in, and a key prefix.

    Key prefixes are `<namespace>_<policy>_<receiver>` for policies and `default-receiver`
    for the stack's receiver. Namespaces and policy names never contain `_`, and channel and
    field names never do either, so every key is unambiguous."""

    namespace: str
    prefix: str

    @staticmethod
    def of_policy(namespace: str, policy: str, receiver: str) -> CredentialScope:
        """The scope of a receiver of a policy."""
        return CredentialScope(namespace, f"{namespace}_{policy}_{receiver}")

    @staticmethod
    def of_stack(namespace: str) -> CredentialScope:
        """The scope of the stack's defaultReceiver."""
        return CredentialScope(namespace, DEFAULT_RECEIVER_SCOPE)


def secret_key(scope: CredentialScope, channel: str, field_name: str) -> str:
    """The credentials Secret key of one credential: deterministic, unique, a valid key."""
    key = f"{scope.prefix}_{channel}_{field_name}"
    if len(key) <= _MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: _MAX_KEY - 17]}-{digest}"


@dataclass
class Credentials:
    """Collects the credentials a configuration refers to, and hands out their file paths."""

    mount_path: str = CREDENTIALS_MOUNT_PATH
    secret_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Credentials Secret key -> (source Secret as namespace/name, source key)."""
    aws_profiles: dict[str, AwsProfile] = field(default_factory=dict)
    """Profile of the merged AWS credentials file -> where its section comes from."""

    def file(self, scope: CredentialScope, channel: str, field_name: str, ref: SecretRef) -> str:
        """Record a credential and return the path Alertmanager reads it from."""
        key = secret_key(scope, channel, field_name)
        selector = ref.secret_key_ref
        self.secret_keys[key] = (f"{scope.namespace}/{selector.name}", selector.key)
        return f"{self.mount_path.rstrip('/')}/{key}"

    def aws_profile(self, scope: CredentialScope, ref: SecretRef, profile: str | None) -> str:
        """Record an AWS credentials file and return the profile name the config uses."""
        key = secret_key(scope, "sns", "credentials")
        selector = ref.secret_key_ref
        self.secret_keys[key] = (f"{scope.namespace}/{selector.name}", selector.key)
        self.aws_profiles[key] = AwsProfile(key, profile or "default")
        return key

    @property
    def aws_credentials_path(self) -> str:
        """Path of the merged AWS credentials file in the container."""
        return f"{self.mount_path.rstrip('/')}/{AWS_CREDENTIALS_KEY}"


class AwsCredentialsError(ValueError):
    """A user's AWS credentials file lacks the profile a receiver names, or does not parse."""


def merge_aws_credentials(profiles: Mapping[str, AwsProfile], files: Mapping[str, str]) -> str:
    """The merged AWS shared credentials file: one section per profile the config names.

    `files` maps credentials Secret keys to the users' file contents (as copied from their
    Secrets). Each section is the named section of the user's file, under the profile name
    the configuration uses, so tenants' profiles never collide."""
    merged = configparser.RawConfigParser(interpolation=None)
    for profile, source in sorted(profiles.items()):
        parser = configparser.RawConfigParser(interpolation=None)
        try:
            parser.read_string(files[source.key], source=source.key)
        except (configparser.Error, KeyError) as error:
            raise AwsCredentialsError(
                f"{source.key}: not an AWS credentials file: {error}"
            ) from None
        if not parser.has_section(source.source_profile):
            raise AwsCredentialsError(f"{source.key}: no profile [{source.source_profile}]")
        merged.add_section(profile)
        for option, value in parser.items(source.source_profile):
            merged.set(profile, option, value)
    out = io.StringIO()
    merged.write(out)
    return out.getvalue()

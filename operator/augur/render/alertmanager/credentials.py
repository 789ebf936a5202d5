"""Receiver credentials: the keys of the stack's credentials Secret that name them, the files
Alertmanager reads them from, and the Secret's data copied from the users' Secrets."""

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
    policy: str | None = None
    """namespace/name of the AlertPolicy whose receiver needs these (None: the stack's own)."""

    @staticmethod
    def of_policy(namespace: str, policy: str, receiver: str) -> CredentialScope:
        """The scope of a receiver of a policy."""
        return CredentialScope(
            namespace, f"{namespace}_{policy}_{receiver}", f"{namespace}/{policy}"
        )

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
    """The credentials of a stack's Alertmanager: while rendering, the Secret keys its
    configuration refers to (handing out their file paths); once gathered
    (`gather_credentials`), the credentials Secret's data and what could not be found."""

    mount_path: str = CREDENTIALS_MOUNT_PATH
    secret_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Credentials Secret key -> (source Secret as namespace/name, source key)."""
    aws_profiles: dict[str, AwsProfile] = field(default_factory=dict)
    """Profile of the merged AWS credentials file -> where its section comes from."""
    users: dict[str, str] = field(default_factory=dict)
    """Credentials Secret key -> namespace/name of the AlertPolicy that needs it (keys the
    stack itself needs are not listed)."""
    data: dict[str, str] = field(default_factory=dict)
    """Key -> base64 value, copied from the source Secrets as stored (once gathered)."""
    missing: dict[str, list[str]] = field(default_factory=dict)
    """User (AlertPolicy namespace/name, or the stack's) -> what is missing (once gathered)."""

    def _record(self, scope: CredentialScope, key: str, ref: SecretRef) -> None:
        selector = ref.secret_key_ref
        self.secret_keys[key] = (f"{scope.namespace}/{selector.name}", selector.key)
        if scope.policy is not None:
            self.users[key] = scope.policy

    def file(self, scope: CredentialScope, channel: str, field_name: str, ref: SecretRef) -> str:
        """Record a credential and return the path Alertmanager reads it from."""
        key = secret_key(scope, channel, field_name)
        self._record(scope, key, ref)
        return f"{self.mount_path.rstrip('/')}/{key}"

    def aws_profile(self, scope: CredentialScope, ref: SecretRef, profile: str | None) -> str:
        """Record an AWS credentials file and return the profile name the config uses."""
        key = secret_key(scope, "sns", "credentials")
        self._record(scope, key, ref)
        self.aws_profiles[key] = AwsProfile(key, profile or "default")
        return key

    @property
    def aws_credentials_path(self) -> str:
        """Path of the merged AWS credentials file in the container."""
        return f"{self.mount_path.rstrip('/')}/{AWS_CREDENTIALS_KEY}"


def gather_credentials(
    secret_keys: Mapping[str, tuple[str, str]],
    sources: Mapping[str, Mapping[str, str] | None],
    stack_key: str,
    users: Mapping[str, str],
) -> Credentials:
    """Copy each needed key from its source Secret; note what is missing (never values), by
    who needs it: the AlertPolicy named in `users`, else the stack (`stack_key`)."""
    result = Credentials(secret_keys=dict(secret_keys), users=dict(users))
    for key, (source, source_key) in sorted(secret_keys.items()):
        data = sources.get(source)
        user = users.get(key, stack_key)
        if data is None:
            result.missing.setdefault(user, []).append(f"Secret {source} not found")
        elif source_key not in data:
            result.missing.setdefault(user, []).append(f"key {source_key!r} of Secret {source}")
        else:
            result.data[key] = data[source_key]
    for user, items in result.missing.items():
        result.missing[user] = sorted(set(items))
    return result


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

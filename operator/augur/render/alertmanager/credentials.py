"""Receiver credentials: the keys of the stack's credentials Secret that name them, the files
Alertmanager reads them from, and the Secret's data copied from the users' Secrets."""

from __future__ import annotations

import base64
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
`<mount path>/aws-credentials`; `gather_credentials` writes it: one section per SNS receiver,
named as the receiver's `sigv4.profile`, holding only the profile it chose of its user's file."""

DEFAULT_RECEIVER_SCOPE = "default-receiver"
"""Key prefix of the stack's defaultReceiver credentials."""

WATCHDOG_RECEIVER_SCOPE = "watchdog-receiver"
"""Key prefix of the stack's watchdogReceiver credentials."""

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

    Key prefixes are `<namespace>_<policy>_<receiver>` for policies, and `default-receiver`
    and `watchdog-receiver` for the stack's receivers. Namespaces and policy names never contain `_`, and channel and
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

    @staticmethod
    def of_watchdog(namespace: str) -> CredentialScope:
        """The scope of the stack's watchdogReceiver."""
        return CredentialScope(namespace, WATCHDOG_RECEIVER_SCOPE)


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
    unreadable: dict[str, list[str]] = field(default_factory=dict)
    """User -> source Secrets that could not be read this time (5xx, timeout, 403): their last
    good values are kept, or the key is `held` when there is none (once gathered)."""
    held: set[str] = field(default_factory=set)
    """Keys whose value is unknown (their Secret could not be read and was never read before):
    the Secret holding them must be left as it is, not written without them."""

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
    *,
    unreadable: Mapping[str, str] | None = None,
    aws_profiles: Mapping[str, str] | None = None,
) -> Credentials:
    """Copy each needed key from its source Secret; note what is missing or unreadable (never
    values), by who needs it: the AlertPolicy named in `users`, else the stack (`stack_key`).

    `sources` holds each source Secret's data (None: it does not exist); `unreadable` names
    the sources that could not be read this time, with why: for those, `sources` holds the
    last good data, or nothing, and then the keys they feed are `held`. The keys named in
    `aws_profiles` (key -> profile of the user's AWS credentials file) are never copied whole:
    only that profile goes into the merged file under `AWS_CREDENTIALS_KEY`."""
    unreadable = unreadable or {}
    aws_profiles = aws_profiles or {}
    result = Credentials(secret_keys=dict(secret_keys), users=dict(users))
    aws_files: dict[str, str] = {}
    for key, (source, source_key) in sorted(secret_keys.items()):
        user = users.get(key, stack_key)
        if source in unreadable:
            note = f"Secret {source} could not be read: {unreadable[source]}"
            result.unreadable.setdefault(user, []).append(note)
            if source not in sources:
                result.held.add(key)
                continue
        data = sources.get(source)
        if data is None:
            result.missing.setdefault(user, []).append(f"Secret {source} not found")
        elif source_key not in data:
            result.missing.setdefault(user, []).append(f"key {source_key!r} of Secret {source}")
        elif key in aws_profiles:
            aws_files[key] = data[source_key]
        else:
            result.data[key] = data[source_key]
    if aws_profiles:
        _gather_aws(result, aws_profiles, aws_files, stack_key)
    for notes in (result.missing, result.unreadable):
        for user, items in notes.items():
            notes[user] = sorted(set(items))
    return result


def _gather_aws(
    result: Credentials, profiles: Mapping[str, str], files: Mapping[str, str], stack_key: str
) -> None:
    """The merged AWS credentials file: the chosen profile of each user's file, under the
    profile name the configuration uses (its key); a file that does not parse or lacks the
    profile is missing for its user, the others still go in."""
    if any(key in result.held for key in profiles):
        result.held.add(AWS_CREDENTIALS_KEY)
    sections: dict[str, list[tuple[str, str]]] = {}
    for key, encoded in sorted(files.items()):
        source, source_key = result.secret_keys[key]
        try:
            text = base64.b64decode(encoded, validate=True).decode("utf-8")
            sections[key] = aws_profile_section(text, profiles[key])
        except (AwsCredentialsError, ValueError) as error:
            user = result.users.get(key, stack_key)
            reason = str(error) if isinstance(error, AwsCredentialsError) else "not UTF-8 text"
            result.missing.setdefault(user, []).append(
                f"key {source_key!r} of Secret {source}: {reason}"
            )
    text = write_aws_credentials(sections)
    result.data[AWS_CREDENTIALS_KEY] = base64.b64encode(text.encode()).decode("ascii")


class AwsCredentialsError(ValueError):
    """A user's AWS credentials file lacks the profile a receiver names, or does not parse."""


def aws_profile_section(text: str, profile: str) -> list[tuple[str, str]]:
    """The options of one profile of an AWS shared credentials file, in file order."""
    parser = configparser.RawConfigParser(interpolation=None, default_section="\x00")
    try:
        parser.read_string(text)
    except configparser.Error as error:
        message = str(error).splitlines()[0]
        raise AwsCredentialsError(f"not an AWS credentials file: {message}") from None
    if not parser.has_section(profile):
        raise AwsCredentialsError(f"no profile [{profile}]")
    return list(parser.items(profile))


def write_aws_credentials(sections: Mapping[str, list[tuple[str, str]]]) -> str:
    """An AWS shared credentials file with these profiles, in name order."""
    merged = configparser.RawConfigParser(interpolation=None, default_section="\x00")
    for profile, options in sorted(sections.items()):
        merged.add_section(profile)
        for option, value in options:
            merged.set(profile, option, value)
    out = io.StringIO()
    merged.write(out)
    return out.getvalue()


def merge_aws_credentials(profiles: Mapping[str, AwsProfile], files: Mapping[str, str]) -> str:
    """The merged AWS shared credentials file: one section per profile the config names.

    `files` maps credentials Secret keys to the users' file contents (as copied from their
    Secrets). Each section is the named section of the user's file, under the profile name
    the configuration uses, so tenants' profiles never collide; no other profile of a user's
    file is copied."""
    sections = {}
    for profile, source in sorted(profiles.items()):
        if source.key not in files:
            raise AwsCredentialsError(f"{source.key}: no file")
        try:
            sections[profile] = aws_profile_section(files[source.key], source.source_profile)
        except AwsCredentialsError as error:
            raise AwsCredentialsError(f"{source.key}: {error}") from None
    return write_aws_credentials(sections)

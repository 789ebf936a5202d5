"""Notification receivers: the channel shapes shared by AlertPolicy and a stack's default receiver."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from augur.api.common import ApiModel, HttpURL, ItemName, SecretRef, cel
from augur.api.templates import ALERTMANAGER, reloader_reference, template_problem

# HTTP tokens (RFC 7230), the names Go canonicalises (it leaves others as they are)
_HEADER_NAME = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")


def canonical_header(name: str) -> str:
    """A header name as Go's `textproto.CanonicalMIMEHeaderKey` writes it (`reply-to` ->
    `Reply-To`), the form Alertmanager compares header names in."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


class Channel(ApiModel):
    """Fields every channel takes."""

    send_resolved: bool = True
    """Notify when the alert resolves too."""

    @model_validator(mode="after")
    def _templates(self) -> Channel:
        # Alertmanager expands a channel's texts as templates when it notifies; a broken one
        # fails every notification. The configuration reloader expands $(NAME) first.
        for name in type(self).model_fields:
            value = getattr(self, name)
            texts = value if isinstance(value, dict) else {"": value}
            for key, text in texts.items():
                if not isinstance(text, str):
                    continue
                where = f"{name}.{key}" if key else name
                found = reloader_reference(text)
                if found is not None:
                    raise ValueError(
                        f"{where}: {found} would be replaced by the configuration reloader "
                        "(an environment variable) and refused when unset"
                    )
                problem = template_problem(text, ALERTMANAGER)
                if problem is not None:
                    raise ValueError(f"{where}: {problem}")
        return self


class EmailChannel(Channel):
    """Email through an SMTP smarthost."""

    to: str = Field(min_length=3)
    """Recipient address(es), comma separated."""
    from_: str = Field(alias="from", min_length=3)
    """The sender address (From header), e.g. alerts@example.com."""
    smarthost: str = Field(pattern=r"^[^:\s]+:[0-9]+$")
    """SMTP server as host:port."""
    auth_username: str | None = None
    """User name for SMTP authentication; unset: no authentication."""
    auth_password: SecretRef | None = None
    """Password for SMTP authentication, from a Secret; unset: none."""
    auth_identity: str | None = None
    """SMTP identity (PLAIN auth)."""
    require_tls: bool | None = Field(default=None, alias="requireTLS")
    """Require STARTTLS (Alertmanager's default is true)."""
    hello: str | None = None
    """Hostname sent in the SMTP HELO."""
    subject: str | None = None
    """The Subject header as an Alertmanager template; unset: Alertmanager's default subject."""
    html: str | None = None
    """HTML body (Alertmanager template)."""
    text: str | None = None
    """Plain-text body (Alertmanager template)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra headers (values are Alertmanager templates); header names are case-insensitive,
    so no two may differ only in case, and `Subject` is the subject field's when it is set."""

    @field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for name in headers:
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an email header name")
            canonical = canonical_header(name)
            if canonical in seen:
                raise ValueError(
                    f"headers {seen[canonical]!r} and {name!r} are one header "
                    "(header names are case-insensitive)"
                )
            seen[canonical] = name
        return headers

    @model_validator(mode="after")
    def _subject_once(self) -> EmailChannel:
        # augur writes the subject field as the Subject header
        clash = [name for name in self.headers if canonical_header(name) == "Subject"]
        if self.subject is not None and clash:
            raise ValueError(
                f"set the subject either in subject or in headers ({clash[0]}), not both"
            )
        return self


class SlackChannel(Channel):
    """A Slack incoming webhook."""

    api_url: SecretRef = Field(alias="apiURL")
    """The webhook URL, from a Secret."""
    channel: str | None = None
    """Channel or user to post to, e.g. `#alerts`."""
    username: str | None = None
    """Name the message is posted under."""
    title: str | None = None
    """Message title (Alertmanager template)."""
    title_link: str | None = None
    """Link of the title (Alertmanager template)."""
    text: str | None = None
    """Message text (Alertmanager template)."""
    color: str | None = None
    """Attachment colour (Alertmanager template)."""
    icon_emoji: str | None = None
    """Emoji shown as the poster's icon."""
    icon_url: str | None = Field(default=None, alias="iconURL")
    """Image URL shown as the poster's icon."""


class PagerDutyChannel(Channel):
    """PagerDuty, Events API v2 (routingKey) or v1 (serviceKey)."""

    model_config = cel(
        (
            "has(self.routingKey) != has(self.serviceKey)",
            "set exactly one of routingKey and serviceKey",
        )
    )

    routing_key: SecretRef | None = None
    """Events API v2 integration key."""
    service_key: SecretRef | None = None
    """Events API v1 service key."""
    url: HttpURL | None = None
    """Events API endpoint, when not PagerDuty's default."""
    client: str | None = None
    """Client shown in PagerDuty (Alertmanager template)."""
    client_url: str | None = Field(default=None, alias="clientURL")
    """Link back from PagerDuty (Alertmanager template)."""
    description: str | None = None
    """Incident description (Alertmanager template)."""
    severity: str | None = None
    """PagerDuty severity (Alertmanager template)."""
    details: dict[str, str] = Field(default_factory=dict)
    """Custom details (values are Alertmanager templates)."""

    @model_validator(mode="after")
    def _one_key(self) -> PagerDutyChannel:
        if (self.routing_key is None) == (self.service_key is None):
            raise ValueError("set exactly one of routingKey (Events v2) and serviceKey (v1)")
        return self


class WebhookChannel(Channel):
    """A generic webhook receiving Alertmanager's JSON."""

    model_config = cel(
        ("has(self.url) != has(self.urlSecret)", "set exactly one of url and urlSecret")
    )

    url: HttpURL | None = None
    """Endpoint URL, when it holds no secret."""
    url_secret: SecretRef | None = None
    """Endpoint URL from a Secret, when the URL holds a token."""
    max_alerts: int = Field(default=0, ge=0)
    """Most alerts in one message (0: all)."""

    @model_validator(mode="after")
    def _one_url(self) -> WebhookChannel:
        if (self.url is None) == (self.url_secret is None):
            raise ValueError("set exactly one of url and urlSecret")
        return self


class MSTeamsChannel(Channel):
    """Microsoft Teams through a Workflows (Power Automate) webhook (Alertmanager's msteamsv2)."""

    webhook_url: SecretRef = Field(alias="webhookURL")
    """The workflow's incoming webhook URL, from a Secret."""
    title: str | None = None
    """Card title (Alertmanager template)."""
    text: str | None = None
    """Card text (Alertmanager template)."""


class OpsgenieChannel(Channel):
    """Opsgenie alerts."""

    api_key: SecretRef
    """The Opsgenie integration's API key, from a Secret."""
    api_url: HttpURL | None = Field(default=None, alias="apiURL")
    """API endpoint, e.g. the EU one."""
    message: str | None = None
    """Alert text (Alertmanager template)."""
    description: str | None = None
    """Alert description (Alertmanager template)."""
    priority: str | None = None
    """Alert priority P1 to P5, or an Alertmanager template giving one; unset: Opsgenie's
    default (P3)."""
    tags: str | None = None
    """Comma-separated tags (Alertmanager template)."""


class TelegramChannel(Channel):
    """A Telegram bot posting to a chat."""

    bot_token: SecretRef
    """The Telegram bot's token, from a Secret."""
    chat_id: int = Field(alias="chatID")
    """The chat to post to (negative for groups; never 0; a 64-bit integer)."""
    message: str | None = None
    """The message text as an Alertmanager template; unset: Alertmanager's default message."""
    parse_mode: Literal["", "MarkdownV2", "Markdown", "HTML"] | None = None
    """How Telegram formats the message."""

    @field_validator("chat_id")
    @classmethod
    def _chat_set(cls, value: int) -> int:
        # Checked here, not as the schema's minimum/maximum: the API server reads those as
        # floats, and 2^63-1 does not survive the trip (it refuses every chat ID then).
        if value == 0:
            raise ValueError("chatID must not be 0")
        if not -(2**63) <= value < 2**63:
            raise ValueError("chatID must be a 64-bit integer, as Telegram's are")
        return value


class SNSChannel(Channel):
    """AWS SNS, for SMS or a topic. SNS has no *_file fields: credentials come from a mounted
    AWS credentials file (credentialsSecretRef + profile) or from a role."""

    phone_number: str | None = Field(default=None, pattern=r"^\+[0-9]{6,15}$")
    """Send an SMS to this E.164 number."""
    topic_arn: str | None = Field(default=None, alias="topicARN", pattern=r"^arn:aws")
    """Publish to this topic."""
    target_arn: str | None = Field(default=None, alias="targetARN", pattern=r"^arn:aws")
    """Publish to this mobile endpoint."""
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
    """AWS region, e.g. eu-central-1."""
    credentials_secret_ref: SecretRef | None = None
    """A Secret key holding an AWS shared credentials file."""
    profile: str | None = None
    """Profile of the credentials file to use."""
    role_arn: str | None = Field(default=None, alias="roleARN", pattern=r"^arn:aws")
    """ARN of an IAM role to assume before publishing; unset: the credentials' own identity."""
    subject: str | None = None
    """The message subject as an Alertmanager template; unset: Alertmanager's
    default."""
    message: str | None = None
    """The message text as an Alertmanager template; unset: Alertmanager's default message."""

    @model_validator(mode="after")
    def _one_target(self) -> SNSChannel:
        targets = [self.phone_number, self.topic_arn, self.target_arn]
        if sum(t is not None for t in targets) != 1:
            raise ValueError("set exactly one of phoneNumber, topicARN and targetARN")
        if self.profile is not None and self.credentials_secret_ref is None:
            raise ValueError("profile needs credentialsSecretRef (the credentials file)")
        return self


CHANNEL_KINDS = ("email", "slack", "pagerduty", "webhook", "msteams", "opsgenie", "telegram", "sns")


class Receiver(ApiModel):
    """A named notification target; it may carry several channels, as in Alertmanager."""

    name: ItemName
    """Name that routes refer to; unique within its policy."""
    email: EmailChannel | None = None
    """Send email through an SMTP server."""
    slack: SlackChannel | None = None
    """Post to a Slack channel through an incoming webhook."""
    pagerduty: PagerDutyChannel | None = None
    """Create PagerDuty incidents (Events API v2 or v1)."""
    webhook: WebhookChannel | None = None
    """POST Alertmanager's JSON to an HTTP endpoint (also how heartbeat services are pinged)."""
    msteams: MSTeamsChannel | None = None
    """Post to Microsoft Teams through a Workflows webhook (Alertmanager's msteamsv2)."""
    opsgenie: OpsgenieChannel | None = None
    """Create alerts in Opsgenie through its API."""
    telegram: TelegramChannel | None = None
    """Send Telegram messages through a bot."""
    sns: SNSChannel | None = None
    """AWS SNS (SMS or topic)."""

    def channels(self) -> list[tuple[str, Channel]]:
        """The channels this receiver carries, in a fixed order."""
        found = [(kind, getattr(self, kind)) for kind in CHANNEL_KINDS]
        return [(kind, channel) for kind, channel in found if channel is not None]

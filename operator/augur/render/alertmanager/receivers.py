"""Receivers: each channel of the API as Alertmanager's `*_configs`, credentials as files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from augur.api.receivers import (
    EmailChannel,
    MSTeamsChannel,
    OpsgenieChannel,
    PagerDutyChannel,
    Receiver,
    SlackChannel,
    SNSChannel,
    TelegramChannel,
    WebhookChannel,
)
from augur.render.alertmanager.credentials import Credentials, CredentialScope

NULL_RECEIVER = "augur/null"
"""A receiver with no channels: where alerts go that must not notify (info by default).
Its name holds a `/`, which no receiver name of the API may, so it never collides."""


def policy_receiver_name(namespace: str, policy: str, receiver: str) -> str:
    """The Alertmanager name of a policy's receiver: unique per namespace and policy."""
    return f"{namespace}/{policy}/{receiver}"


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    """Drop unset fields (None, empty maps) so the config shows only what was asked for."""
    return {k: v for k, v in fields.items() if v is not None and v != {}}


def _email(c: EmailChannel, scope: CredentialScope, files: Credentials) -> dict[str, Any]:
    headers = dict(c.headers)
    if c.subject is not None:
        headers["Subject"] = c.subject
    password = c.auth_password
    return _compact(
        {
            "send_resolved": c.send_resolved,
            "to": c.to,
            "from": c.from_,
            "smarthost": c.smarthost,
            "hello": c.hello,
            "auth_username": c.auth_username,
            "auth_password_file": (
                files.file(scope, "email", "auth-password", password) if password else None
            ),
            "auth_identity": c.auth_identity,
            "require_tls": c.require_tls,
            "headers": headers,
            "html": c.html,
            "text": c.text,
        }
    )


def _slack(c: SlackChannel, scope: CredentialScope, files: Credentials) -> dict[str, Any]:
    return _compact(
        {
            "send_resolved": c.send_resolved,
            "api_url_file": files.file(scope, "slack", "api-url", c.api_url),
            "channel": c.channel,
            "username": c.username,
            "title": c.title,
            "title_link": c.title_link,
            "text": c.text,
            "color": c.color,
            "icon_emoji": c.icon_emoji,
            "icon_url": c.icon_url,
        }
    )


def _pagerduty(c: PagerDutyChannel, scope: CredentialScope, files: Credentials) -> dict[str, Any]:
    key: dict[str, str] = {}
    if c.routing_key is not None:
        key["routing_key_file"] = files.file(scope, "pagerduty", "routing-key", c.routing_key)
    if c.service_key is not None:
        key["service_key_file"] = files.file(scope, "pagerduty", "service-key", c.service_key)
    return _compact(
        {
            "send_resolved": c.send_resolved,
            **key,
            "url": c.url,
            "client": c.client,
            "client_url": c.client_url,
            "description": c.description,
            "severity": c.severity,
            "details": dict(c.details),
        }
    )


def _webhook(c: WebhookChannel, scope: CredentialScope, files: Credentials) -> dict[str, Any]:
    secret = c.url_secret
    return _compact(
        {
            "send_resolved": c.send_resolved,
            "url": c.url,
            "url_file": files.file(scope, "webhook", "url", secret) if secret else None,
            "max_alerts": c.max_alerts or None,
        }
    )


def _msteams(c: MSTeamsChannel, scope: CredentialScope, files: Credentials) -> dict[str, Any]:
    return _compact(
        {
            "send_resolved": c.send_resolved,
            "webhook_url_file": files.file(scope, "msteams", "webhook-url", c.webhook_url),
            "title": c.title,
            "text": c.text,
        }
    )


def _opsgenie(c: OpsgenieChannel, scope: CredentialScope, files: Credentials) -> dict[str, Any]:
    return _compact(
        {
            "send_resolved": c.send_resolved,
            "api_key_file": files.file(scope, "opsgenie", "api-key", c.api_key),
            "api_url": c.api_url,
            "message": c.message,
            "description": c.description,
            "priority": c.priority,
            "tags": c.tags,
        }
    )


def _telegram(c: TelegramChannel, scope: CredentialScope, files: Credentials) -> dict[str, Any]:
    return _compact(
        {
            "send_resolved": c.send_resolved,
            "bot_token_file": files.file(scope, "telegram", "bot-token", c.bot_token),
            "chat_id": c.chat_id,
            "message": c.message,
            "parse_mode": c.parse_mode,
        }
    )


def _sns(c: SNSChannel, scope: CredentialScope, files: Credentials) -> dict[str, Any]:
    # SNS takes no *_file fields: a profile of the merged AWS credentials file, or a role.
    ref = c.credentials_secret_ref
    sigv4 = _compact(
        {
            "region": c.region,
            "profile": files.aws_profile(scope, ref, c.profile) if ref else None,
            "role_arn": c.role_arn,
        }
    )
    return _compact(
        {
            "send_resolved": c.send_resolved,
            "phone_number": c.phone_number,
            "topic_arn": c.topic_arn,
            "target_arn": c.target_arn,
            "sigv4": sigv4,
            "subject": c.subject,
            "message": c.message,
        }
    )


_RENDERERS: dict[str, tuple[str, Callable[[Any, CredentialScope, Credentials], dict[str, Any]]]] = {
    "email": ("email_configs", _email),
    "slack": ("slack_configs", _slack),
    "pagerduty": ("pagerduty_configs", _pagerduty),
    "webhook": ("webhook_configs", _webhook),
    "msteams": ("msteamsv2_configs", _msteams),
    "opsgenie": ("opsgenie_configs", _opsgenie),
    "telegram": ("telegram_configs", _telegram),
    "sns": ("sns_configs", _sns),
}


def render_receiver(
    name: str, receiver: Receiver, scope: CredentialScope, files: Credentials
) -> dict[str, Any]:
    """One Alertmanager receiver named `name`, with one `*_configs` entry per channel."""
    rendered: dict[str, Any] = {"name": name}
    for kind, channel in receiver.channels():
        configs_key, render = _RENDERERS[kind]
        rendered[configs_key] = [render(channel, scope, files)]
    return rendered

"""An Alertmanager configuration's receivers as an AlertPolicy's: one channel of each kind per
receiver, the channel fields augur has, credentials from Secrets (never copied)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from augur.api.receivers import Receiver
from augur.api.resources import problems_from
from augur.commands.importing.notes import Note, changed, dropped, error, item_name

SECRET_NAME = "alertmanager-receivers"
"""The Secret imported receivers read the credentials of a plain alertmanager.yml from."""


# alertmanager.yml field -> (AlertPolicy channel field, is a credential) per channel kind
_SECRET = True


_CHANNELS: dict[str, tuple[str, dict[str, tuple[str, bool]]]] = {
    "email_configs": ("email", {
        "to": ("to", False), "from": ("from", False), "smarthost": ("smarthost", False),
        "auth_username": ("authUsername", False), "auth_password": ("authPassword", _SECRET),
        "auth_identity": ("authIdentity", False), "require_tls": ("requireTLS", False),
        "hello": ("hello", False), "html": ("html", False), "text": ("text", False),
        "headers": ("headers", False),
    }),
    "slack_configs": ("slack", {
        "api_url": ("apiURL", _SECRET), "channel": ("channel", False),
        "username": ("username", False), "title": ("title", False),
        "title_link": ("titleLink", False), "text": ("text", False), "color": ("color", False),
        "icon_emoji": ("iconEmoji", False), "icon_url": ("iconURL", False),
    }),
    "pagerduty_configs": ("pagerduty", {
        "routing_key": ("routingKey", _SECRET), "service_key": ("serviceKey", _SECRET),
        "url": ("url", False), "client": ("client", False), "client_url": ("clientURL", False),
        "description": ("description", False), "severity": ("severity", False),
        "details": ("details", False),
    }),
    "webhook_configs": ("webhook", {
        "url": ("url", False), "url_secret": ("urlSecret", _SECRET),
        "max_alerts": ("maxAlerts", False),
    }),
    "msteamsv2_configs": ("msteams", {
        "webhook_url": ("webhookURL", _SECRET), "title": ("title", False), "text": ("text", False),
    }),
    "opsgenie_configs": ("opsgenie", {
        "api_key": ("apiKey", _SECRET), "api_url": ("apiURL", False),
        "message": ("message", False), "description": ("description", False),
        "priority": ("priority", False), "tags": ("tags", False),
    }),
    "telegram_configs": ("telegram", {
        "bot_token": ("botToken", _SECRET), "chat_id": ("chatID", False),
        "message": ("message", False), "parse_mode": ("parseMode", False),
    }),
    "sns_configs": ("sns", {
        "phone_number": ("phoneNumber", False), "topic_arn": ("topicARN", False),
        "target_arn": ("targetARN", False), "subject": ("subject", False),
        "message": ("message", False),
    }),
}  # fmt: skip


# Where alertmanager.yml's `global` section gives a channel field its default.
GLOBAL_DEFAULTS = {
    "email_configs": {
        "from": "smtp_from",
        "smarthost": "smtp_smarthost",
        "auth_username": "smtp_auth_username",
        "auth_password": "smtp_auth_password",
        "auth_identity": "smtp_auth_identity",
        "require_tls": "smtp_require_tls",
        "hello": "smtp_hello",
    },
    "slack_configs": {"api_url": "slack_api_url"},
    "pagerduty_configs": {"url": "pagerduty_url"},
    "opsgenie_configs": {"api_key": "opsgenie_api_key", "api_url": "opsgenie_api_url"},
}


def receiver_names(receivers: list[Any]) -> dict[str, str]:
    """Alertmanager receiver name -> the AlertPolicy's."""
    return {
        str(r["name"]): item_name(r["name"])
        for r in receivers
        if isinstance(r, dict) and "name" in r
    }


def import_receivers(
    config: dict[str, Any], prefix: str, names: dict[str, str], notes: list[Note]
) -> list[dict[str, Any]]:
    defaults = config.get("global") or {}
    receivers = []
    for index, raw in enumerate(config.get("receivers") or []):
        path = f"{prefix}receivers[{index}]"
        if not isinstance(raw, dict) or "name" not in raw:
            notes.append(error(path, "a receiver is a mapping with a name"))
            continue
        name = names[str(raw["name"])]
        subject = f"receiver {raw['name']}"
        if name != raw["name"]:
            notes.append(changed(f"{path}.name", subject, f"named {name} (an AlertPolicy name)"))
        receiver: dict[str, Any] = {"name": name}
        for key, configs in raw.items():
            if key == "name":
                continue
            if key not in _CHANNELS:
                notes.append(
                    dropped(f"{path}.{key}", subject, f"{key}: a channel augur does not support")
                )
                continue
            for position, channel_config in enumerate(configs or []):
                where = f"{path}.{key}[{position}]"
                kind = _CHANNELS[key][0]
                if kind in receiver:
                    notes.append(dropped(where, subject, f"a receiver has one {kind} channel"))
                    continue
                merged = {**_defaults(key, defaults), **(channel_config or {})}
                channel = _channel(key, merged, name, where, subject, notes)
                if channel is not None:
                    receiver[kind] = channel
        receivers.append(receiver)
    return receivers


def _defaults(key: str, defaults: dict[str, Any]) -> dict[str, Any]:
    return {
        field_name: defaults[global_name]
        for field_name, global_name in GLOBAL_DEFAULTS.get(key, {}).items()
        if global_name in defaults
    }


def _channel(
    key: str,
    config: dict[str, Any],
    receiver: str,
    path: str,
    subject: str,
    notes: list[Note],
) -> dict[str, Any] | None:
    """One channel; None (with notes) when it cannot be carried over."""
    kind, fields = _CHANNELS[key]
    channel: dict[str, Any] = {}
    for name, value in config.items():
        if name == "send_resolved":
            channel["sendResolved"] = value
            continue
        base = name.removesuffix("_file")
        if base not in fields:
            notes.append(dropped(f"{path}.{name}", subject, f"{kind} {name}: not carried over"))
            continue
        target, secret = fields[base]
        if base == "url" and kind == "webhook" and name.endswith("_file"):
            target, secret = "urlSecret", True
        if secret and not (isinstance(value, dict) and "secretKeyRef" in value):
            secret_key = f"{receiver}-{kind}-{base.replace('_', '-')}"
            origin = f"the file {value}" if name.endswith("_file") else "the configuration"
            notes.append(
                changed(
                    f"{path}.{name}",
                    subject,
                    f"{kind} {base} is read from Secret {SECRET_NAME} key {secret_key}: create "
                    f"it with the value from {origin} (not copied)",
                )
            )
            value = {"secretKeyRef": {"name": SECRET_NAME, "key": secret_key}}
        channel[target] = value
    try:
        Receiver.model_validate({"name": "check", kind: channel})
    except ValidationError as failure:
        for problem in problems_from(failure, Receiver):
            notes.append(dropped(path, subject, f"{kind} channel: {problem}"))
        return None
    return channel

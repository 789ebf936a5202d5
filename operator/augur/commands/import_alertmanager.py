"""An Alertmanager configuration's routes, receivers, inhibitions and time intervals as an
AlertPolicy's (pure: a document in, spec parts and notes out).

Reads a plain `alertmanager.yml` or a prometheus-operator `AlertmanagerConfig`
(`monitoring.coreos.com/v1alpha1`, whose fields are brought to alertmanager.yml's names
first). The route tree becomes the policy's ordered, flat route list: a nested route becomes
one route per child (its matchers and the parent's), then the parent's own, which is exact
unless `continue` is set inside the subtree (that is reported); the top route's receiver
becomes a last route taking every alert. A route naming no severity takes every severity
(info too, as Alertmanager did). Matchers and `equal` on `namespace` move to
`exported_namespace`, where imported alerts keep their series' namespace
(`import_rules.py`). Credentials written into the configuration (or read from files on
Alertmanager's disk) are never copied: the receiver reads them from the Secret
SECRET_NAME, under a key the report names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from augur.api.alertpolicy import Inhibition, Route
from augur.api.matchers import Matcher, parse_matcher
from augur.api.receivers import Receiver
from augur.api.resources import problems_from
from augur.api.timeintervals import NamedTimeInterval
from augur.commands.import_notes import Note, changed, dropped, error
from augur.commands.import_rules import SEVERITIES, SEVERITY_ALIASES

SECRET_NAME = "alertmanager-receivers"
"""The Secret imported receivers read the credentials of a plain alertmanager.yml from."""

ALL_SEVERITIES = list(SEVERITIES)

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
_GLOBAL_DEFAULTS = {
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


@dataclass
class AlertmanagerImport:
    """The spec parts every imported AlertPolicy with alerts takes, and the notes."""

    routing: dict[str, Any] = field(default_factory=dict)
    receivers: list[dict[str, Any]] = field(default_factory=list)
    inhibitions: list[dict[str, Any]] = field(default_factory=list)
    time_intervals: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when the document could not be read as an Alertmanager configuration."""
        return any(note.kind == "error" for note in self.notes)


def is_alertmanager_config(doc: Any) -> bool:
    """True for an AlertmanagerConfig object or a plain alertmanager.yml (no kind, a route or
    receivers)."""
    if not isinstance(doc, dict):
        return False
    if doc.get("kind") == "AlertmanagerConfig":
        return str(doc.get("apiVersion", "")).startswith("monitoring.coreos.com/")
    return "kind" not in doc and ("route" in doc or "receivers" in doc)


def apply_routing(policy: dict[str, Any], imported: AlertmanagerImport) -> dict[str, Any]:
    """`policy` with the imported routing, receivers, inhibitions and time intervals, when it
    has alerts (a policy of recording rules only routes nothing)."""
    spec = policy["spec"]
    if not spec.get("alerts"):
        return policy
    parts = {
        "routing": imported.routing,
        "receivers": imported.receivers,
        "inhibitions": imported.inhibitions,
        "timeIntervals": imported.time_intervals,
    }
    return {**policy, "spec": {**spec, **{k: v for k, v in parts.items() if v}}}


def _import(doc: dict[str, Any]) -> AlertmanagerImport:
    result = AlertmanagerImport()
    if doc.get("kind") == "AlertmanagerConfig":
        spec = doc.get("spec")
        if not isinstance(spec, dict):
            result.notes.append(error("spec", "expected a mapping"))
            return result
        config, prefix = _from_alertmanager_config(spec), "spec."
    else:
        config, prefix = doc, ""
        if "templates" in doc:
            result.notes.append(
                dropped(
                    "templates",
                    "templates",
                    "an AlertPolicy has no template files; texts that call their templates "
                    "are reported with their receivers",
                )
            )
        known = {name for fields in _GLOBAL_DEFAULTS.values() for name in fields.values()}
        for key in doc.get("global") or {}:
            if key not in known:
                result.notes.append(
                    dropped(f"global.{key}", "global", f"{key}: not an AlertPolicy setting")
                )
    route = config.get("route")
    if not isinstance(route, dict):
        result.notes.append(error(f"{prefix}route", "expected the top route (a mapping)"))
        return result
    result.notes += _shape_problems(config, prefix)
    if result.failed:
        return result
    names = _receiver_names(config.get("receivers") or [])
    result.time_intervals = _time_intervals(config, prefix, result.notes)
    result.receivers = _receivers(config, prefix, names, result.notes)
    result.routing = _routing(route, f"{prefix}route", names, result.notes)
    _forget_dropped_intervals(result, f"{prefix}route")
    result.inhibitions = _inhibitions(config.get("inhibit_rules") or [], prefix, result.notes)
    return result


def import_alertmanager(doc: dict[str, Any]) -> AlertmanagerImport:
    """The AlertPolicy parts of an Alertmanager configuration, and a note for every part not
    carried over or changed, placed at the document's own field names."""
    result = _import(doc)
    if doc.get("kind") == "AlertmanagerConfig":
        result.notes = [replace(n, path=_camel_path(n.path)) for n in result.notes]
    return result


_CAMEL_SPECIAL = {
    "source_matchers": "sourceMatch",
    "target_matchers": "targetMatch",
    "spec.time_intervals": "spec.muteTimeIntervals",
}
_ACRONYMS = {"url": "URL", "id": "ID", "arn": "ARN", "tls": "TLS"}


def _camel_path(path: str) -> str:
    """A field path in alertmanager.yml's names as an AlertmanagerConfig spells it."""
    for snake, spelled in _CAMEL_SPECIAL.items():
        path = path.replace(snake, spelled)

    def camel(match: re.Match[str]) -> str:
        head, *rest = match.group(0).split("_")
        return head + "".join(_ACRONYMS.get(part, part.capitalize()) for part in rest)

    return re.sub(r"[a-z0-9]+(?:_[a-z0-9]+)+", camel, path)


# -- AlertmanagerConfig to alertmanager.yml's names ------------------------------------------


def _snake(name: Any) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name)).lower()


def _matcher_text(matcher: Any) -> Any:
    """An AlertmanagerConfig matcher ({name, value, matchType}) as Alertmanager's string."""
    if not isinstance(matcher, dict):
        return matcher
    op = matcher.get("matchType") or ("=~" if matcher.get("regex") else "=")
    value = str(matcher.get("value", "")).replace("\\", "\\\\").replace('"', '\\"')
    return f'{matcher.get("name")}{op}"{value}"'


def _camel_route(route: dict[str, Any]) -> dict[str, Any]:
    converted = {_snake(k): v for k, v in route.items()}
    if isinstance(route.get("matchers"), list):
        converted["matchers"] = [_matcher_text(m) for m in route["matchers"]]
    if isinstance(route.get("routes"), list):
        converted["routes"] = [
            _camel_route(r) if isinstance(r, dict) else r for r in route["routes"]
        ]
    return converted


def _camel_channel(config: Any) -> Any:
    if not isinstance(config, dict):
        return config
    converted: dict[str, Any] = {}
    for key, value in config.items():
        name = _snake(key)
        if name == "headers" and isinstance(value, list):
            value = {h.get("key"): h.get("value") for h in value if isinstance(h, dict)}
        if isinstance(value, dict) and set(value) >= {"name", "key"}:
            value = {"secretKeyRef": {"name": value["name"], "key": value["key"]}}
        converted[name] = value
    return converted


def _from_alertmanager_config(spec: dict[str, Any]) -> dict[str, Any]:
    """An AlertmanagerConfig's spec with alertmanager.yml's field names."""
    config: dict[str, Any] = {}
    if isinstance(spec.get("route"), dict):
        config["route"] = _camel_route(spec["route"])
    receivers = []
    for receiver in _list(spec.get("receivers")):
        if isinstance(receiver, dict):
            receiver = {
                _snake(k): [_camel_channel(c) for c in v] if isinstance(v, list) else v
                for k, v in receiver.items()
            }
        receivers.append(receiver)
    config["receivers"] = receivers
    rules = []
    for rule in _list(spec.get("inhibitRules")):
        if isinstance(rule, dict):
            rule = {
                "source_matchers": [_matcher_text(m) for m in _list(rule.get("sourceMatch"))],
                "target_matchers": [_matcher_text(m) for m in _list(rule.get("targetMatch"))],
                "equal": rule.get("equal") or [],
            }
        rules.append(rule)
    config["inhibit_rules"] = rules
    intervals = []
    for interval in _list(spec.get("muteTimeIntervals")):
        if isinstance(interval, dict):
            interval = {
                "name": interval.get("name"),
                "time_intervals": [
                    _camel_interval(i) for i in _list(interval.get("timeIntervals"))
                ],
            }
        intervals.append(interval)
    config["time_intervals"] = intervals
    return config


def _camel_interval(interval: Any) -> Any:
    if not isinstance(interval, dict):
        return interval
    converted: dict[str, Any] = {}
    for key, value in interval.items():
        if key == "times" and isinstance(value, list):
            value = [
                {"start_time": t.get("startTime"), "end_time": t.get("endTime")}
                for t in value
                if isinstance(t, dict)
            ]
        elif key == "daysOfMonth" and isinstance(value, list):
            value = [
                f"{d.get('start')}:{d.get('end')}"
                if d.get("end") is not None
                else str(d.get("start"))
                for d in value
                if isinstance(d, dict)
            ]
        converted[_snake(key)] = value
    return converted


# -- the shape the conversion relies on ------------------------------------------------------


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _shape_problems(config: dict[str, Any], prefix: str) -> list[Note]:
    """Error notes for every part of the configuration not shaped as Alertmanager reads it."""
    problems: list[Note] = []

    def expect(value: Any, kind: type, path: str) -> bool:
        if value is None or isinstance(value, kind):
            return value is not None
        what = "a mapping" if kind is dict else "a list"
        problems.append(error(path, f"expected {what}"))
        return False

    expect(config.get("global"), dict, "global")
    for index, receiver in enumerate(_list(config.get("receivers"))):
        path = f"{prefix}receivers[{index}]"
        if expect(receiver, dict, path):
            for key, configs in receiver.items():
                if key != "name" and expect(configs, list, f"{path}.{key}"):
                    for position, item in enumerate(configs):
                        expect(item, dict, f"{path}.{key}[{position}]")
    expect(config.get("receivers"), list, f"{prefix}receivers")
    for index, rule in enumerate(_list(config.get("inhibit_rules"))):
        path = f"{prefix}inhibit_rules[{index}]"
        if expect(rule, dict, path):
            for side in ("source", "target"):
                expect(rule.get(f"{side}_matchers"), list, f"{path}.{side}_matchers")
                expect(rule.get(f"{side}_match"), dict, f"{path}.{side}_match")
                expect(rule.get(f"{side}_match_re"), dict, f"{path}.{side}_match_re")
            expect(rule.get("equal"), list, f"{path}.equal")
    expect(config.get("inhibit_rules"), list, f"{prefix}inhibit_rules")
    for key in ("time_intervals", "mute_time_intervals"):
        expect(config.get(key), list, f"{prefix}{key}")
        for index, interval in enumerate(_list(config.get(key))):
            path = f"{prefix}{key}[{index}]"
            if expect(interval, dict, path) and expect(
                interval.get("time_intervals"), list, f"{path}.time_intervals"
            ):
                for position, item in enumerate(interval["time_intervals"]):
                    where = f"{path}.time_intervals[{position}]"
                    if expect(item, dict, where) and expect(
                        item.get("times"), list, f"{where}.times"
                    ):
                        for number, times in enumerate(item["times"]):
                            expect(times, dict, f"{where}.times[{number}]")
    pending = [(config["route"], f"{prefix}route")]
    while pending:  # its own stack: the nesting of routes is the input's
        route, path = pending.pop()
        if not expect(route, dict, path):
            continue
        expect(route.get("matchers"), list, f"{path}.matchers")
        expect(route.get("match"), dict, f"{path}.match")
        expect(route.get("match_re"), dict, f"{path}.match_re")
        expect(route.get("group_by"), list, f"{path}.group_by")
        for key in ("mute_time_intervals", "active_time_intervals"):
            expect(route.get(key), list, f"{path}.{key}")
        if expect(route.get("routes"), list, f"{path}.routes"):
            pending += [(child, f"{path}.routes[{i}]") for i, child in enumerate(route["routes"])]
    return problems


# -- receivers ------------------------------------------------------------------------------


def _item_name(name: Any) -> str:
    """A receiver or interval name as an AlertPolicy allows it."""
    text = re.sub(r"[^-_.a-zA-Z0-9]+", "-", str(name)).strip("-_.")
    return text or "unnamed"


def _receiver_names(receivers: list[Any]) -> dict[str, str]:
    """Alertmanager receiver name -> the AlertPolicy's."""
    return {
        str(r["name"]): _item_name(r["name"])
        for r in receivers
        if isinstance(r, dict) and "name" in r
    }


def _receivers(
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
        for field_name, global_name in _GLOBAL_DEFAULTS.get(key, {}).items()
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


# -- routes ---------------------------------------------------------------------------------


def _matchers(
    route: dict[str, Any], path: str, subject: str, notes: list[Note]
) -> list[Matcher] | None:
    """The matchers of a route (matchers, match, match_re); None when one cannot be read."""
    texts: list[str] = [str(m) for m in route.get("matchers") or []]
    texts += [f'{k}="{v}"' for k, v in (route.get("match") or {}).items()]
    texts += [f'{k}=~"{v}"' for k, v in (route.get("match_re") or {}).items()]
    found = []
    for text in texts:
        try:
            found.append(parse_matcher(text.strip().strip("{}")))
        except ValueError as failure:
            notes.append(dropped(f"{path}.matchers", subject, str(failure)))
            return None
    return found


def _severities(matchers: list[Matcher]) -> tuple[list[str], list[Matcher]]:
    """augur severities for the severity matchers that name them, and the other matchers."""
    severities: list[str] | None = None
    rest = []
    for matcher in matchers:
        values = None
        if matcher.name == "severity" and matcher.op == "=":
            values = [matcher.value]
        elif (
            matcher.name == "severity"
            and matcher.op == "=~"
            and re.fullmatch(r"[a-z|]+", matcher.value)
        ):
            values = matcher.value.split("|")
        mapped = [SEVERITY_ALIASES.get(v, v) for v in values or []]
        if values and all(v in SEVERITIES for v in mapped):
            chosen = list(dict.fromkeys(mapped))
            severities = [s for s in (severities or chosen) if s in chosen]
        else:
            rest.append(matcher)
    return (severities if severities is not None else ALL_SEVERITIES), rest


def _group_by(labels: list[Any], path: str, subject: str, notes: list[Note]) -> list[str]:
    """A group_by list, `namespace` moved to `exported_namespace`."""
    found = [str(label) for label in labels]
    if "namespace" in found:
        notes.append(
            changed(
                f"{path}.group_by",
                subject,
                "group_by namespace becomes exported_namespace (namespace is the policy's)",
            )
        )
    return ["exported_namespace" if label == "namespace" else label for label in found]


def _forget_dropped_intervals(result: AlertmanagerImport, path: str) -> None:
    """Routes stop naming the time intervals that were not carried over."""
    kept = {interval["name"] for interval in result.time_intervals}
    for index, route in enumerate(result.routing.get("routes", [])):
        for key in ("muteTimeIntervals", "activeTimeIntervals"):
            missing = [name for name in route.get(key, []) if name not in kept]
            if not missing:
                continue
            route[key] = [name for name in route[key] if name in kept]
            if not route[key]:
                del route[key]
            result.notes.append(
                dropped(
                    path,
                    f"routing.routes[{index}]",
                    f"{key}: {', '.join(missing)}: the time interval was not carried over",
                )
            )


def _exported(matcher: Matcher, path: str, subject: str, notes: list[Note]) -> Matcher:
    if matcher.name != "namespace":
        return matcher
    notes.append(
        changed(
            path,
            subject,
            f"matcher {matcher.render()} matches exported_namespace, where imported alerts keep "
            "their series' namespace (namespace is the policy's)",
        )
    )
    return Matcher("exported_namespace", matcher.op, matcher.value)


_ROUTE_FIELDS = frozenset(
    {"receiver", "group_by", "group_wait", "group_interval", "repeat_interval", "routes"}
    | {"matchers", "match", "match_re", "continue", "mute_time_intervals", "active_time_intervals"}
)


@dataclass(frozen=True)
class _Parent:
    matchers: tuple[Matcher, ...]
    receiver: str | None
    group_by: list[str] | None


def _routing(
    top: dict[str, Any], path: str, names: dict[str, str], notes: list[Note]
) -> dict[str, Any]:
    routing: dict[str, Any] = {}
    if top.get("group_by") is not None:
        routing["groupBy"] = _group_by(top["group_by"], path, "top route", notes)
    else:
        notes.append(
            changed(
                path, "top route", "no group_by (one group): grouped by alertname, augur's default"
            )
        )
    for key, alias in (
        ("group_wait", "groupWait"),
        ("group_interval", "groupInterval"),
        ("repeat_interval", "repeatInterval"),
    ):
        if top.get(key) is not None:
            routing[alias] = str(top[key])
    matchers = _matchers(top, path, "top route", notes) or []
    receiver = top.get("receiver")
    parent = _Parent(tuple(matchers), receiver, None)
    routes = _children(top, path, parent, names, notes)
    if receiver is not None:
        catch_all = _route(parent, {"receiver": receiver}, names)
        if _checked(Route, catch_all, path, "top route", notes):
            routes.append(catch_all)
        if any(route.get("continue") for route in routes):
            notes.append(
                changed(
                    path,
                    "top route",
                    f"its receiver {receiver} is the last route: an alert a route with continue "
                    "takes also reaches it when no later route takes the alert (Alertmanager "
                    "sends it there only when no route matched)",
                )
            )
    for key in top:
        if key not in _ROUTE_FIELDS:
            notes.append(dropped(f"{path}.{key}", "top route", f"{key}: not carried over"))
    if routes:
        routing["routes"] = routes
    return routing


def _children(
    route: dict[str, Any], path: str, parent: _Parent, names: dict[str, str], notes: list[Note]
) -> list[dict[str, Any]]:
    """The flat routes of `route`'s children, in order."""
    flat: list[dict[str, Any]] = []
    for index, child in enumerate(route.get("routes") or []):
        child_path = f"{path}.routes[{index}]"
        subject = f"route {child_path.removeprefix('spec.')}"
        if not isinstance(child, dict):
            notes.append(error(child_path, "a route is a mapping"))
            continue
        own = _matchers(child, child_path, subject, notes)
        if own is None:
            continue
        own = [_exported(m, f"{child_path}.matchers", subject, notes) for m in own]
        for key in child:
            if key in ("group_wait", "group_interval", "repeat_interval"):
                notes.append(
                    dropped(f"{child_path}.{key}", subject, f"{key}: a route takes the policy's")
                )
            elif key not in _ROUTE_FIELDS:
                notes.append(dropped(f"{child_path}.{key}", subject, f"unknown field {key!r}"))
        group_by = parent.group_by
        if child.get("group_by") is not None:
            group_by = _group_by(child["group_by"], child_path, subject, notes)
        node = _Parent(
            parent.matchers + tuple(own), child.get("receiver") or parent.receiver, group_by
        )
        if child.get("routes"):
            flat += _nested(child, child_path, subject, node, names, notes)
            continue
        route = _route(node, child, names)
        if _checked(Route, route, child_path, subject, notes):
            flat.append(route)
    return flat


def _nested(
    child: dict[str, Any],
    path: str,
    subject: str,
    node: _Parent,
    names: dict[str, str],
    notes: list[Note],
) -> list[dict[str, Any]]:
    """A route with children: theirs, then its own for what none of them took."""
    inner = _children(child, path, node, names, notes)
    if child.get("continue") or any(r.get("continue") for r in inner):
        notes.append(
            changed(
                path,
                subject,
                "continue inside nested routes flattened: an alert a child route takes may "
                "also reach this route's own receiver or the next routes",
            )
        )
        for route in inner:
            route["continue"] = bool(child.get("continue")) or route.get("continue", False)
    own = _route(node, {**child, "routes": None}, names)
    return [*inner, own] if _checked(Route, own, path, subject, notes) else inner


def _route(node: _Parent, raw: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    severities, rest = _severities(list(node.matchers))
    receiver = node.receiver if raw.get("receiver") is None else raw["receiver"]
    route: dict[str, Any] = {"severities": severities}
    if rest:
        route["matchers"] = [m.render() for m in rest]
    route["receivers"] = [names.get(str(receiver), _item_name(receiver))]
    if raw.get("continue"):
        route["continue"] = True
    if node.group_by is not None:
        route["groupBy"] = [str(label) for label in node.group_by]
    for key, alias in (
        ("mute_time_intervals", "muteTimeIntervals"),
        ("active_time_intervals", "activeTimeIntervals"),
    ):
        if raw.get(key):
            route[alias] = [_item_name(name) for name in raw[key]]
    return route


# -- inhibitions and time intervals ---------------------------------------------------------


def _inhibitions(rules: list[Any], prefix: str, notes: list[Note]) -> list[dict[str, Any]]:
    found = []
    for index, rule in enumerate(rules):
        path = f"{prefix}inhibit_rules[{index}]"
        subject = f"inhibit rule {index}"
        if not isinstance(rule, dict):
            notes.append(error(path, "an inhibit rule is a mapping"))
            continue
        sides = []
        for side in ("source", "target"):
            texts = [str(m) for m in rule.get(f"{side}_matchers") or []]
            texts += [f'{k}="{v}"' for k, v in (rule.get(f"{side}_match") or {}).items()]
            texts += [f'{k}=~"{v}"' for k, v in (rule.get(f"{side}_match_re") or {}).items()]
            sides.append(texts)
        equal = [str(label) for label in rule.get("equal") or []]
        if "namespace" in equal:
            equal = ["exported_namespace" if e == "namespace" else e for e in equal]
            notes.append(
                changed(f"{path}.equal", subject, "equal namespace becomes exported_namespace")
            )
        body = {"sourceMatchers": sides[0], "targetMatchers": sides[1], "equal": equal}
        if _checked(Inhibition, body, path, subject, notes):
            body["sourceMatchers"] = [_rendered(t, path, subject, notes) for t in sides[0]]
            body["targetMatchers"] = [_rendered(t, path, subject, notes) for t in sides[1]]
            if not equal:
                del body["equal"]
            notes.append(
                changed(
                    path,
                    subject,
                    "under the stack's tenancy it acts only among the policy's namespace's alerts",
                )
            )
            found.append(body)
    return found


def _rendered(text: str, path: str, subject: str, notes: list[Note]) -> str:
    matcher = parse_matcher(text.strip().strip("{}"))
    if matcher.name == "severity" and matcher.op == "=" and matcher.value in SEVERITY_ALIASES:
        mapped = SEVERITY_ALIASES[matcher.value]
        notes.append(changed(path, subject, f"severity {matcher.value!r} is {mapped}"))
        matcher = Matcher("severity", "=", mapped)
    return _exported(matcher, path, subject, notes).render()


def _time_intervals(config: dict[str, Any], prefix: str, notes: list[Note]) -> list[dict[str, Any]]:
    found = []
    for key in ("time_intervals", "mute_time_intervals"):
        for index, raw in enumerate(config.get(key) or []):
            path = f"{prefix}{key}[{index}]"
            if prefix and key == "time_intervals":
                path = f"spec.muteTimeIntervals[{index}]"
            if not isinstance(raw, dict):
                notes.append(error(path, "a time interval is a mapping"))
                continue
            subject = f"time interval {raw.get('name')}"
            intervals = []
            for interval in raw.get("time_intervals") or []:
                converted = {}
                for name, value in (interval or {}).items():
                    if name == "times":
                        value = [
                            {"start": t.get("start_time"), "end": t.get("end_time")} for t in value
                        ]
                    converted[{"days_of_month": "daysOfMonth"}.get(name, name)] = value
                intervals.append(converted)
            body = {"name": _item_name(raw.get("name")), "intervals": intervals}
            if _checked(NamedTimeInterval, body, path, subject, notes):
                found.append(body)
    return found


def _checked(
    model: type[BaseModel], body: dict[str, Any], path: str, subject: str, notes: list[Note]
) -> bool:
    try:
        model.model_validate(body)
    except ValidationError as failure:
        for problem in problems_from(failure, model):
            notes.append(dropped(path, subject, str(problem)))
        return False
    return True

"""prometheus-operator's AlertmanagerConfig (`monitoring.coreos.com/v1alpha1`) with
alertmanager.yml's field names, so one converter reads both; and field paths back in the
object's own spelling, for the report."""

from __future__ import annotations

import re
from typing import Any

from augur.commands.importing.notes import as_list

_CAMEL_SPECIAL = {
    "source_matchers": "sourceMatch",
    "target_matchers": "targetMatch",
    "spec.time_intervals": "spec.muteTimeIntervals",
}


_ACRONYMS = {"url": "URL", "id": "ID", "arn": "ARN", "tls": "TLS"}


def camel_path(path: str) -> str:
    """A field path in alertmanager.yml's names as an AlertmanagerConfig spells it."""
    for snake, spelled in _CAMEL_SPECIAL.items():
        path = path.replace(snake, spelled)

    def camel(match: re.Match[str]) -> str:
        head, *rest = match.group(0).split("_")
        return head + "".join(_ACRONYMS.get(part, part.capitalize()) for part in rest)

    return re.sub(r"[a-z0-9]+(?:_[a-z0-9]+)+", camel, path)


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


def from_alertmanager_config(spec: dict[str, Any]) -> dict[str, Any]:
    """An AlertmanagerConfig's spec with alertmanager.yml's field names."""
    config: dict[str, Any] = {}
    if isinstance(spec.get("route"), dict):
        config["route"] = _camel_route(spec["route"])
    receivers = []
    for receiver in as_list(spec.get("receivers")):
        if isinstance(receiver, dict):
            receiver = {
                _snake(k): [_camel_channel(c) for c in v] if isinstance(v, list) else v
                for k, v in receiver.items()
            }
        receivers.append(receiver)
    config["receivers"] = receivers
    rules = []
    for rule in as_list(spec.get("inhibitRules")):
        if isinstance(rule, dict):
            rule = {
                "source_matchers": [_matcher_text(m) for m in as_list(rule.get("sourceMatch"))],
                "target_matchers": [_matcher_text(m) for m in as_list(rule.get("targetMatch"))],
                "equal": rule.get("equal") or [],
            }
        rules.append(rule)
    config["inhibit_rules"] = rules
    intervals = []
    for interval in as_list(spec.get("muteTimeIntervals")):
        if isinstance(interval, dict):
            interval = {
                "name": interval.get("name"),
                "time_intervals": [
                    _camel_interval(i) for i in as_list(interval.get("timeIntervals"))
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

"""An Alertmanager route tree as an AlertPolicy's flat, ordered routes.

A nested route becomes one route per child (its matchers and the parent's), then the
parent's own: exact unless `continue` is set inside the subtree (reported). The top route's
receiver becomes a last route, excluding what earlier routes with `continue` take when each
takes one condition (else the difference is reported). A route naming no severity takes every
severity (info too, as Alertmanager did). Matchers and `group_by` on `namespace` move to
`exported_namespace`, where imported alerts keep their series' namespace. Routes nest only as
deep as the YAML loader allows (`augur.api.bounds`), which bounds the recursion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from augur.api.alertpolicy import Route
from augur.api.matchers import Matcher, parse_matcher
from augur.commands.importing.notes import Note, changed, checked, dropped, error, item_name
from augur.commands.importing.rules import SEVERITIES, SEVERITY_ALIASES

ALL_SEVERITIES = list(SEVERITIES)


def route_matchers(
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


def grouping(labels: list[Any], path: str, subject: str, notes: list[Note]) -> list[str]:
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


def forget_dropped_intervals(
    routing: dict[str, Any], kept: set[str], path: str, notes: list[Note]
) -> None:
    """Routes stop naming the time intervals that were not carried over (`kept` are)."""
    for index, route in enumerate(routing.get("routes", [])):
        for key in ("muteTimeIntervals", "activeTimeIntervals"):
            missing = [name for name in route.get(key, []) if name not in kept]
            if not missing:
                continue
            route[key] = [name for name in route[key] if name in kept]
            if not route[key]:
                del route[key]
            notes.append(
                dropped(
                    path,
                    f"routing.routes[{index}]",
                    f"{key}: {', '.join(missing)}: the time interval was not carried over",
                )
            )


def exported(matcher: Matcher, path: str, subject: str, notes: list[Note]) -> Matcher:
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


def import_routing(
    top: dict[str, Any], path: str, names: dict[str, str], notes: list[Note]
) -> dict[str, Any]:
    routing: dict[str, Any] = {}
    if top.get("group_by") is not None:
        routing["groupBy"] = grouping(top["group_by"], path, "top route", notes)
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
    matchers = route_matchers(top, path, "top route", notes) or []
    receiver = top.get("receiver")
    parent = _Parent(tuple(matchers), receiver, None)
    routes = _children(top, path, parent, names, notes)
    if receiver is not None:
        routes += _catch_all(parent, receiver, routes, names, path, notes)
    for key in top:
        if key not in _ROUTE_FIELDS:
            notes.append(dropped(f"{path}.{key}", "top route", f"{key}: not carried over"))
    if routes:
        routing["routes"] = routes
    return routing


_NEGATED = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}


def _negation(route: dict[str, Any]) -> str | None:
    """One matcher taking exactly the alerts `route` does not, when its condition is one
    matcher (or one severity list); None otherwise."""
    matchers = route.get("matchers", [])
    if len(matchers) == 1 and route["severities"] == ALL_SEVERITIES:
        matcher = parse_matcher(matchers[0])
        return Matcher(matcher.name, _NEGATED[matcher.op], matcher.value).render()
    if not matchers and route["severities"] != ALL_SEVERITIES:
        return Matcher("severity", "!~", "|".join(route["severities"])).render()
    return None


def _catch_all(
    parent: _Parent,
    receiver: str,
    routes: list[dict[str, Any]],
    names: dict[str, str],
    path: str,
    notes: list[Note],
) -> list[dict[str, Any]]:
    """The top route's receiver as a last route. Alertmanager sends an alert there only when
    no route matched: past routes with `continue`, the last route excludes what they take
    when each takes one condition; otherwise the difference is reported."""
    catch_all = _route(parent, {"receiver": receiver}, names)
    continuing = [route for route in routes if route.get("continue")]
    negations = [_negation(route) for route in continuing]
    if all(negation is not None for negation in negations):
        extra = [n for n in negations if n is not None]
        if extra:
            catch_all["matchers"] = catch_all.get("matchers", []) + extra
            catch_all = {**catch_all, "receivers": catch_all.pop("receivers")}
    else:
        notes.append(
            changed(
                path,
                "top route",
                f"its receiver {receiver} is the last route: an alert a route with continue "
                "takes also reaches it when no later route takes the alert (Alertmanager "
                "sends it there only when no route matched)",
            )
        )
    return [catch_all] if checked(Route, catch_all, path, "top route", notes) else []


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
        own = route_matchers(child, child_path, subject, notes)
        if own is None:
            continue
        own = [exported(m, f"{child_path}.matchers", subject, notes) for m in own]
        for key in child:
            if key in ("group_wait", "group_interval", "repeat_interval"):
                notes.append(
                    dropped(f"{child_path}.{key}", subject, f"{key}: a route takes the policy's")
                )
            elif key not in _ROUTE_FIELDS:
                notes.append(dropped(f"{child_path}.{key}", subject, f"unknown field {key!r}"))
        labels = parent.group_by
        if child.get("group_by") is not None:
            labels = grouping(child["group_by"], child_path, subject, notes)
        node = _Parent(
            parent.matchers + tuple(own), child.get("receiver") or parent.receiver, labels
        )
        if child.get("routes"):
            flat += _nested(child, child_path, subject, node, names, notes)
            continue
        route = _route(node, child, names)
        if checked(Route, route, child_path, subject, notes):
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
    return [*inner, own] if checked(Route, own, path, subject, notes) else inner


def _route(node: _Parent, raw: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    severities, rest = _severities(list(node.matchers))
    receiver = node.receiver if raw.get("receiver") is None else raw["receiver"]
    route: dict[str, Any] = {"severities": severities}
    if rest:
        route["matchers"] = [m.render() for m in rest]
    route["receivers"] = [names.get(str(receiver), item_name(receiver))]
    if raw.get("continue"):
        route["continue"] = True
    if node.group_by is not None:
        route["groupBy"] = [str(label) for label in node.group_by]
    for key, alias in (
        ("mute_time_intervals", "muteTimeIntervals"),
        ("active_time_intervals", "activeTimeIntervals"),
    ):
        if raw.get(key):
            route[alias] = [item_name(name) for name in raw[key]]
    return route

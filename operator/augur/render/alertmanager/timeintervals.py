"""Named time intervals of the selected policies, in Alertmanager's `time_intervals` form."""

from __future__ import annotations

from typing import Any

from augur.api.resources import AlertPolicy
from augur.api.timeintervals import NamedTimeInterval, TimeInterval
from augur.render.alertmanager.routes import interval_name


def render_interval(interval: TimeInterval) -> dict[str, Any]:
    """One interval; only the fields the user set (an empty interval matches always)."""
    rendered: dict[str, Any] = {}
    if interval.times:
        rendered["times"] = [{"start_time": t.start, "end_time": t.end} for t in interval.times]
    if interval.weekdays:
        rendered["weekdays"] = [w.lower() for w in interval.weekdays]
    if interval.days_of_month:
        rendered["days_of_month"] = list(interval.days_of_month)
    if interval.months:
        rendered["months"] = [m.lower() for m in interval.months]
    if interval.years:
        rendered["years"] = list(interval.years)
    if interval.location is not None:
        rendered["location"] = interval.location
    return rendered


def render_named_interval(name: str, named: NamedTimeInterval) -> dict[str, Any]:
    """A named time interval under the configuration-wide `name`."""
    return {"name": name, "time_intervals": [render_interval(i) for i in named.intervals]}


def render_time_intervals(policies: list[AlertPolicy]) -> list[dict[str, Any]]:
    """Every policy's time intervals, named uniquely per namespace and policy."""
    return [
        render_named_interval(
            interval_name(policy.metadata.namespace, policy.metadata.name, named.name), named
        )
        for policy in policies
        for named in policy.spec.time_intervals
    ]

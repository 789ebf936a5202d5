"""What Alertmanager would refuse in a policy that the API's own validation lets through."""

from __future__ import annotations

import functools
import re

from augur.api.alertpolicy import AlertPolicySpec
from augur.api.common import LABEL_NAME_PATTERN
from augur.api.matchers import Matcher, parse_matcher
from augur.api.receivers import Receiver
from augur.api.resources import Problem
from augur.api.timeintervals import MONTHS, WEEKDAYS, NamedTimeInterval, TimeInterval

# Go's RE2 (Alertmanager's regular expressions) has no look-around and no back-references.
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]")


@functools.lru_cache(maxsize=16384)
def _parsed(text: str) -> Matcher:
    return parse_matcher(text)


def matcher_problems(path: str, matchers: list[str]) -> list[Problem]:
    """Matchers that do not parse, or whose regular expression Go cannot compile."""
    problems = []
    for index, text in enumerate(matchers):
        try:
            matcher = _parsed(text)
        except ValueError as error:
            problems.append(Problem(f"{path}[{index}]", str(error)))
            continue
        if matcher.op in ("=~", "!~") and _NOT_RE2.search(matcher.value):
            problems.append(
                Problem(
                    f"{path}[{index}]",
                    f"{text!r}: look-around and back-references are not supported "
                    "by Alertmanager's regular expressions (RE2)",
                )
            )
    return problems


def group_by_problems(path: str, labels: list[str] | None) -> list[Problem]:
    """group_by entries that are neither label names nor `...` (group by every label)."""
    return [
        Problem(f"{path}[{index}]", f"{label!r} is not a label name (or '...')")
        for index, label in enumerate(labels or [])
        if label != "..." and not re.fullmatch(LABEL_NAME_PATTERN, label)
    ]


def receiver_problems(path: str, receiver: Receiver) -> list[Problem]:
    """Channel settings Alertmanager refuses."""
    if receiver.telegram is not None and receiver.telegram.chat_id == 0:
        return [Problem(f"{path}.telegram.chatID", "chatID must not be 0")]
    return []


def _ordinal(part: str, names: tuple[str, ...], first: int) -> int:
    lowered = part.lower()
    return names.index(lowered) + first if lowered in names else int(part)


def _range_problem(what: str, value: str, names: tuple[str, ...], first: int) -> str | None:
    if ":" not in value:
        return None
    start_text, end_text = value.split(":")
    start, end = _ordinal(start_text, names, first), _ordinal(end_text, names, first)
    if what == "day of month":
        if start < 0 < end:
            return f"range {value!r}: the end day must be negative when the start day is"
        if (start < 0) != (end < 0):  # e.g. 5:-1, the fifth to the last day
            return None
    if end < start:
        return f"range {value!r} ends before it starts"
    return None


def _interval_problems(path: str, interval: TimeInterval) -> list[Problem]:
    problems = []
    fields = (
        ("weekdays", "weekday", interval.weekdays, WEEKDAYS, 0),
        ("daysOfMonth", "day of month", interval.days_of_month, (), 1),
        ("months", "month", interval.months, MONTHS, 1),
        ("years", "year", interval.years, (), 0),
    )
    for field_name, what, values, names, first in fields:
        for index, value in enumerate(values):
            message = _range_problem(what, value, names, first)
            if message:
                problems.append(Problem(f"{path}.{field_name}[{index}]", message))
    return problems


def time_interval_problems(path: str, named: NamedTimeInterval) -> list[Problem]:
    """Ranges Alertmanager refuses: those that end before they start."""
    problems = []
    for index, interval in enumerate(named.intervals):
        problems.extend(_interval_problems(f"{path}.intervals[{index}]", interval))
    return problems


def policy_problems(spec: AlertPolicySpec) -> list[Problem]:
    """Everything in a policy's spec that would make Alertmanager refuse the configuration."""
    problems = group_by_problems("spec.routing.groupBy", spec.routing.group_by)
    for index, route in enumerate(spec.routing.routes):
        path = f"spec.routing.routes[{index}]"
        problems.extend(matcher_problems(f"{path}.matchers", route.matchers))
        problems.extend(group_by_problems(f"{path}.groupBy", route.group_by))
    for index, receiver in enumerate(spec.receivers):
        problems.extend(receiver_problems(f"spec.receivers[{index}]", receiver))
    for index, inhibition in enumerate(spec.inhibitions):
        path = f"spec.inhibitions[{index}]"
        problems.extend(matcher_problems(f"{path}.sourceMatchers", inhibition.source_matchers))
        problems.extend(matcher_problems(f"{path}.targetMatchers", inhibition.target_matchers))
    for index, named in enumerate(spec.time_intervals):
        problems.extend(time_interval_problems(f"spec.timeIntervals[{index}]", named))
    return problems

"""Alertmanager time intervals (mute and active windows), checked the way Alertmanager parses them."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from augur.api.common import ApiModel, ItemName

WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_CLOCK = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


def _minutes(clock: str) -> int:
    match = _CLOCK.match(clock)
    if not match:
        raise ValueError(f"{clock!r} is not a time of day HH:MM")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > 24 * 60:
        raise ValueError(f"{clock!r} is past 24:00")
    return minutes


class TimeRange(ApiModel):
    """A time of day range, start inclusive, end exclusive."""

    start: str
    """Start of the range as HH:MM (inclusive), in the interval's location."""
    end: str
    """End, HH:MM (24:00 is the end of the day)."""

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if _minutes(self.start) >= _minutes(self.end):
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


def _ordinal(part: str, names: tuple[str, ...], first: int) -> int:
    lowered = part.lower()
    return names.index(lowered) + first if lowered in names else int(part)


def _check_range(value: str, numeric: bool, names: tuple[str, ...], what: str) -> None:
    """A single value or an a:b range that Alertmanager accepts (and that runs forwards)."""
    parts = value.split(":")
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"{value!r} is not a {what} or a {what} range like a:b")
    for part in parts:
        if part.lower() in names or (numeric and re.fullmatch(r"-?[0-9]+", part)):
            continue
        raise ValueError(f"{part!r} is not a {what}")
    if len(parts) == 1:
        return
    first = 0 if what in ("weekday", "year") else 1
    start, end = (_ordinal(p, names, first) for p in parts)
    if what == "day of month" and (start < 0) != (end < 0):
        if start < 0:
            raise ValueError(f"range {value!r}: the end day must be negative when the start day is")
        return  # e.g. 5:-1, the fifth to the last day
    if end < start:
        raise ValueError(f"range {value!r} ends before it starts")


class TimeInterval(ApiModel):
    """One interval; all given fields must match (Alertmanager's time_intervals entry)."""

    times: list[TimeRange] = Field(default_factory=list)
    """Times of day the interval covers; empty: the whole day."""
    weekdays: list[str] = Field(default_factory=list)
    """Days of the week or ranges, e.g. monday:friday."""
    days_of_month: list[str] = Field(default_factory=list)
    """Days of the month or ranges; negative counts from the end, e.g. -1."""
    months: list[str] = Field(default_factory=list)
    """Months by name or number, or ranges, e.g. january:march."""
    years: list[str] = Field(default_factory=list)
    """Years or ranges, e.g. 2025:2026."""
    location: str | None = None
    """Time zone (IANA name, e.g. Europe/Berlin); default UTC."""

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, values: list[str]) -> list[str]:
        for value in values:
            _check_range(value, False, WEEKDAYS, "weekday")
        return values

    @field_validator("days_of_month")
    @classmethod
    def _days(cls, values: list[str]) -> list[str]:
        for value in values:
            _check_range(value, True, (), "day of month")
            for part in value.split(":"):
                if not 1 <= abs(int(part)) <= 31:
                    raise ValueError(f"day of month {part} is outside 1..31 (or -31..-1)")
        return values

    @field_validator("months")
    @classmethod
    def _months(cls, values: list[str]) -> list[str]:
        for value in values:
            _check_range(value, True, MONTHS, "month")
            for part in value.split(":"):
                if part.isdigit() and not 1 <= int(part) <= 12:
                    raise ValueError(f"month {part} is outside 1..12")
        return values

    @field_validator("years")
    @classmethod
    def _years(cls, values: list[str]) -> list[str]:
        for value in values:
            _check_range(value, True, (), "year")
        return values

    @field_validator("location")
    @classmethod
    def _location(cls, value: str | None) -> str | None:
        if value is None or value in ("UTC", "Local"):
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone") from None
        return value


class NamedTimeInterval(ApiModel):
    """A named set of intervals that routes mute or activate on."""

    name: ItemName
    """Name routes refer to."""
    intervals: list[TimeInterval] = Field(min_length=1)
    """The intervals; the window is their union."""
